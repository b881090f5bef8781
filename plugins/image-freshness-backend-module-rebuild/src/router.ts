import type {
  HttpAuthService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import type { ScmIntegrationRegistry } from '@backstage/integration';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  imageFreshnessRebuildTriggerPermission,
  type EntityRebuilds,
  type RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import {
  requirePermission,
  type EntityImageReports,
} from 'backstage-plugin-image-freshness-node';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { RebuildStore } from './RebuildStore';
import { baseMove, type RebuildTrigger } from './RebuildTrigger';
import { RebuildTargetError, resolveTarget } from './targets';

const entityParams = z.object({
  kind: z.string().min(1).max(253),
  namespace: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
});

const triggerBody = z.object({ image: z.string().min(1).max(1024) }).strict();

/** Says where a standing attempt is, for a refused manual trigger. */
function standing(attempt: RebuildAttempt): string {
  let run = '';
  if (attempt.run?.number) run = ` (run #${attempt.run.number})`;
  else if (attempt.run?.url) run = ` (${attempt.run.url})`;
  return attempt.outcome === 'pending'
    ? `a rebuild for base digest ${attempt.baseDigest} is being triggered since ${attempt.attemptedAt}`
    : `a rebuild for base digest ${attempt.baseDigest} was already triggered at ${attempt.attemptedAt}${run}; the next base move triggers again`;
}

/**
 * `GET /rebuilds/:kind/:namespace/:name`: the entity's rebuild attempts
 * (callers who may read the entity in the catalog). `POST
 * /rebuilds/:kind/:namespace/:name/trigger` `{ image }`: a manual rebuild of
 * a managed image whose base moved, for users with
 * `image-freshness.rebuild.trigger`, through the same claim and recording
 * as the scheduled trigger (201 with the attempt; 409 while one is pending
 * or after it triggered).
 */
export function createRebuildRouter(options: {
  httpAuth: HttpAuthService;
  permissions: PermissionsService;
  catalog: CatalogService;
  reports: EntityImageReports;
  integrations: ScmIntegrationRegistry;
  store: RebuildStore;
  trigger: RebuildTrigger;
}): express.Router {
  const { httpAuth, permissions, catalog, reports, store, trigger } = options;
  const router = Router();
  router.use(express.json());

  async function readEntity(req: express.Request): Promise<Entity> {
    const parsed = entityParams.safeParse(req.params);
    if (!parsed.success) {
      throw new InputError(`Invalid entity reference: ${parsed.error.message}`);
    }
    const credentials = await httpAuth.credentials(req);
    const entity = await catalog.getEntityByRef(parsed.data, { credentials });
    if (!entity) {
      const { kind, namespace, name } = parsed.data;
      throw new NotFoundError(
        `No entity ${kind}:${namespace}/${name} in the catalog, or you may not read it`,
      );
    }
    return entity;
  }

  router.get('/rebuilds/:kind/:namespace/:name', async (req, res) => {
    const entityRef = stringifyEntityRef(await readEntity(req));
    const body: EntityRebuilds = {
      entityRef,
      attempts: await store.listForEntity(entityRef),
    };
    res.json(body);
  });

  router.post('/rebuilds/:kind/:namespace/:name/trigger', async (req, res) => {
    const credentials = await requirePermission(
      { httpAuth, permissions },
      req,
      {
        permission: imageFreshnessRebuildTriggerPermission,
        what: 'Triggering a rebuild',
      },
    );
    const entity = await readEntity(req);
    const parsed = triggerBody.safeParse(req.body);
    if (!parsed.success) {
      throw new InputError(
        `Invalid request body: name the image as { "image": "<reference>" } (${parsed.error.message})`,
      );
    }
    const { image } = parsed.data;
    const report = await reports.build(entity);
    const base = report.baseImages.find(b => b.image === image);
    if (!base) {
      throw new NotFoundError(
        `${report.entityRef} has no image ${image} with a base in its report`,
      );
    }
    if (!base.managed) {
      throw new InputError(
        `${image} is not managed (no image-freshness/dockerfile): its builder is not in this entity's repository`,
      );
    }
    const due = baseMove(report.entityRef, base);
    if (!due) {
      throw new ConflictError(
        `The base of ${image} has not moved from the digest the image was built on (or its current digest is not known yet): nothing to rebuild`,
      );
    }
    let target;
    try {
      target = resolveTarget(entity, options.integrations);
    } catch (error) {
      if (error instanceof RebuildTargetError) {
        throw new InputError(`Cannot rebuild ${image}: ${error.message}`);
      }
      throw error;
    }
    const principal = credentials.principal as { userEntityRef?: string };
    const result = await trigger.trigger(due, target, {
      trigger: 'manual',
      triggeredBy: principal.userEntityRef,
    });
    if (!result.dispatched) {
      throw new ConflictError(`Not triggered: ${standing(result.attempt)}`);
    }
    res.status(201).json(result.attempt);
  });

  return router;
}
