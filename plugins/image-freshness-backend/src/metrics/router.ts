import type { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import { MetricsCollector } from './MetricsCollector';
import { MetricsSnapshot } from './MetricsSnapshot';

/**
 * `GET /metrics`: the Prometheus text exposition from the plugin's own
 * registry, rendered from the snapshot of the store. Unless `public`, only
 * services may read it (a `backend.auth.externalAccess` static token is one):
 * the series name every entity, whatever the catalog lets a user see.
 */
export function createMetricsRouter(options: {
  collector: MetricsCollector;
  snapshot: MetricsSnapshot;
  httpAuth: HttpAuthService;
  /** Serve without credentials (the plugin also adds an unauthenticated auth policy). */
  public: boolean;
}): express.Router {
  const { collector, snapshot, httpAuth } = options;
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (!options.public) {
      await httpAuth.credentials(req, { allow: ['service'] });
    }
    await snapshot.ensureCurrent();
    const text = await collector.render();
    res.setHeader('Content-Type', collector.contentType);
    res.setHeader('Cache-Control', 'no-store');
    // end(), not send(): send() would rewrite the Content-Type's parameters.
    res.end(text);
  });
  return router;
}
