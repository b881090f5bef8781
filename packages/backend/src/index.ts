/*
 * The portal backend: catalog, Kubernetes, auth (guest sign-in for local use),
 * permissions, search, and the image-freshness plugin.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// auth: guest sign-in for local use; configure a real provider in production
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// catalog
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// permissions: allow-all here; replace the policy module with your own
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import('@backstage/plugin-permission-backend-module-allow-all-policy'),
);

// search (Lunr in memory; PostgreSQL when the database is PostgreSQL)
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

// kubernetes: the source of the workloads whose images we track
backend.add(import('@backstage/plugin-kubernetes-backend'));

// user settings, with signals to push their changes to open browsers
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('backstage-plugin-image-freshness-backend'));
backend.start();
