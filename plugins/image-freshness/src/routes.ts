import { createRouteRef } from '@backstage/core-plugin-api';

/** Where the legacy "Image freshness" tab is mounted. @public */
export const rootRouteRef = createRouteRef({ id: 'image-freshness' });

/** Where the legacy "Base images" tab is mounted. @public */
export const baseImagesRouteRef = createRouteRef({
  id: 'image-freshness:base-images',
});

/** Where the legacy org-wide page is mounted (`/image-freshness` in the app). @public */
export const overviewRouteRef = createRouteRef({
  id: 'image-freshness:overview',
});
