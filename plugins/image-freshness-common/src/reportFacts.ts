import { DateTime } from 'luxon';
import type {
  BaseImageReport,
  BaseVerdict,
  ContainerReport,
  EntityImageReport,
  FreshnessVerdict,
  ImageMetadata,
} from './api';

/**
 * Whether the digest a pod runs differs from the one its tag points at now.
 *
 * @public
 */
export type Drift = 'in-sync' | 'drift' | 'not-reported' | 'unknown';

/**
 * Compares the running digest (pods only) with the tag's current digest. A
 * multi-arch image runs under its index digest, so either digest counts as
 * the same image.
 *
 * @public
 */
export function driftOf(
  runningDigest: string | undefined,
  metadata: Pick<ImageMetadata, 'digest' | 'indexDigest'> | undefined,
): Drift {
  if (!runningDigest) {
    return 'not-reported';
  }
  if (!metadata) {
    return 'unknown';
  }
  return runningDigest === metadata.digest ||
    runningDigest === metadata.indexDigest
    ? 'in-sync'
    : 'drift';
}

/**
 * One distinct image (reference and digest) and how many containers run it.
 *
 * @public
 */
export interface DistinctImage {
  image: string;
  digest?: string;
  created?: string;
  verdict: FreshnessVerdict;
  reason: string;
  containers: number;
  error?: ContainerReport['error'];
  vulnerabilities?: ContainerReport['vulnerabilities'];
}

/**
 * Containers grouped by image reference and digest, in first-seen order: a
 * Deployment, its ReplicaSet and its Pods running one image count once.
 *
 * @public
 */
export function distinctImages(containers: ContainerReport[]): DistinctImage[] {
  const byKey = new Map<string, DistinctImage>();
  for (const c of containers) {
    const key = `${c.image}@${c.metadata?.digest ?? ''}`;
    const seen = byKey.get(key);
    if (seen) {
      seen.containers++;
      seen.error ??= c.error;
      seen.vulnerabilities ??= c.vulnerabilities;
    } else {
      byKey.set(key, {
        image: c.image,
        digest: c.metadata?.digest,
        created: c.metadata?.created,
        verdict: c.freshness.verdict,
        reason: c.freshness.reason,
        containers: 1,
        error: c.error,
        vulnerabilities: c.vulnerabilities,
      });
    }
  }
  return [...byKey.values()];
}

/**
 * Counts of base verdicts.
 *
 * @public
 */
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

/**
 * What a scorecard scores about one entity's images, computed from its
 * report by {@link reportFacts}. Counts are of distinct images (a Deployment,
 * its ReplicaSet and its Pods running one image count once), except
 * `driftingContainers`.
 *
 * @public
 */
export interface ImageFreshnessFacts {
  /** Distinct images the entity runs or declares. */
  images: number;
  /** Images older than the entity's freshness limit. */
  staleImages: number;
  /** Images past half of the limit. */
  agingImages: number;
  /** Images resolved, but recording no build time. */
  imagesWithUnknownBuildTime: number;
  /** Images whose last resolve failed (the error is on the entity's tab). */
  imagesWithErrors: number;
  /** Age in whole days of the image built longest ago; absent when no image records a build time. */
  oldestImageAgeDays?: number;
  /** Bases that moved longer than the rebuild delay ago: a rebuild is due. */
  rebuildsDue: number;
  /** Bases that moved, the rebuild not yet due. */
  basesUpdated: number;
  /** Critical vulnerabilities summed over the images' last scans. */
  criticalVulnerabilities: number;
  /** High vulnerabilities summed over the images' last scans. */
  highVulnerabilities: number;
  /** Resolved images without a vulnerability scan (no scanner, or not scanned yet). */
  imagesNotScanned: number;
  /** Pod containers running another digest than the one their tag points at now. */
  driftingContainers: number;
  /** When the image-freshness backend last refreshed the entity (ISO 8601). */
  refreshedAt: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The scorecard facts of one entity's report, as of `now`; undefined for a
 * report that was never refreshed (nothing is known yet, and zero stale
 * images would wrongly pass a check).
 *
 * @public
 */
export function reportFacts(
  report: EntityImageReport,
  now: Date,
): ImageFreshnessFacts | undefined {
  if (!report.refreshedAt) {
    return undefined;
  }
  const images = distinctImages(report.containers);
  const count = (test: (image: DistinctImage) => boolean) =>
    images.filter(test).length;
  let oldestMillis = Infinity;
  let critical = 0;
  let high = 0;
  for (const image of images) {
    const created = image.created
      ? DateTime.fromISO(image.created).toMillis()
      : NaN;
    if (Number.isFinite(created) && created < oldestMillis) {
      oldestMillis = created;
    }
    critical += image.vulnerabilities?.counts.CRITICAL ?? 0;
    high += image.vulnerabilities?.counts.HIGH ?? 0;
  }
  const bases = summarizeBases(report.baseImages);
  return {
    images: images.length,
    staleImages: count(i => i.verdict === 'stale'),
    agingImages: count(i => i.verdict === 'aging'),
    imagesWithUnknownBuildTime: count(i => Boolean(i.digest) && !i.created),
    imagesWithErrors: count(i => Boolean(i.error)),
    ...(Number.isFinite(oldestMillis)
      ? {
          oldestImageAgeDays: Math.max(
            0,
            Math.floor((now.getTime() - oldestMillis) / DAY_MS),
          ),
        }
      : {}),
    rebuildsDue: bases['rebuild-due'],
    basesUpdated: bases.updated,
    criticalVulnerabilities: critical,
    highVulnerabilities: high,
    imagesNotScanned: count(i => Boolean(i.digest) && !i.vulnerabilities),
    driftingContainers: report.containers.filter(
      c => driftOf(c.runningDigest, c.metadata) === 'drift',
    ).length,
    refreshedAt: report.refreshedAt,
  };
}
