import type { CompoundEntityRef } from '@backstage/catalog-model';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';

/** The id of the image-freshness fact retriever in Tech Insights. */
export const IMAGE_FRESHNESS_FACT_RETRIEVER_ID = 'image-freshness';

/** A Tech Insights check on image-freshness facts, and its result for one entity. @public */
export interface ImageFreshnessCheckResult {
  id: string;
  name: string;
  description: string;
  /** Absent when the entity has no image-freshness facts yet. */
  result?: boolean;
}

/** What the Tech Insights backend answers about an entity's image-freshness checks. @public */
export type ImageFreshnessChecks =
  | { installed: false }
  | { installed: true; checks: ImageFreshnessCheckResult[] };

interface TechInsightsCheck {
  id: string;
  name: string;
  description: string;
  factIds: string[];
}

/**
 * Reads the Tech Insights checks on image-freshness facts and runs them for
 * an entity, through the Tech Insights backend's API (`GET /checks`, `POST
 * /checks/run/:namespace/:kind/:name`): the scorecard the community Tech
 * Insights frontend would show, for apps without it.
 *
 * @public
 */
export class ImageFreshnessChecksClient {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async runChecks(entity: CompoundEntityRef): Promise<ImageFreshnessChecks> {
    const base = await this.discoveryApi.getBaseUrl('tech-insights');
    const listed = await this.fetchApi.fetch(`${base}/checks`);
    if (listed.status === 404) {
      return { installed: false };
    }
    if (!listed.ok) {
      throw await ResponseError.fromResponse(listed);
    }
    const checks = ((await listed.json()) as TechInsightsCheck[]).filter(c =>
      c.factIds.includes(IMAGE_FRESHNESS_FACT_RETRIEVER_ID),
    );
    if (checks.length === 0) {
      return { installed: true, checks: [] };
    }
    const path = [entity.namespace, entity.kind, entity.name]
      .map(encodeURIComponent)
      .join('/');
    const run = await this.fetchApi.fetch(`${base}/checks/run/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ checks: checks.map(c => c.id) }),
    });
    if (!run.ok) {
      throw await ResponseError.fromResponse(run);
    }
    const results = (await run.json()) as Array<{
      check: { id: string };
      result: boolean;
    }>;
    const byId = new Map(results.map(r => [r.check.id, r.result]));
    return {
      installed: true,
      checks: checks.map(c => ({
        id: c.id,
        name: c.name,
        description: c.description,
        result: byId.get(c.id),
      })),
    };
  }
}
