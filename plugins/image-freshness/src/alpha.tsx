import {
  ApiBlueprint,
  createFrontendPlugin,
  createRouteRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import { discoveryApiRef, fetchApiRef } from '@backstage/core-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { isImageFreshnessAvailable } from 'backstage-plugin-image-freshness-common';
import { ImageFreshnessClient, imageFreshnessApiRef } from './api';
import { ImageFreshnessIcon } from './components/ImageFreshnessIcon';

/** The org-wide page's route. @alpha */
export const overviewPageRouteRef = createRouteRef();

/**
 * The org-wide page at `/image-freshness`, with its sidebar item (in this
 * release the app's nav lists pages that have a title and an icon).
 *
 * @alpha
 */
export const imageFreshnessPage = PageBlueprint.make({
  params: {
    path: '/image-freshness',
    title: 'Image freshness',
    icon: <ImageFreshnessIcon />,
    routeRef: overviewPageRouteRef,
    loader: () =>
      import('./components/ImageFreshnessPage').then(m => (
        <m.ImageFreshnessPage />
      )),
  },
});

/** The API, talking to the image-freshness backend. @alpha */
export const imageFreshnessApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: imageFreshnessApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new ImageFreshnessClient(deps),
    }),
});

/** The "Image freshness" entity tab. @alpha */
export const imageFreshnessEntityContent = EntityContentBlueprint.make({
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

/** The "Base images" entity tab. @alpha */
export const baseImagesEntityContent = EntityContentBlueprint.make({
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

/** The overview card: stale images and rebuilds due. @alpha */
export const imageFreshnessEntityCard = EntityCardBlueprint.make({
  name: 'overview',
  params: {
    type: 'info',
    filter: isImageFreshnessAvailable,
    loader: () =>
      import('./components/ImageFreshnessCard').then(m => (
        <m.ImageFreshnessCard />
      )),
  },
});

/** The scorecard: the Tech Insights checks on image-freshness facts. @alpha */
export const imageFreshnessChecksEntityCard = EntityCardBlueprint.make({
  name: 'checks',
  params: {
    type: 'info',
    filter: isImageFreshnessAvailable,
    loader: () =>
      import('./components/ImageFreshnessChecksCard').then(m => (
        <m.ImageFreshnessChecksCard />
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
  routes: { overview: overviewPageRouteRef },
  extensions: [
    imageFreshnessApi,
    imageFreshnessPage,
    imageFreshnessEntityContent,
    baseImagesEntityContent,
    imageFreshnessEntityCard,
    imageFreshnessChecksEntityCard,
  ],
});
