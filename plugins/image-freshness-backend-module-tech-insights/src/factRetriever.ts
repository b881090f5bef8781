import type {
  FactRetriever,
  TechInsightFact,
} from '@backstage-community/plugin-tech-insights-node';
import { stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  type Clock,
  type ImageFreshnessFacts,
  mapLimit,
  reportFacts,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import { DateTime } from 'luxon';
import { ReportReader, ReportReadError } from './ReportReader';
import {
  IMAGE_FRESHNESS_FACT_RETRIEVER_ID,
  imageFreshnessFactSchema,
} from './schema';

/** Options for {@link createImageFreshnessFactRetriever}. @public */
export interface ImageFreshnessFactRetrieverOptions {
  /** The catalog, for the entities with image-freshness annotations. */
  catalog: CatalogService;
  /** Where "now" comes from (the age of the oldest image). */
  clock?: Clock;
  /** Reports read at once. @defaultValue 4 */
  concurrency?: number;
  /** How long one report may take, in milliseconds. @defaultValue 30000 */
  timeoutMs?: number;
}

/** Fact values as the tech-insights store takes them: datetimes as luxon. */
function toFactValues(facts: ImageFreshnessFacts): TechInsightFact['facts'] {
  const { refreshedAt, ...rest } = facts;
  return {
    ...rest,
    refreshedAt: DateTime.fromISO(refreshedAt, { zone: 'utc' }),
  };
}

/**
 * The image-freshness fact retriever: for every entity with image-freshness
 * annotations, reads its report from the image-freshness backend (as a
 * plugin-to-plugin call) and stores the facts {@link reportFacts} computes
 * from it. Entities without annotations, or never refreshed yet, get no
 * facts; a report that cannot be read is logged with its error class and
 * skipped, and the others go on.
 *
 * @public
 */
export function createImageFreshnessFactRetriever(
  options: ImageFreshnessFactRetrieverOptions,
): FactRetriever {
  const clock = options.clock ?? systemClock;
  const concurrency = options.concurrency ?? 4;
  return {
    id: IMAGE_FRESHNESS_FACT_RETRIEVER_ID,
    version: '0.1.0',
    title: 'Image freshness',
    description:
      'Stale images, oldest image age, rebuilds due, vulnerabilities and build times of the container images an entity runs',
    schema: imageFreshnessFactSchema,
    async handler({ discovery, auth, logger }) {
      const reader = new ReportReader({
        catalog: options.catalog,
        discovery,
        auth,
        timeoutMs: options.timeoutMs ?? 30_000,
      });
      const credentials = await auth.getOwnServiceCredentials();
      const entities = await reader.listEntities(credentials);
      const now = clock();
      const failures: Partial<Record<string, number>> = {};
      let notRefreshed = 0;
      const results = await mapLimit(entities, concurrency, async entity => {
        const entityRef = stringifyEntityRef(entity);
        try {
          const report = await reader.readReport(entity, credentials);
          const facts = reportFacts(report, now);
          if (!facts) {
            notRefreshed++;
            return undefined;
          }
          return { entity, facts: toFactValues(facts) };
        } catch (error) {
          const errorClass =
            error instanceof ReportReadError ? error.errorClass : 'UNKNOWN';
          failures[errorClass] = (failures[errorClass] ?? 0) + 1;
          logger.warn(`Skipped the image-freshness facts of ${entityRef}`, {
            entityRef,
            errorClass,
            error: error instanceof Error ? error.message : String(error),
          });
          return undefined;
        }
      });
      const facts = results.filter((r): r is TechInsightFact => Boolean(r));
      logger.info('Retrieved image-freshness facts', {
        entities: entities.length,
        facts: facts.length,
        notRefreshedYet: notRefreshed,
        failed: JSON.stringify(failures),
      });
      return facts;
    },
  };
}
