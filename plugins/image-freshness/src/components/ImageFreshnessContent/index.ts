export { ImageFreshnessContent } from './ImageFreshnessContent';
