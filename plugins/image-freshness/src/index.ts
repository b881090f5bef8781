/**
 * The image-freshness frontend plugin: entity tabs showing how old each
 * container image is and what it is built on. The new frontend system's
 * plugin is at `./alpha`.
 *
 * @packageDocumentation
 */
export * from './api';
export { ImageFreshnessContent } from './components/ImageFreshnessContent';
export { BaseImagesContent } from './components/BaseImagesContent';
export { isImageFreshnessAvailable } from 'backstage-plugin-image-freshness-common';
