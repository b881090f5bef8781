import type {
  BaseImageReport,
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

/** One distinct image (reference and digest) and how many containers run it. */
export interface DistinctImage {
  image: string;
  digest?: string;
  created?: string;
  verdict: FreshnessVerdict;
  reason: string;
  containers: number;
  error?: ContainerReport['error'];
}

/** Containers grouped by image reference and digest, in first-seen order. */
export function distinctImages(containers: ContainerReport[]): DistinctImage[] {
  const byKey = new Map<string, DistinctImage>();
  for (const c of containers) {
    const key = `${c.image}@${c.metadata?.digest ?? ''}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.containers++;
      seen.error ??= c.error;
    } else {
      byKey.set(key, {
        image: c.image,
        digest: c.metadata?.digest,
        created: c.metadata?.created,
        verdict: c.freshness.verdict,
        reason: c.freshness.reason,
        containers: 1,
        error: c.error,
      });
    }
  }
  return [...byKey.values()];
}

/** Counts of base verdicts. */
export function summarizeBases(
  bases: BaseImageReport[],
): Record<BaseVerdict, number> {
  const counts: Record<BaseVerdict, number> = {
    current: 0,
    updated: 0,
    'rebuild-due': 0,
    unknown: 0,
  };
  for (const base of bases) {
    counts[base.verdict.verdict] = (counts[base.verdict.verdict] ?? 0) + 1;
  }
  return counts;
}
