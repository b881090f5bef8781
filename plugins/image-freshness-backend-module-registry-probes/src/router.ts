import type { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import type { HealthProbes } from './HealthProbes';

/**
 * `GET /health-probes`: this backend instance's registry health probes and
 * the last result of each check (probes run on every instance; each answers
 * for itself). Needs user or service credentials.
 */
export function createHealthProbesRouter(options: {
  httpAuth: HttpAuthService;
  probes: Pick<HealthProbes, 'status'>;
}): express.Router {
  const router = Router();
  router.get('/health-probes', async (req, res) => {
    await options.httpAuth.credentials(req, { allow: ['user', 'service'] });
    res.json(options.probes.status());
  });
  return router;
}
