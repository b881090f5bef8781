import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  type Clock,
  type OverviewRow,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type { Duration } from 'luxon';
import type { BaseImageReports } from '../baseImages/BaseImageReports';
import type {
  BaseImageStore,
  StoredBaseImage,
} from '../baseImages/BaseImageStore';
import type { EntityStore } from '../refresh/EntityStore';
import type { ReportBuilder } from '../refresh/ReportBuilder';
import { byUrgency, imageRows, ownership } from './overviewRows';

/** What a load reads of each entity: its ref, title, the annotations its verdicts depend on, owner and system. */
export const LOAD_FIELDS = [
  'kind',
  'metadata.namespace',
  'metadata.name',
  'metadata.title',
  'metadata.annotations.image-freshness/max-age',
  'metadata.annotations.image-freshness/rebuild-delay',
  'relations',
  'spec.owner',
  'spec.system',
];

/** Every row, as one load made them. */
export interface OverviewSnapshot {
  /** The entities with rows, in the order the catalog is asked about them. */
  entityRefs: string[];
  /** Every row of those entities, most urgent first. */
  rows: OverviewRow[];
  /** When the facts were read and the verdicts made. */
  computedAt: Date;
}

/**
 * Every stored entity's images with their verdicts, owner and system, for
 * the org-wide overview, most urgent first. A load reads the facts from the
 * stores (containers, image metadata, base rows) and the entities from the
 * catalog (with the plugin's own credentials: title, the limit annotations,
 * owner, system) in one go, and makes the entity report's verdicts
 * (ReportBuilder and BaseImageReports over the same facts). A request
 * finding the snapshot older than `maxAge` is answered from it while a
 * reload runs; the first request, and the first after `invalidate` (a
 * refresh on this replica), waits for a load. Which rows a caller sees is
 * decided per request (see router.ts), never here.
 */
export class OverviewIndex {
  private readonly store: Pick<EntityStore, 'getAllEntities'>;
  private readonly baseStore: Pick<BaseImageStore, 'listAllBaseImages'>;
  private readonly reports: Pick<ReportBuilder, 'assemble'>;
  private readonly baseReports: Pick<BaseImageReports, 'fromRows'>;
  private readonly catalog: Pick<CatalogService, 'getEntitiesByRefs'>;
  private readonly auth: Pick<AuthService, 'getOwnServiceCredentials'>;
  private readonly logger: LoggerService;
  private readonly maxAgeMs: number;
  private readonly now: Clock;
  private snapshot?: OverviewSnapshot;
  private loading?: Promise<OverviewSnapshot>;
  /** Counts invalidations: a load begun before one is not kept. */
  private generation = 0;

  constructor(options: {
    store: Pick<EntityStore, 'getAllEntities'>;
    baseStore: Pick<BaseImageStore, 'listAllBaseImages'>;
    reports: Pick<ReportBuilder, 'assemble'>;
    baseReports: Pick<BaseImageReports, 'fromRows'>;
    catalog: Pick<CatalogService, 'getEntitiesByRefs'>;
    auth: Pick<AuthService, 'getOwnServiceCredentials'>;
    logger: LoggerService;
    /** How old the snapshot may get before a request reloads it. */
    maxAge: Duration;
    now?: Clock;
  }) {
    this.store = options.store;
    this.baseStore = options.baseStore;
    this.reports = options.reports;
    this.baseReports = options.baseReports;
    this.catalog = options.catalog;
    this.auth = options.auth;
    this.logger = options.logger;
    this.maxAgeMs = options.maxAge.toMillis();
    this.now = options.now ?? systemClock;
  }

  /** The rows, as current as `maxAge` allows. */
  async current(): Promise<OverviewSnapshot> {
    const snapshot = this.snapshot;
    if (!snapshot) return this.load();
    if (
      !this.loading &&
      this.now().getTime() - snapshot.computedAt.getTime() > this.maxAgeMs
    ) {
      this.load().catch(error =>
        this.logger.warn('Could not reload the image overview', {
          error: String(error),
        }),
      );
    }
    return snapshot;
  }

  /** Forgets the snapshot: the next request waits for a load (after a refresh changed the facts). */
  invalidate(): void {
    this.generation += 1;
    this.snapshot = undefined;
    this.loading = undefined;
  }

  private load(): Promise<OverviewSnapshot> {
    if (this.loading) return this.loading;
    const loading = this.loadOnce().finally(() => {
      if (this.loading === loading) this.loading = undefined;
    });
    this.loading = loading;
    return loading;
  }

  private async loadOnce(): Promise<OverviewSnapshot> {
    const generation = this.generation;
    const computedAt = this.now();
    const [stored, baseRows] = await Promise.all([
      this.store.getAllEntities(),
      this.baseStore.listAllBaseImages(),
    ]);
    const bases = new Map<string, StoredBaseImage[]>();
    for (const row of baseRows) {
      const list = bases.get(row.entityRef) ?? [];
      list.push(row);
      bases.set(row.entityRef, list);
    }
    const { items } =
      stored.length === 0
        ? { items: [] as Array<Entity | undefined> }
        : await this.catalog.getEntitiesByRefs(
            { entityRefs: stored.map(e => e.entityRef), fields: LOAD_FIELDS },
            { credentials: await this.auth.getOwnServiceCredentials() },
          );
    const entityRefs: string[] = [];
    const rows: OverviewRow[] = [];
    stored.forEach((facts, i) => {
      const entity = items[i];
      // gone from the catalog: its rows go with it
      if (!entity) return;
      entityRefs.push(facts.entityRef);
      const owned = ownership(entity);
      const report = this.reports.assemble({
        entity,
        stored: facts,
        baseImages: this.baseReports.fromRows(
          entity,
          bases.get(facts.entityRef) ?? [],
        ),
      });
      for (const row of imageRows(report)) {
        rows.push({ ...row, ...owned, entityRef: facts.entityRef });
      }
    });
    rows.sort(byUrgency);
    const snapshot = { entityRefs, rows, computedAt };
    if (generation === this.generation) this.snapshot = snapshot;
    this.logger.debug('Loaded the image overview', {
      entities: entityRefs.length,
      rows: rows.length,
      durationMs: this.now().getTime() - computedAt.getTime(),
    });
    return snapshot;
  }
}
