import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Read the repository scans: `GET /scans` and `GET /scans/:repository`
 * (repositories, their tags, digests and vulnerability counts).
 *
 * @public
 */
export const imageFreshnessScansReadPermission = createPermission({
  name: 'image-freshness.scans.read',
  attributes: { action: 'read' },
});

/**
 * Read the registry health probes: `GET /health-probes` (registries,
 * repositories, probe tags and the last result of each check). Registered by
 * the registry-probes module.
 *
 * @public
 */
export const imageFreshnessHealthProbesReadPermission = createPermission({
  name: 'image-freshness.health-probes.read',
  attributes: { action: 'read' },
});

/**
 * Read the Kargo Warehouse export: `GET /kargo/warehouses` (every monitored
 * repository of every entity, with the entities built on it). Registered by
 * the kargo module; services need no permission.
 *
 * @public
 */
export const imageFreshnessKargoWarehousesReadPermission = createPermission({
  name: 'image-freshness.kargo.warehouses.read',
  attributes: { action: 'read' },
});

/**
 * Trigger a rebuild of a managed image by hand: `POST
 * /rebuilds/:kind/:namespace/:name/trigger` (a GitHub Actions
 * `workflow_dispatch` or a GitLab pipeline in the image's repository).
 * Registered by the rebuild module.
 *
 * @public
 */
export const imageFreshnessRebuildTriggerPermission = createPermission({
  name: 'image-freshness.rebuild.trigger',
  attributes: { action: 'create' },
});

/**
 * Every permission of the image-freshness plugin, for permission policies.
 * Entity reports are not among them: they follow the catalog's
 * `catalog.entity.read`.
 *
 * @public
 */
export const imageFreshnessPermissions = [
  imageFreshnessScansReadPermission,
  imageFreshnessHealthProbesReadPermission,
  imageFreshnessKargoWarehousesReadPermission,
  imageFreshnessRebuildTriggerPermission,
];
