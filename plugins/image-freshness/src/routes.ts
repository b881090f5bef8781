import { createRouteRef } from '@backstage/core-plugin-api';

/** Where the legacy "Image freshness" tab is mounted. @public */
export const rootRouteRef = createRouteRef({ id: 'image-freshness' });

/** Where the legacy "Base images" tab is mounted. @public */
export const baseImagesRouteRef = createRouteRef({
  id: 'image-freshness:base-images',
});
