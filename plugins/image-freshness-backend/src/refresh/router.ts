import type {
  HttpAuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { NotFoundError, InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import { InFlight } from 'oci-client';
import { EntityStore } from './EntityStore';
import { EntityRefresher } from './EntityRefresher';
import { ReportBuilder } from './ReportBuilder';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

const entityParams = z.object({
  kind: z.string().min(1).max(253),
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
});

/** How long an entity must wait between manual refreshes (across replicas). */
const REFRESH_INTERVAL_MS = 60_000;

/**
 * The HTTP API. Every route reads the entity from the catalog with the
 * caller's credentials, so catalog permissions decide who sees what.
 */
export async function createRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  reports: ReportBuilder;
  refresher: EntityRefresher;
  store: EntityStore;
  logger: LoggerService;
  now?: Clock;
}): Promise<express.Router> {
  const { httpAuth, catalog, reports, refresher, store, logger } = options;
  const now = options.now ?? systemClock;
  const router = Router();
  router.use(express.json());

  /** Catalog reads under way, by token and entity; each removed once answered. */
  const reading = new InFlight<Entity | undefined>();

  async function readEntity(req: express.Request) {
    const parsed = entityParams.safeParse(req.params);
    if (!parsed.success) {
      throw new InputError(`Invalid entity reference: ${parsed.error.message}`);
    }
    const { kind, namespace, name } = parsed.data;
    // Every request's credentials are checked; requests with the very same
    // token for the same entity while the catalog is being asked share its
    // answer (the entity page asks for the report from its tab and its card
    // at once), so the catalog applies its permissions once for them.
    const credentials = await httpAuth.credentials(req);
    const token = req.headers.authorization;
    const read = () =>
      catalog.getEntityByRef({ kind, namespace, name }, { credentials });
    const entity = await (token
      ? reading.run(`${token}\n${kind}\n${namespace}\n${name}`, read)
      : read());
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
    const entityRef = stringifyEntityRef(entity);
    const claim = await store.claimManualRefresh(
      entityRef,
      now(),
      REFRESH_INTERVAL_MS,
    );
    if (!claim.claimed) {
      const seconds = Math.ceil(claim.retryAfterMs / 1000);
      res.setHeader('Retry-After', String(seconds));
      res.status(429).json({
        error: {
          name: 'TooManyRequestsError',
          message: `${entityRef} was refreshed less than ${
            REFRESH_INTERVAL_MS / 1000
          } s ago; try again in ${seconds} s`,
        },
        response: { statusCode: 429 },
      });
      return;
    }
    refresher.refresh(entity).catch(error =>
      logger.warn('Manual refresh failed', {
        entityRef,
        error: String(error),
      }),
    );
    res.status(202).json({ status: 'accepted' });
  });

  return router;
}

/**
 * Mounted after every other router of the plugin: a request no route answered
 * (an unknown path, or a method a route does not take) gets a JSON
 * NotFoundError like every other error of the API, not an empty 404.
 */
export function createNotFoundRouter(): express.Router {
  const router = Router();
  router.use(req => {
    throw new NotFoundError(
      `The image-freshness API has no route ${req.method} ${req.path}; its routes are listed in the plugin's README`,
    );
  });
  return router;
}
