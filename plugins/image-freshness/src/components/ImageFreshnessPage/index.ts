export { ImageFreshnessPage } from './ImageFreshnessPage';
