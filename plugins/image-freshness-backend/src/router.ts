import type {
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { NotFoundError, InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { EntityRefresher } from './service/EntityRefresher';
import { ReportBuilder } from './service/ReportBuilder';

const entityParams = z.object({
  kind: z.string().min(1).max(253),
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
});

/** Seconds an entity must wait between manual refreshes. */
const REFRESH_COOLDOWN_MS = 30_000;

/**
 * The HTTP API. Every route reads the entity from the catalog with the
 * caller's credentials, so catalog permissions decide who sees what.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  reports: ReportBuilder;
  refresher: EntityRefresher;
  logger: LoggerService;
}): Promise<express.Router> {
  const { httpAuth, catalog, reports, refresher, logger } = options;
  const router = Router();
  router.use(express.json());
  const lastManualRefresh = new Map<string, number>();

  async function readEntity(req: express.Request) {
    const parsed = entityParams.safeParse(req.params);
    if (!parsed.success) {
      throw new InputError(`Invalid entity reference: ${parsed.error.message}`);
    }
    const { kind, namespace, name } = parsed.data;
    const credentials = await httpAuth.credentials(req);
    const entity = await catalog.getEntityByRef(
      { kind, namespace, name },
      { credentials },
    );
    if (!entity) {
      throw new NotFoundError(
        `No entity ${kind}:${namespace}/${name} in the catalog, or you may not read it`,
      );
    }
    return entity;
  }

  router.get('/entities/:kind/:namespace/:name', async (req, res) => {
    const entity = await readEntity(req);
    res.json(await reports.build(entity));
  });

  router.post('/entities/:kind/:namespace/:name/refresh', async (req, res) => {
    const entity = await readEntity(req);
    const key =
      `${req.params.kind}:${req.params.namespace}/${req.params.name}`.toLocaleLowerCase(
        'en-US',
      );
    const last = lastManualRefresh.get(key) ?? 0;
    const wait = last + REFRESH_COOLDOWN_MS - Date.now();
    if (wait > 0) {
      res.setHeader('Retry-After', Math.ceil(wait / 1000));
      res.status(429).json({
        error: {
          name: 'TooManyRequests',
          message: `This entity was refreshed less than ${
            REFRESH_COOLDOWN_MS / 1000
          } s ago; try again in ${Math.ceil(wait / 1000)} s`,
        },
      });
      return;
    }
    lastManualRefresh.set(key, Date.now());
    refresher.refresh(entity).catch(error =>
      logger.warn('Manual refresh failed', {
        entity: key,
        error: String(error),
      }),
    );
    res.status(202).json({ status: 'accepted' });
  });

  return router;
}
