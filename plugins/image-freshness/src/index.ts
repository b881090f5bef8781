/**
 * The image-freshness frontend plugin: entity tabs showing how old each
 * container image is and what it is built on, and an overview card. This is
 * the legacy frontend system's entry point; the new frontend system's plugin
 * is at `./alpha`.
 *
 * @packageDocumentation
 */
export * from './api';
export {
  imageFreshnessPlugin,
  EntityImageFreshnessContent,
  EntityBaseImagesContent,
  EntityImageFreshnessCard,
  EntityImageFreshnessChecksCard,
} from './plugin';
export { rootRouteRef, baseImagesRouteRef } from './routes';
export { ImageFreshnessContent } from './components/ImageFreshnessContent';
export { BaseImagesContent } from './components/BaseImagesContent';
export { ImageFreshnessCard } from './components/ImageFreshnessCard';
export { ImageFreshnessChecksCard } from './components/ImageFreshnessChecksCard';
export { isImageFreshnessAvailable } from 'backstage-plugin-image-freshness-common';
