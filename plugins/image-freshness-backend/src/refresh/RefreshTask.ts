import type {
  AuthService,
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import type { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_IMAGES,
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  type Clock,
  isImageFreshnessAvailable,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import { runWorkLoop } from '../lib/workLoop';
import {
  DEFAULT_REFRESH_BATCH_SIZE,
  DEFAULT_REFRESH_CONCURRENCY,
} from './config';
import { EntityStore } from './EntityStore';
import type { EntityRefresher, EntityRefreshRun } from './EntityRefresher';

/** The refresher a run uses: per entity, and (optionally) started once per run. */
export type RunRefresher = Pick<EntityRefresher, 'refresh'> &
  Partial<Pick<EntityRefresher, 'startRun'>>;

/** Anything that keeps data per entity and must forget entities that left the catalog. */
export interface EntityDataStore {
  deleteEntities(entityRefs: string[]): Promise<void>;
}

const PAGE_SIZE = 200;
/** Entities refreshed side by side; registry load is bounded per host by the client. */
/**
 * An entity is due `interval` after the start of the run that last refreshed
 * it (or after a refresh outside the schedule, such as the Refresh button),
 * less this margin. The scheduler starts a global task's runs `frequency`
 * apart by the database's clock, but a replica claims a due run only at its
 * next poll (every min(frequency, 5 s)) and this run reads its own clock a
 * moment later, so two starts can be a few seconds closer than `frequency`.
 * Without the margin an entity the last run refreshed could miss this one by
 * those seconds and wait a whole extra interval; a minute covers them with
 * room to spare. With an interval of a minute or less every entity is due at
 * every run.
 */
const DUE_MARGIN = Duration.fromObject({ minutes: 1 });

/** What one refresh run did. */
export interface RefreshRunSummary {
  /** Entities the catalog lists for the refresh. */
  entities: number;
  /** Entities refreshed (their images resolved and stored, errors included). */
  refreshed: number;
  /** Entities whose refresh failed as a whole. */
  failed: number;
  /** Due entities this run did not get to because it was stopped; they come first next time. */
  remaining: number;
  /** Entities that left the catalog, and their data with them. */
  removed: number;
  /** Whether the run stopped on the scheduler's signal (shutdown or timeout). */
  aborted: boolean;
}

/**
 * The scheduled refresh, in the work-loop shape: pages through the catalog
 * for entities with images and puts new ones in the work list, removes the
 * data of entities that left the catalog, then refreshes the due entities
 * (never refreshed first, then the longest ago), at most `batchSize` per run,
 * `concurrency` side by side. Each entity's processed time is stored, so an entity
 * refreshed since (by the Refresh button) is not redone, one that fails waits
 * its turn like the rest, and a run stopped by the scheduler's signal
 * (shutdown, timeout) starts no entity after it and leaves the rest first in
 * line for the next run.
 */
export class RefreshTask {
  private readonly catalog: CatalogService;
  private readonly auth: AuthService;
  private readonly refresher: RunRefresher;
  private readonly store: EntityStore;
  private readonly otherStores: EntityDataStore[];
  private readonly logger: LoggerService;
  private readonly sourceAnnotations: readonly string[];
  private readonly interval: Duration;
  private readonly batchSize: number;
  private readonly concurrency: number;
  private readonly now: Clock;

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    refresher: RunRefresher;
    store: EntityStore;
    /** Other stores keyed by entity, cleaned up with the main one. */
    otherStores?: EntityDataStore[];
    /** Annotations registered container sources read (their `annotations`). */
    sourceAnnotations?: readonly string[];
    logger: LoggerService;
    /** How often each entity is refreshed (the schedule's frequency); default 0: at every run. */
    interval?: Duration;
    /** The most entities one run refreshes. */
    batchSize?: number;
    /** Entities refreshed at once. */
    concurrency?: number;
    now?: Clock;
  }) {
    this.sourceAnnotations = options.sourceAnnotations ?? [];
    this.catalog = options.catalog;
    this.auth = options.auth;
    this.refresher = options.refresher;
    this.store = options.store;
    this.otherStores = options.otherStores ?? [];
    this.logger = options.logger;
    this.interval = options.interval ?? Duration.fromMillis(0);
    this.batchSize = options.batchSize ?? DEFAULT_REFRESH_BATCH_SIZE;
    this.concurrency = options.concurrency ?? DEFAULT_REFRESH_CONCURRENCY;
    this.now = options.now ?? systemClock;
  }

  /** One run; stops soon after `signal` aborts. */
  async run(signal?: AbortSignal): Promise<RefreshRunSummary> {
    const started = performance.now();
    // Due times count from the run's start, whatever the catalog paging takes.
    const startedAt = this.now();
    const credentials = await this.auth.getOwnServiceCredentials();
    const seen = await this.syncWorkList(credentials, signal);
    let removed = 0;
    let result = { processed: 0, failed: 0, remaining: 0, aborted: true };
    // A run stopped while paging has not seen the whole catalog: it removes
    // nothing and refreshes nothing.
    if (seen) {
      removed = await this.removeGone(seen);
      const dueBefore = new Date(
        startedAt.getTime() - this.interval.toMillis() + DUE_MARGIN.toMillis(),
      );
      let entityAt: (index: number) => Promise<Entity | undefined>;
      // The sources' part in this run (a cluster listed once for all its
      // entities), ended whatever happens.
      const run: Pick<EntityRefreshRun, 'refresh'> &
        Partial<Pick<EntityRefreshRun, 'end'>> =
        (await this.refresher.startRun?.(
          signal ?? new AbortController().signal,
        )) ?? this.refresher;
      try {
        result = await runWorkLoop({
          listDue: async ({ limit }) => {
            const refs = await this.store.listDueEntities({ dueBefore, limit });
            entityAt = this.pagedEntities(refs, credentials);
            return refs.map((entityRef, index) => ({ entityRef, index }));
          },
          process: ({ entityRef, index }, { now }) =>
            this.refreshOne(run, entityRef, () => entityAt(index), now),
          onError: ({ entityRef }, error) =>
            this.logger.warn('Could not refresh entity images', {
              entityRef,
              error: (error as Error).message,
            }),
          batchSize: this.batchSize,
          concurrency: this.concurrency,
          signal,
          now: () => startedAt,
        });
      } finally {
        await run.end?.();
      }
    }
    const summary: RefreshRunSummary = {
      entities: seen?.size ?? 0,
      refreshed: result.processed,
      failed: result.failed,
      remaining: result.remaining,
      removed,
      aborted: result.aborted,
    };
    this.logger.info('Image freshness refresh finished', {
      ...summary,
      durationMs: Math.round(performance.now() - started),
    });
    return summary;
  }

  /**
   * Pages through the catalog for the entities the refresh covers and puts
   * new ones in the work list; answers their refs, or undefined when `signal`
   * aborted before the last page.
   */
  private async syncWorkList(
    credentials: BackstageCredentials,
    signal?: AbortSignal,
  ): Promise<Set<string> | undefined> {
    const seen = new Set<string>();
    const annotation = (key: string) => ({
      [`metadata.annotations.${key}`]: CATALOG_FILTER_EXISTS,
    });
    for await (const page of this.catalog.streamEntities(
      {
        filter: [
          annotation(ANNOTATION_IMAGES),
          annotation(ANNOTATION_KUBERNETES_ID),
          annotation(ANNOTATION_KUBERNETES_LABEL_SELECTOR),
          ...this.sourceAnnotations.map(annotation),
        ],
        pageSize: PAGE_SIZE,
      },
      { credentials },
    )) {
      if (signal?.aborted) return undefined;
      const refs = page
        .filter(
          entity =>
            isImageFreshnessAvailable(entity) ||
            this.sourceAnnotations.some(
              key => entity.metadata.annotations?.[key],
            ),
        )
        .map(entity => stringifyEntityRef(entity));
      refs.forEach(ref => seen.add(ref));
      await this.store.queueEntities(refs);
    }
    return signal?.aborted ? undefined : seen;
  }

  /** Removes the data of entities the catalog no longer lists; answers how many. */
  private async removeGone(seen: Set<string>): Promise<number> {
    const gone = (await this.store.listEntityRefs()).filter(
      ref => !seen.has(ref),
    );
    await this.store.deleteEntities(gone);
    for (const other of this.otherStores) {
      await other.deleteEntities(gone);
    }
    return gone.length;
  }

  /**
   * The due entities as the catalog has them now, read a page at a time as
   * the loop reaches them: one catalog request per page, not per entity, and
   * two pages in memory, not the whole batch. A page that fails to load is
   * asked for again by the next entity on it.
   */
  private pagedEntities(
    refs: readonly string[],
    credentials: BackstageCredentials,
  ): (index: number) => Promise<Entity | undefined> {
    const pages = new Map<number, Promise<Array<Entity | undefined>>>();
    return async index => {
      const page = Math.floor(index / PAGE_SIZE);
      let entities = pages.get(page);
      if (!entities) {
        // The loop starts entities in order, fewer at once than a page.
        pages.delete(page - 2);
        entities = this.catalog
          .getEntitiesByRefs(
            {
              entityRefs: refs.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE),
            },
            { credentials },
          )
          .then(response => response.items);
        pages.set(page, entities);
        entities.catch(() => pages.delete(page));
      }
      return (await entities)[index % PAGE_SIZE];
    };
  }

  /**
   * Refreshes one due entity as the catalog has it now, and records it as
   * processed at the run's start, refreshed (in the same write as its
   * containers) or failed, so it waits its turn.
   */
  private async refreshOne(
    run: Pick<EntityRefreshRun, 'refresh'>,
    entityRef: string,
    entity: () => Promise<Entity | undefined>,
    runStartedAt: Date,
  ): Promise<void> {
    let saved = false;
    try {
      const current = await entity();
      // Gone since the paging: the next run removes its data.
      if (current) {
        await run.refresh(current, { processedAt: runStartedAt });
        saved = true;
      }
    } finally {
      if (!saved) await this.store.markEntityProcessed(entityRef, runStartedAt);
    }
  }
}
