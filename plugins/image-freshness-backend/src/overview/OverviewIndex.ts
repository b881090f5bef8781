import type { LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_MAX_AGE,
  ANNOTATION_REBUILD_DELAY,
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type { Duration } from 'luxon';
import type { BaseImageReports } from '../baseImages/BaseImageReports';
import type {
  BaseImageStore,
  StoredBaseImage,
} from '../baseImages/BaseImageStore';
import type { EntityStore, StoredEntity } from '../refresh/EntityStore';
import type { ReportBuilder } from '../refresh/ReportBuilder';
import { type ImageRow, imageRows } from './overviewRows';

/** The stored facts of every entity, as one load read them. */
class Facts {
  /** Each entity's rows, with the annotations they were made for. */
  private readonly rows = new Map<string, { key: string; rows: ImageRow[] }>();

  constructor(
    readonly loadedAt: Date,
    readonly entities: ReadonlyMap<string, StoredEntity>,
    readonly bases: ReadonlyMap<string, StoredBaseImage[]>,
    private readonly build: (
      entity: Entity,
      stored: StoredEntity,
      bases: StoredBaseImage[],
    ) => ImageRow[],
  ) {}

  /**
   * The entity's rows (none when the store has nothing on it), made once per
   * load and per value of the annotations its verdicts depend on.
   */
  rowsOf(entity: Entity, entityRef: string): ImageRow[] {
    const stored = this.entities.get(entityRef);
    if (!stored) return [];
    const annotations = entity.metadata.annotations ?? {};
    const key = `${annotations[ANNOTATION_MAX_AGE] ?? ''}\n${
      annotations[ANNOTATION_REBUILD_DELAY] ?? ''
    }`;
    const made = this.rows.get(entityRef);
    if (made?.key === key) return made.rows;
    const rows = this.build(entity, stored, this.bases.get(entityRef) ?? []);
    this.rows.set(entityRef, { key, rows });
    return rows;
  }
}

/**
 * Every stored entity's images with their verdicts, for the org-wide
 * overview. The facts (containers, image metadata, base rows) are read from
 * the stores in one go and kept; the verdicts are the entity report's
 * (ReportBuilder and BaseImageReports over the same facts), made once per
 * load. A request finding the facts older than `maxAge` is answered from
 * them while a reload runs; the first request, and the first after
 * `invalidate` (a refresh on this replica), waits for a load.
 */
export class OverviewIndex {
  private readonly store: Pick<EntityStore, 'getAllEntities'>;
  private readonly baseStore: Pick<BaseImageStore, 'listAllBaseImages'>;
  private readonly reports: Pick<ReportBuilder, 'assemble'>;
  private readonly baseReports: Pick<BaseImageReports, 'fromRows'>;
  private readonly logger: LoggerService;
  private readonly maxAgeMs: number;
  private readonly now: Clock;
  private facts?: Facts;
  private loading?: Promise<Facts>;
  /** Counts invalidations: a load begun before one is not kept. */
  private generation = 0;

  constructor(options: {
    store: Pick<EntityStore, 'getAllEntities'>;
    baseStore: Pick<BaseImageStore, 'listAllBaseImages'>;
    reports: Pick<ReportBuilder, 'assemble'>;
    baseReports: Pick<BaseImageReports, 'fromRows'>;
    logger: LoggerService;
    /** How old the facts may get before a request reloads them. */
    maxAge: Duration;
    now?: Clock;
  }) {
    this.store = options.store;
    this.baseStore = options.baseStore;
    this.reports = options.reports;
    this.baseReports = options.baseReports;
    this.logger = options.logger;
    this.maxAgeMs = options.maxAge.toMillis();
    this.now = options.now ?? systemClock;
  }

  /** The stored entities' refs and their rows, current as `maxAge` allows. */
  async current(): Promise<{
    entityRefs: string[];
    /** The rows of `entity`, stored as `entityRef` (one of `entityRefs`). */
    rowsOf: (entity: Entity, entityRef: string) => ImageRow[];
    computedAt: Date;
  }> {
    let facts = this.facts;
    if (!facts) {
      facts = await this.load();
    } else if (
      !this.loading &&
      this.now().getTime() - facts.loadedAt.getTime() > this.maxAgeMs
    ) {
      this.load().catch(error =>
        this.logger.warn('Could not reload the image overview', {
          error: String(error),
        }),
      );
    }
    const current = facts;
    return {
      entityRefs: [...current.entities.keys()],
      rowsOf: (entity, entityRef) => current.rowsOf(entity, entityRef),
      computedAt: current.loadedAt,
    };
  }

  /** Forgets the facts: the next request waits for a load (after a refresh changed them). */
  invalidate(): void {
    this.generation += 1;
    this.facts = undefined;
    this.loading = undefined;
  }

  private load(): Promise<Facts> {
    if (this.loading) return this.loading;
    const loading = this.loadOnce().finally(() => {
      if (this.loading === loading) this.loading = undefined;
    });
    this.loading = loading;
    return loading;
  }

  private async loadOnce(): Promise<Facts> {
    const generation = this.generation;
    const loadedAt = this.now();
    const [entities, baseRows] = await Promise.all([
      this.store.getAllEntities(),
      this.baseStore.listAllBaseImages(),
    ]);
    const bases = new Map<string, StoredBaseImage[]>();
    for (const row of baseRows) {
      const list = bases.get(row.entityRef) ?? [];
      list.push(row);
      bases.set(row.entityRef, list);
    }
    const facts = new Facts(
      loadedAt,
      new Map(entities.map(e => [e.entityRef, e])),
      bases,
      (entity, stored, rows) =>
        imageRows(
          this.reports.assemble({
            entity,
            stored,
            baseImages: this.baseReports.fromRows(entity, rows),
          }),
        ),
    );
    if (generation === this.generation) this.facts = facts;
    return facts;
  }
}
