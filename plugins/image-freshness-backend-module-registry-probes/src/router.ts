import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { imageFreshnessHealthProbesReadPermission } from 'backstage-plugin-image-freshness-common';
import { requirePermission } from 'backstage-plugin-image-freshness-node';
import express from 'express';
import Router from 'express-promise-router';
import type { HealthProbes } from './HealthProbes';

/**
 * `GET /health-probes`: this backend instance's registry health probes and
 * the last result of each check (probes run on every instance; each answers
 * for itself). Needs user or service credentials allowed
 * `image-freshness.health-probes.read` (403 otherwise).
 */
export function createHealthProbesRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  probes: Pick<HealthProbes, 'status'>;
}): express.Router {
  const { httpAuth, permissions, probes } = options;
  const router = Router();
  router.get('/health-probes', async (req, res) => {
    await requirePermission({ httpAuth, permissions }, req, {
      permission: imageFreshnessHealthProbesReadPermission,
      what: 'Reading the health probes',
    });
    res.json(probes.status());
  });
  return router;
}
