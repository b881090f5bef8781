import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import { OVERVIEW_VERDICTS } from 'backstage-plugin-image-freshness-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { OverviewIndex } from './OverviewIndex';
import { overviewPage } from './overviewRows';

/** The most rows one page holds. */
export const OVERVIEW_MAX_LIMIT = 200;

/** A filter given once (`?owner=a`), repeated (`?owner=a&owner=b`) or comma separated. */
function list<T extends z.ZodTypeAny>(item: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform(value =>
      (Array.isArray(value) ? value : [value])
        .flatMap(v => v.split(','))
        .map(v => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1).max(50));
}

const overviewQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(OVERVIEW_MAX_LIMIT).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    owner: list(z.string().max(512)).optional(),
    system: list(z.string().max(512)).optional(),
    registry: list(z.string().max(512)).optional(),
    verdict: list(z.enum(OVERVIEW_VERDICTS)).optional(),
    q: z.string().trim().max(200).optional(),
  })
  .strict();

/**
 * The least the catalog can answer per entity: enough to tell the entities
 * the caller may read (the others answer null).
 */
const READ_CHECK_FIELDS = ['kind'];

/**
 * `GET /overview`: every image of every entity the caller may read in the
 * catalog, one row per entity and image, most urgent first, with counts per
 * owner. On every request the catalog is asked, with the caller's
 * credentials, which of the entities with rows the caller may read; only
 * their rows, counts, owners and filter values are answered.
 */
export function createOverviewRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  index: Pick<OverviewIndex, 'current'>;
}): express.Router {
  const { httpAuth, catalog, index } = options;
  const router = Router();

  router.get('/overview', async (req, res) => {
    const credentials = await httpAuth.credentials(req);
    const parsed = overviewQuery.safeParse(req.query);
    if (!parsed.success) {
      throw new InputError(
        `Invalid overview query: ${parsed.error.issues
          .map(i => `${i.path.join('.') || 'query'}: ${i.message}`)
          .join(
            '; ',
          )}. Parameters: limit (1–${OVERVIEW_MAX_LIMIT}), offset, owner, system, registry, verdict (${OVERVIEW_VERDICTS.join(
          ', ',
        )}), q`,
      );
    }
    const current = await index.current();
    const { items } =
      current.entityRefs.length === 0
        ? { items: [] }
        : await catalog.getEntitiesByRefs(
            { entityRefs: current.entityRefs, fields: READ_CHECK_FIELDS },
            { credentials },
          );
    const readable = new Set(current.entityRefs.filter((_, i) => items[i]));
    res.json(
      overviewPage(current.rows, readable, parsed.data, current.computedAt),
    );
  });

  return router;
}
