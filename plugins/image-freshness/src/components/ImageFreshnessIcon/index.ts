export { ImageFreshnessIcon } from './ImageFreshnessIcon';
