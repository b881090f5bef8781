import type {
  BaseVerdict,
  ContainerReport,
  FreshnessVerdict,
} from 'backstage-plugin-image-freshness-common';
import { DateTime } from 'luxon';
import { driftOf } from './format';

/** Freshness verdicts from best to worst; sorting and legends follow it. */
export const FRESHNESS_ORDER: FreshnessVerdict[] = [
  'fresh',
  'aging',
  'stale',
  'unknown',
];

/** Base verdicts from best to worst. */
export const BASE_ORDER: BaseVerdict[] = [
  'current',
  'updated',
  'rebuild-due',
  'unknown',
];

/** How bad a verdict is, for sorting: stale before aging before fresh. */
export function severity(verdict: FreshnessVerdict | BaseVerdict): number {
  switch (verdict) {
    case 'stale':
    case 'rebuild-due':
      return 3;
    case 'aging':
    case 'updated':
      return 2;
    case 'unknown':
      return 1;
    default:
      return 0;
  }
}

/** What the summary shows about an entity's containers. */
export interface ContainerSummary {
  containers: number;
  counts: Record<FreshnessVerdict, number>;
  /** Containers whose last resolve failed. */
  errors: number;
  /** Pods running another digest than the tag's current one. */
  drift: number;
  /** The image built longest ago, with its build time. */
  oldest?: { image: string; created: string; verdict: FreshnessVerdict };
}

export function summarizeContainers(
  containers: ContainerReport[],
): ContainerSummary {
  const counts: Record<FreshnessVerdict, number> = {
    fresh: 0,
    aging: 0,
    stale: 0,
    unknown: 0,
  };
  let errors = 0;
  let drift = 0;
  let oldest: ContainerSummary['oldest'];
  let oldestMillis = Infinity;
  for (const container of containers) {
    counts[container.freshness.verdict] =
      (counts[container.freshness.verdict] ?? 0) + 1;
    if (container.error) errors++;
    if (driftOf(container.runningDigest, container.metadata) === 'drift') {
      drift++;
    }
    const created = container.metadata?.created;
    if (created) {
      const millis = DateTime.fromISO(created).toMillis();
      if (Number.isFinite(millis) && millis < oldestMillis) {
        oldestMillis = millis;
        oldest = {
          image: container.image,
          created,
          verdict: container.freshness.verdict,
        };
      }
    }
  }
  return { containers: containers.length, counts, errors, drift, oldest };
}

export {
  distinctImages,
  summarizeBases,
  type DistinctImage,
} from 'backstage-plugin-image-freshness-common';
