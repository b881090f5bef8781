import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_MAX_AGE,
  EntityImageReport,
  parseDuration,
} from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';

/** The freshness limit the verdicts were made against, and where it came from. */
export interface FreshnessThreshold {
  maxAge: Duration;
  source: 'annotation' | 'backend' | 'default';
}

/** The backend's default `imageFreshness.maxAge`. */
const DEFAULT_MAX_AGE = Duration.fromObject({ days: 30 });

/**
 * The limit the backend says it judged against (its `imageFreshness.maxAge`,
 * or the entity's `image-freshness/max-age`), else the entity's annotation,
 * else the documented default of 30 days.
 */
export function freshnessThreshold(
  entity: Entity,
  report: Pick<EntityImageReport, 'maxAge'> | undefined,
): FreshnessThreshold {
  if (report?.maxAge) {
    const maxAge = Duration.fromISO(report.maxAge.duration);
    if (maxAge.isValid) {
      return {
        maxAge,
        source:
          report.maxAge.source === 'annotation' ? 'annotation' : 'backend',
      };
    }
  }
  const annotation = entity.metadata.annotations?.[ANNOTATION_MAX_AGE];
  if (annotation) {
    try {
      return {
        maxAge: parseDuration(annotation, ANNOTATION_MAX_AGE),
        source: 'annotation',
      };
    } catch {
      // the backend falls back to its default too; so do we, below
    }
  }
  return { maxAge: DEFAULT_MAX_AGE, source: 'default' };
}
