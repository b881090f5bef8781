import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_REBUILD_DELAY,
  BaseImageReport,
  baseImageVerdict,
  parseDuration,
} from 'backstage-plugin-image-freshness-common';
import { DateTime, Duration } from 'luxon';
import { BaseImageStore, StoredBaseImage } from './BaseImageStore';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/**
 * Builds the base-images section of an entity's report from the store, with
 * verdicts as of now; never calls a registry or the source host.
 */
export class BaseImageReports {
  private readonly store: BaseImageStore;
  private readonly rebuildDelay: Duration;
  private readonly now: Clock;

  constructor(options: {
    store: BaseImageStore;
    /** `imageFreshness.rebuildDelay` (default 7 days). */
    rebuildDelay: Duration;
    now?: Clock;
  }) {
    this.store = options.store;
    this.rebuildDelay = options.rebuildDelay;
    this.now = options.now ?? systemClock;
  }

  /** The entity's rebuild delay: its annotation, else the configured one. */
  rebuildDelayFor(entity: Entity): Duration {
    return this.rebuildDelayFrom(
      entity.metadata.annotations?.[ANNOTATION_REBUILD_DELAY],
    );
  }

  /** A rebuild delay as written in the annotation, else the configured one. */
  private rebuildDelayFrom(value: string | undefined): Duration {
    if (!value) {
      return this.rebuildDelay;
    }
    try {
      return parseDuration(value, ANNOTATION_REBUILD_DELAY);
    } catch {
      return this.rebuildDelay;
    }
  }

  /**
   * Every entity's base-images section at once (for metrics snapshots), each
   * with its own rebuild delay as written in its annotation.
   */
  async forEntities(
    entities: ReadonlyArray<{ entityRef: string; rebuildDelay?: string }>,
  ): Promise<Map<string, BaseImageReport[]>> {
    const delays = new Map(
      entities.map(e => [e.entityRef, this.rebuildDelayFrom(e.rebuildDelay)]),
    );
    const now = DateTime.fromJSDate(this.now(), { zone: 'utc' });
    const byEntity = new Map<string, BaseImageReport[]>();
    for (const row of await this.store.listAllBaseImages()) {
      const delay = delays.get(row.entityRef);
      if (!delay) continue;
      const list = byEntity.get(row.entityRef) ?? [];
      list.push(toReport(row, delay, now));
      byEntity.set(row.entityRef, list);
    }
    return byEntity;
  }

  async build(entity: Entity): Promise<BaseImageReport[]> {
    return this.fromRows(
      entity,
      await this.store.getEntityBases(stringifyEntityRef(entity)),
    );
  }

  /** The entity's section from its rows as stored, with verdicts as of now. */
  fromRows(
    entity: Entity,
    rows: readonly StoredBaseImage[],
  ): BaseImageReport[] {
    const rebuildDelay = this.rebuildDelayFor(entity);
    const now = DateTime.fromJSDate(this.now(), { zone: 'utc' });
    return rows.map(row => toReport(row, rebuildDelay, now));
  }
}

/** One stored row as the API shows it, with its verdict as of `now`. */
export function toReport(
  row: StoredBaseImage,
  rebuildDelay: Duration,
  now: DateTime,
): BaseImageReport {
  const base = row.base;
  const iso = (date: Date | undefined) => date?.toISOString();
  const { verdict, rebuildDueAt } = baseImageVerdict({
    managed: row.managed,
    base: base && {
      name: base.name,
      scratch: base.scratch,
      tag: base.tag,
      builtOnDigest: base.builtOnDigest,
      builtOnInferred: base.builtOnInferred,
      currentDigest: base.currentDigest,
      movedAt: iso(base.movedAt),
      newestTag: base.newestTag,
      newerTagSince: iso(base.newerTagSince),
    },
    noBaseReason: row.noBaseReason,
    error: row.error,
    rebuildDelay,
    now,
  });
  return {
    image: row.image,
    imageDigest: row.imageDigest,
    managed: row.managed,
    base: base && {
      name: base.name,
      builtOnDigest: base.builtOnDigest,
      builtOnInferred: base.builtOnInferred,
      currentDigest: base.currentDigest,
      newestTag: base.newestTag,
      newerTags: base.newerTags,
      newerTagSince: iso(base.newerTagSince),
      strategy: base.strategy,
      movedAt: iso(base.movedAt),
      rebuildDueAt,
      checkedAt: iso(base.checkedAt),
      source: base.source,
    },
    verdict,
    error: row.error,
  };
}
