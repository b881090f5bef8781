import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { imageFreshnessHealthProbesReadPermission } from 'backstage-plugin-image-freshness-common';
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
    const credentials = await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    });
    const [decision] = await permissions.authorize(
      [{ permission: imageFreshnessHealthProbesReadPermission }],
      { credentials },
    );
    if (decision.result === AuthorizeResult.DENY) {
      throw new NotAllowedError(
        `Reading the health probes needs the ${imageFreshnessHealthProbesReadPermission.name} permission`,
      );
    }
    res.json(probes.status());
  });
  return router;
}
