import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { ImageFreshnessClient, imageFreshnessApiRef } from './api';
import { baseImagesRouteRef, overviewRouteRef, rootRouteRef } from './routes';

/**
 * The image-freshness plugin for apps on the legacy frontend system.
 *
 * @public
 */
export const imageFreshnessPlugin = createPlugin({
  id: 'image-freshness',
  apis: [
    createApiFactory({
      api: imageFreshnessApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: deps => new ImageFreshnessClient(deps),
    }),
  ],
  routes: {
    root: rootRouteRef,
    baseImages: baseImagesRouteRef,
    overview: overviewRouteRef,
  },
});

/**
 * The "Image freshness" entity tab:
 * `<EntityLayout.Route path="/image-freshness" title="Image freshness" if={isImageFreshnessAvailable}>`.
 *
 * @public
 */
export const EntityImageFreshnessContent = imageFreshnessPlugin.provide(
  createRoutableExtension({
    name: 'EntityImageFreshnessContent',
    component: () =>
      import('./components/ImageFreshnessContent').then(
        m => m.ImageFreshnessContent,
      ),
    mountPoint: rootRouteRef,
  }),
);

/**
 * The "Base images" entity tab.
 *
 * @public
 */
export const EntityBaseImagesContent = imageFreshnessPlugin.provide(
  createRoutableExtension({
    name: 'EntityBaseImagesContent',
    component: () =>
      import('./components/BaseImagesContent').then(m => m.BaseImagesContent),
    mountPoint: baseImagesRouteRef,
  }),
);

/**
 * The overview card: stale images and rebuilds due.
 *
 * @public
 */
export const EntityImageFreshnessCard = imageFreshnessPlugin.provide(
  createComponentExtension({
    name: 'EntityImageFreshnessCard',
    component: {
      lazy: () =>
        import('./components/ImageFreshnessCard').then(
          m => m.ImageFreshnessCard,
        ),
    },
  }),
);

/**
 * The scorecard card: the Tech Insights checks on image-freshness facts.
 *
 * @public
 */
export const EntityImageFreshnessChecksCard = imageFreshnessPlugin.provide(
  createComponentExtension({
    name: 'EntityImageFreshnessChecksCard',
    component: {
      lazy: () =>
        import('./components/ImageFreshnessChecksCard').then(
          m => m.ImageFreshnessChecksCard,
        ),
    },
  }),
);

/**
 * The org-wide page: every entity's images with owner and system, stale
 * images and due rebuilds first, counts per owner, filters and paging:
 * `<Route path="/image-freshness" element={<ImageFreshnessPage />} />`.
 *
 * @public
 */
export const ImageFreshnessPage = imageFreshnessPlugin.provide(
  createRoutableExtension({
    name: 'ImageFreshnessPage',
    component: () =>
      import('./components/ImageFreshnessPage').then(m => m.ImageFreshnessPage),
    mountPoint: overviewRouteRef,
  }),
);
