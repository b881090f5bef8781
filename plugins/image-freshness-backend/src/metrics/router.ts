import type { HttpAuthService } from '@backstage/backend-plugin-api';
import express from 'express';
import Router from 'express-promise-router';
import { MetricsCollector } from './MetricsCollector';
import { MetricsSnapshot } from './MetricsSnapshot';

/**
 * `GET /metrics`: the Prometheus text exposition from the plugin's own
 * registries, rendered from the snapshot of the store. Unless `public`, only
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
    // Prometheus asks for gzip: the snapshot's part is compressed once per
    // snapshot, not per scrape.
    const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
    const { chunks, encoding } = await collector.exposition({ gzip });
    res.setHeader('Content-Type', collector.contentType);
    // no-transform keeps the backend's compression middleware off the body.
    res.setHeader('Cache-Control', 'no-store, no-transform');
    res.setHeader('Vary', 'Accept-Encoding');
    if (encoding) res.setHeader('Content-Encoding', encoding);
    res.setHeader(
      'Content-Length',
      chunks.reduce((n, chunk) => n + chunk.length, 0),
    );
    for (const chunk of chunks) res.write(chunk);
    res.end();
  });
  return router;
}
