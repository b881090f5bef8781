import {
  ApiBlueprint,
  createFrontendPlugin,
} from '@backstage/frontend-plugin-api';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import { isImageFreshnessAvailable } from 'backstage-plugin-image-freshness-common';
import { ImageFreshnessClient, imageFreshnessApiRef } from './api';

const imageFreshnessApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: imageFreshnessApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new ImageFreshnessClient(deps),
    }),
});

const imageFreshnessContent = EntityContentBlueprint.make({
  name: 'images',
  params: {
    path: '/image-freshness',
    title: 'Image freshness',
    filter: isImageFreshnessAvailable,
    loader: () =>
      import('./components/ImageFreshnessContent').then(m => (
        <m.ImageFreshnessContent />
      )),
  },
});

const baseImagesContent = EntityContentBlueprint.make({
  name: 'base-images',
  params: {
    path: '/base-images',
    title: 'Base images',
    filter: isImageFreshnessAvailable,
    loader: () =>
      import('./components/BaseImagesContent').then(m => (
        <m.BaseImagesContent />
      )),
  },
});

/**
 * The image-freshness plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'image-freshness',
  extensions: [imageFreshnessApi, imageFreshnessContent, baseImagesContent],
});
