export { ImageFreshnessCard } from './ImageFreshnessCard';
