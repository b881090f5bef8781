/**
 * The image-freshness frontend plugin: entity tabs showing how old each
 * container image is and what it is built on, an overview card, and the
 * org-wide page (`/image-freshness`). This is
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
  ImageFreshnessPage,
} from './plugin';
export { rootRouteRef, baseImagesRouteRef, overviewRouteRef } from './routes';
export { ImageFreshnessIcon } from './components/ImageFreshnessIcon';
export { ImageFreshnessContent } from './components/ImageFreshnessContent';
export { BaseImagesContent } from './components/BaseImagesContent';
export { ImageFreshnessCard } from './components/ImageFreshnessCard';
export { ImageFreshnessChecksCard } from './components/ImageFreshnessChecksCard';
export { isImageFreshnessAvailable } from 'backstage-plugin-image-freshness-common';
