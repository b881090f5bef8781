export { ImageFreshnessChecksCard } from './ImageFreshnessChecksCard';
