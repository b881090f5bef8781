/*
 * The portal backend: catalog, Kubernetes, auth (guest sign-in for local use),
 * permissions, search, and the image-freshness plugin.
 */
import { createBackend } from '@backstage/backend-defaults';
import { backendFeatures } from './features';

const backend = createBackend();

for (const feature of backendFeatures()) {
  backend.add(feature);
}

// permissions: allow-all here; replace the policy module with your own
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

backend.start();
