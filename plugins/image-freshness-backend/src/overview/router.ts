import type { HttpAuthService } from '@backstage/backend-plugin-api';
import { InputError } from '@backstage/errors';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  OVERVIEW_VERDICTS,
  type OverviewRow,
} from 'backstage-plugin-image-freshness-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import type { OverviewIndex } from './OverviewIndex';
import { overviewPage, ownership } from './overviewRows';

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

/** What the overview reads of each entity: its ref, title, annotations (for its limits), owner and system. */
const ENTITY_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'metadata.annotations',
  'relations',
  'spec.owner',
  'spec.system',
];

/**
 * `GET /overview`: every image of every entity the caller may read in the
 * catalog, one row per entity and image, most urgent first, with counts per
 * owner. The catalog is asked with the caller's credentials for the
 * entities the store holds, so its permissions decide which rows, counts
 * and owners the caller sees.
 */
export function createOverviewRouter(options: {
  httpAuth: HttpAuthService;
  catalog: CatalogService;
  index: OverviewIndex;
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
            { entityRefs: current.entityRefs, fields: ENTITY_FIELDS },
            { credentials },
          );
    const rows: OverviewRow[] = [];
    items.forEach((entity, i) => {
      // absent: not in the catalog, or the caller may not read it
      if (!entity) return;
      const owned = ownership(entity);
      for (const row of current.rowsOf(entity, current.entityRefs[i])) {
        rows.push({ ...row, ...owned });
      }
    });
    res.json(overviewPage(rows, parsed.data, current.computedAt));
  });

  return router;
}
