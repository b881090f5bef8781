import type { LoggerService } from '@backstage/backend-plugin-api';
import { Duration } from 'luxon';
import type {
  BaseImageStore,
  TagCandidate,
} from '../baseImages/BaseImageStore';
import { runWorkLoop } from '../lib/workLoop';
import type { ScanTarget } from './config';
import type { RepositoryScanner } from './RepositoryScanner';
import type { RepositoryScan, ScanStore } from './ScanStore';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** How often the scan task looks for due repositories by default (its schedule's frequency). */
export const DEFAULT_SCAN_TASK_PERIOD = Duration.fromObject({ minutes: 5 });

/**
 * The scheduled scan loop (one replica at a time), in the work-loop shape:
 * forgets scans no longer configured, then scans every repository whose last
 * scan is older than its interval (a failed one sooner; never scanned first,
 * then the longest ago), one repository after another, stores each result, and hands a base image's result to TagDiscovery as that tracking
 * policy's discovery, so the base-image "newest allowed tag" comes from the
 * scan and the refresh lists no tags of its own while scans keep it fresh.
 */
export class ScanTask {
  private readonly targets: ScanTarget[];
  private readonly scanner: Pick<RepositoryScanner, 'scan'>;
  private readonly store: ScanStore;
  private readonly discoveries?: Pick<
    BaseImageStore,
    'getTagDiscovery' | 'putTagDiscovery'
  >;
  private readonly logger: LoggerService;
  private readonly period: Duration;
  private readonly now: Clock;

  constructor(options: {
    targets: ScanTarget[];
    scanner: Pick<RepositoryScanner, 'scan'>;
    store: ScanStore;
    /** Where TagDiscovery keeps discoveries (the base-image store). */
    discoveries?: Pick<BaseImageStore, 'getTagDiscovery' | 'putTagDiscovery'>;
    logger: LoggerService;
    /**
     * How often the task runs (its schedule's frequency): a failed scan is
     * tried again a period later (or after its interval, when shorter), and a
     * discovery is trusted a period past its next scan.
     */
    period?: Duration;
    now?: Clock;
  }) {
    this.targets = options.targets;
    this.period = options.period ?? DEFAULT_SCAN_TASK_PERIOD;
    this.scanner = options.scanner;
    this.store = options.store;
    this.discoveries = options.discoveries;
    this.logger = options.logger;
    this.now = options.now ?? systemClock;
  }

  /** Scans what is due; stops between repositories when `signal` aborts. */
  async run(
    signal?: AbortSignal,
  ): Promise<{ scanned: number; failed: number }> {
    const removed = await this.store.deleteScansExcept(
      this.targets.map(t => ({
        repository: t.policy.repository,
        key: t.policy.key,
      })),
    );
    if (removed > 0) {
      this.logger.info('Removed scans no longer configured', { removed });
    }
    const stored = new Map(
      (await this.store.listScans()).map(s => [`${s.repository}|${s.key}`, s]),
    );
    const previousOf = (target: ScanTarget) =>
      stored.get(`${target.policy.repository}|${target.policy.key}`);
    const { processed, failed } = await runWorkLoop({
      listDue: async ({ now, limit }) =>
        this.targets
          .map(target => ({ target, previous: previousOf(target) }))
          .filter(({ target, previous }) => this.isDue(target, now, previous))
          .sort(
            (a, b) =>
              (a.previous?.lastScanTime?.getTime() ?? -1) -
              (b.previous?.lastScanTime?.getTime() ?? -1),
          )
          .slice(0, limit),
      process: ({ target, previous }) => this.scanOne(target, previous),
      onError: ({ target }, error) =>
        this.logger.warn('Could not scan repository', {
          repository: target.policy.repository,
          source: target.source,
          error: String(error),
        }),
      batchSize: this.targets.length,
      signal,
      now: this.now,
    });
    return { scanned: processed + failed, failed };
  }

  /** Scans one repository and stores the result; answers `'failed'` for a failed scan, stored as such. */
  private async scanOne(
    target: ScanTarget,
    previous?: RepositoryScan,
  ): Promise<'failed' | undefined> {
    const started = performance.now();
    const scan = await this.scanner.scan(target, previous);
    await this.store.saveScan(scan);
    if (scan.lastScanStatus === 'Failed') {
      this.logger.warn('Repository scan failed; the last good result is kept', {
        repository: target.policy.repository,
        source: target.source,
        errorClass: scan.error?.class ?? 'UNKNOWN',
        error: scan.message ?? '',
      });
      return 'failed';
    }
    this.logger.info('Scanned repository', {
      repository: target.policy.repository,
      source: target.source,
      sort: target.sort,
      tags: scan.tagCount ?? 0,
      kept: scan.images.length,
      unreadable: scan.images.filter(i => i.error).length,
      durationMs: Math.round(performance.now() - started),
    });
    if (target.source === 'base-image') {
      await this.feedDiscovery(target, scan);
    }
    return undefined;
  }

  private isDue(
    target: ScanTarget,
    now: Date,
    previous?: RepositoryScan,
  ): boolean {
    if (!previous?.lastScanTime) return true;
    const interval = target.interval.toMillis();
    const wait =
      previous.lastScanStatus === 'Failed'
        ? Math.min(interval, this.period.toMillis())
        : interval;
    return now.getTime() - previous.lastScanTime.getTime() >= wait;
  }

  /**
   * Stores the scan as the policy's tag discovery, in TagDiscovery's shape:
   * tags with when each was first seen (kept from the last discovery), and
   * for NewestBuild the digest and build time of each tag that could be read.
   * It is trusted until the next scan is due (plus one task period).
   */
  private async feedDiscovery(
    target: ScanTarget,
    scan: RepositoryScan,
  ): Promise<void> {
    if (!this.discoveries || !scan.lastScanTime) return;
    const at = scan.lastScanTime;
    const previous = await this.discoveries.getTagDiscovery(
      target.policy.repository,
      target.policy.key,
    );
    const firstSeen = new Map(
      (previous?.candidates ?? []).map(c => [c.tag, c.firstSeen]),
    );
    const newestBuild = target.sort === 'newest-build';
    const candidates: TagCandidate[] = scan.images
      .filter(i => !newestBuild || !i.error)
      .map(i => ({
        tag: i.tag,
        firstSeen: firstSeen.get(i.tag) ?? at.toISOString(),
        ...(newestBuild ? { digest: i.digest, created: i.created } : {}),
      }));
    await this.discoveries.putTagDiscovery({
      repository: target.policy.repository,
      policyKey: target.policy.key,
      candidates,
      checkedAt: at,
      expiresAt: new Date(
        at.getTime() + target.interval.toMillis() + this.period.toMillis(),
      ),
    });
  }
}
