import type { LoggerService } from '@backstage/backend-plugin-api';
import { Duration } from 'luxon';
import { imageRegistry } from 'oci-client';
import type { EntityStore } from '../refresh/EntityStore';
import type { SnapshotEntity } from './series';
import type { BaseImageReport } from 'backstage-plugin-image-freshness-common';
import { MetricsCollector } from './MetricsCollector';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** Where the snapshot reads base-image verdicts (the base-image report builder). */
export interface BaseImagesSource {
  forEntities(
    entities: ReadonlyArray<{ entityRef: string; rebuildDelay?: string }>,
  ): Promise<Map<string, BaseImageReport[]>>;
}

/**
 * Keeps the collector's store-derived series current: reloads them from the
 * store after every scheduled refresh on this replica, and, on every replica,
 * when a scrape finds them older than `maxAge` (in the background: the scrape
 * answers from the snapshot it has). Only the first scrape waits for a load.
 * A failed load is logged and the previous snapshot stays.
 */
export class MetricsSnapshot {
  private readonly store: Pick<EntityStore, 'getAllEntities'>;
  private readonly baseImages?: BaseImagesSource;
  private readonly collector: MetricsCollector;
  private readonly logger: LoggerService;
  private readonly maxAgeMs: number;
  private readonly now: Clock;
  private loadedAt?: Date;
  private loading?: Promise<void>;

  constructor(options: {
    store: Pick<EntityStore, 'getAllEntities'>;
    /** Base-image facts per entity, for `container_image_base_info` and `_rebuild_due`. */
    baseImages?: BaseImagesSource;
    collector: MetricsCollector;
    logger: LoggerService;
    /** How old a snapshot may get before a scrape reloads it. */
    maxAge: Duration;
    now?: Clock;
  }) {
    this.store = options.store;
    this.baseImages = options.baseImages;
    this.collector = options.collector;
    this.logger = options.logger;
    this.maxAgeMs = options.maxAge.toMillis();
    this.now = options.now ?? systemClock;
  }

  /** Called before each scrape. */
  async ensureCurrent(): Promise<void> {
    if (!this.loadedAt) {
      await (this.loading ?? this.load());
      return;
    }
    if (
      !this.loading &&
      this.now().getTime() - this.loadedAt.getTime() > this.maxAgeMs
    ) {
      void this.load();
    }
  }

  /** Reloads now, after any load under way (which may predate a change). */
  reload(): Promise<void> {
    return this.load();
  }

  /**
   * Runs a scheduled refresh (`run`), records its duration and end, counts
   * the resolve and source errors it stored, and reloads the snapshot.
   */
  async recordRefresh<T>(run: () => Promise<T>): Promise<T> {
    const startedAt = this.now();
    const result = await run();
    const finishedAt = this.now();
    this.collector.observeRefresh({ startedAt, finishedAt });
    await this.load({ errorsBetween: { startedAt, finishedAt } });
    return result;
  }

  private load(
    options: { errorsBetween?: { startedAt: Date; finishedAt: Date } } = {},
  ): Promise<void> {
    // One load at a time, in order: a later read is never overwritten by an earlier one.
    const previous = this.loading ?? Promise.resolve();
    const loading: Promise<void> = previous
      .then(() => this.loadOnce(options))
      .finally(() => {
        if (this.loading === loading) this.loading = undefined;
      });
    this.loading = loading;
    return loading;
  }

  private async loadOnce(options: {
    errorsBetween?: { startedAt: Date; finishedAt: Date };
  }): Promise<void> {
    const started = this.now();
    try {
      const entities = await this.withBaseImages(
        await this.store.getAllEntities(),
      );
      const summary = await this.collector.applySnapshot(entities, started);
      this.loadedAt = started;
      if (options.errorsBetween) {
        this.countErrors(entities, options.errorsBetween);
      }
      this.logger.debug('Loaded the metrics snapshot', {
        entities: entities.length,
        series: Object.values(summary.series).reduce((a, b) => a + b, 0),
        durationMs: this.now().getTime() - started.getTime(),
      });
    } catch (error) {
      this.logger.warn('Could not load the metrics snapshot from the store', {
        error: String(error),
      });
    }
  }

  private async withBaseImages(
    entities: SnapshotEntity[],
  ): Promise<SnapshotEntity[]> {
    if (!this.baseImages) return entities;
    const bases = await this.baseImages.forEntities(
      entities.map(e => ({
        entityRef: e.entityRef,
        rebuildDelay: e.info.rebuildDelay,
      })),
    );
    return entities.map(e => ({
      ...e,
      baseImages: bases.get(e.entityRef) ?? [],
    }));
  }

  /** Counts the container and source errors a refresh run stored (their time falls within the run). */
  private countErrors(
    entities: readonly SnapshotEntity[],
    run: { startedAt: Date; finishedAt: Date },
  ) {
    const from = run.startedAt.getTime();
    const to = run.finishedAt.getTime();
    const within = (error: { at: string }) => {
      const at = Date.parse(error.at);
      return at >= from && at <= to;
    };
    const resolveErrors: Array<[string, string]> = [];
    const sourceErrors: Array<[string, string]> = [];
    for (const entity of entities) {
      for (const c of entity.containers) {
        if (c.error && within(c.error)) {
          resolveErrors.push([imageRegistry(c.image), c.error.class]);
        }
      }
      for (const error of entity.errors) {
        if (within(error)) sourceErrors.push([error.source, error.class]);
      }
    }
    for (const [host, error, n] of tally(resolveErrors)) {
      this.collector.observeResolveError(host, error, n);
    }
    for (const [source, error, n] of tally(sourceErrors)) {
      this.collector.observeSourceError(source, error, n);
    }
  }
}

/** How often each pair occurs. */
function tally(
  pairs: Array<[string, string]>,
): Array<[string, string, number]> {
  const counts = new Map<string, [string, string, number]>();
  for (const [a, b] of pairs) {
    const key = `${a}\n${b}`;
    const entry = counts.get(key) ?? [a, b, 0];
    entry[2] += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}
