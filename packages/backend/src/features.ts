/*
 * The portal backend's features, without a permission policy: index.ts adds
 * the allow-all policy; the end-to-end tests add a policy of their own.
 */

/** Every feature of the portal backend except the permission policy module. */
export function backendFeatures() {
  return [
    import('@backstage/plugin-app-backend'),
    import('@backstage/plugin-proxy-backend'),

    // auth: guest sign-in for local use; configure a real provider in production
    import('@backstage/plugin-auth-backend'),
    import('@backstage/plugin-auth-backend-module-guest-provider'),

    // catalog
    import('@backstage/plugin-catalog-backend'),
    import('@backstage/plugin-catalog-backend-module-logs'),

    // permissions: the policy is added by the entry point
    import('@backstage/plugin-permission-backend'),

    // search (Lunr in memory; PostgreSQL when the database is PostgreSQL)
    import('@backstage/plugin-search-backend'),
    import('@backstage/plugin-search-backend-module-pg'),
    import('@backstage/plugin-search-backend-module-catalog'),

    // kubernetes: the source of the workloads whose images we track
    import('@backstage/plugin-kubernetes-backend'),

    // user settings and notifications, with signals to push their changes
    // to open browsers
    import('@backstage/plugin-user-settings-backend'),
    import('@backstage/plugin-signals-backend'),
    import('@backstage/plugin-notifications-backend'),

    // image freshness: the core plugin and its optional modules
    import('backstage-plugin-image-freshness-backend'),
    import('backstage-plugin-image-freshness-backend-module-trivy'),
    import('backstage-plugin-image-freshness-backend-module-registry-probes'),
    // Kargo Warehouses for the repositories to monitor
    import('backstage-plugin-image-freshness-backend-module-kargo'),
    // rebuild triggers for managed images, off unless imageFreshness.rebuild is configured
    import('backstage-plugin-image-freshness-backend-module-rebuild'),
    // registry credentials from the clouds, each off unless configured
    import('backstage-plugin-image-freshness-backend-module-ecr'),
    import('backstage-plugin-image-freshness-backend-module-gcp'),
    import('backstage-plugin-image-freshness-backend-module-azure'),
    import('backstage-plugin-image-freshness-backend-module-github'),

    // Tech Insights: image-freshness facts and checks on them (the JSON rules engine)
    import('@backstage-community/plugin-tech-insights-backend'),
    import('@backstage-community/plugin-tech-insights-backend-module-jsonfc'),
    import('backstage-plugin-image-freshness-backend-module-tech-insights'),
    // owner notifications, off unless imageFreshness.notifications is configured
    import('backstage-plugin-image-freshness-backend-module-notifications'),
  ];
}
