import type { DatabaseService } from '@backstage/backend-plugin-api';
import type {
  ContainerReport,
  ImageError,
  ImageMetadata,
} from 'backstage-plugin-image-freshness-common';
import { Knex } from 'knex';
import {
  DateValue,
  entityPages,
  migratedClient,
  rowsByEntity,
  sameRow,
  toDate,
  upsertRows,
  writeRows,
} from '../lib/dbValues';
import { distinctRounds, GroupCommit, lastByKey } from '../lib/groupCommit';
import { readClient } from '../lib/readClient';
import {
  EntityRefreshResult,
  EntityStore,
  StoredContainer,
  StoredEntity,
} from './EntityStore';
import type { FoundContainer } from 'backstage-plugin-image-freshness-node';

type ContainerRow = {
  entity_ref: string;
  container_key: string;
  container: string;
  image: string;
  platform: string;
  digest: string | null;
  running_digest: string | null;
  resolved_at: DateValue | null;
  error: string | null;
  error_first_seen: DateValue | null;
  updated_at: DateValue;
  /** The image's metadata, when read joined in. */
  metadata?: string | null;
};

type MetadataRow = { digest: string; platform: string; metadata: string };

/** Where an image's metadata is kept: its digest and the platform picked from it. */
function metadataKey(row: { digest: string | null; platform: string }) {
  return `${row.digest}\n${row.platform}`;
}

type RefreshRow = {
  entity_ref: string;
  refreshed_at: DateValue;
  errors: string;
  owner: string | null;
  system: string | null;
  lifecycle: string | null;
  type: string | null;
  rebuild_delay: string | null;
};

const DELETE_CHUNK = 500;
/** Rows per insert: two values each, well under SQLite's 999 bound parameters. */
const INSERT_CHUNK = 400;
/** Entities written in one transaction at most (see GroupCommit). */
const SAVE_GROUP = 50;

/** The EntityStore on the plugin's database (SQLite or PostgreSQL). */
export class KnexEntityStore implements EntityStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexEntityStore> {
    const knex = await migratedClient(options.database);
    return new KnexEntityStore(knex, await readClient(knex));
  }

  /**
   * @param knex - for writes and the reads inside them
   * @param reader - for the read paths: off the write lock on SQLite (see readClient)
   */
  private constructor(
    private readonly knex: Knex,
    private readonly reader: Knex,
  ) {}

  private readonly saves = new GroupCommit<EntityRefreshResult>(
    results => this.writeEntities(results),
    SAVE_GROUP,
  );

  /** The run's processed marks, many in one statement (the last of an entity's winning). */
  private readonly marks = new GroupCommit<{
    entity_ref: string;
    processed_at: Date;
  }>(async rows => {
    await upsertRows(this.knex, {
      table: 'entity_refresh_queue',
      conflict: ['entity_ref'],
      rows: lastByKey(rows, row => row.entity_ref),
    });
  }, INSERT_CHUNK);

  saveEntity(result: EntityRefreshResult) {
    return this.saves.submit(result);
  }

  /**
   * Writes the results of several entities in one transaction, with one
   * statement per kind of row (a few when many), not a few per entity: the
   * transaction, and the one SQLite connection it holds, stays short, and a
   * refresh of thousands of entities makes hundreds of statements, not tens
   * of thousands.
   */
  private async writeEntities(results: EntityRefreshResult[]) {
    await this.knex.transaction(async tx => {
      // An entity saved twice in one group (a Refresh button press during
      // the run) is written twice, in order, as two transactions would.
      for (const round of distinctRounds(results, r => r.entityRef)) {
        await this.writeRound(tx, round);
      }
    });
  }

  /** Writes results of distinct entities. */
  private async writeRound(
    tx: Knex.Transaction,
    results: EntityRefreshResult[],
  ) {
    const existing = await rowsByEntity<ContainerRow>(tx, {
      table: 'entity_containers',
      entityRefs: results.map(r => r.entityRef),
      keyColumn: 'container_key',
      columns: [
        'entity_ref',
        'container_key',
        'container',
        'image',
        'platform',
        'digest',
        'running_digest',
        'error',
        'error_first_seen',
      ],
    });
    const resolved: Array<Record<string, unknown>> = [];
    const failed: Array<Record<string, unknown>> = [];
    // found as stored: only their times move (a steady refresh writes few rows whole)
    const confirmed: Array<Record<string, unknown>> = [];
    const gone: Array<{ entityRef: string; keys: string[] }> = [];
    for (const result of results) {
      const before = existing.get(result.entityRef) ?? new Map();
      for (const c of lastByKey(result.containers, found => found.key)) {
        const previous = before.get(c.key);
        const row = this.containerRow(result, c, previous);
        if (row.error !== null) {
          // a failure names its time: never found as stored
          failed.push(row);
        } else {
          const same = sameRow(previous, row, ['resolved_at', 'updated_at']);
          (same ? confirmed : resolved).push(row);
        }
      }
      const found = new Set(result.containers.map(c => c.key));
      const keys = [...before.values()]
        .filter(
          row =>
            !found.has(row.container_key) &&
            !result.unread?.(this.toFoundContainer(row)),
        )
        .map(row => row.container_key);
      if (keys.length) gone.push({ entityRef: result.entityRef, keys });
    }
    await writeRows(tx, {
      table: 'entity_containers',
      keys: ['entity_ref', 'container_key'],
      times: ['resolved_at', 'updated_at'],
      written: resolved,
      confirmed,
    });
    // A failed container keeps its last good digest and when it was resolved.
    await upsertRows(tx, {
      table: 'entity_containers',
      conflict: ['entity_ref', 'container_key'],
      rows: failed,
      merge: [
        'container',
        'image',
        'platform',
        'running_digest',
        'updated_at',
        'error',
        'error_first_seen',
      ],
    });
    for (const { entityRef, keys } of gone) {
      for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
        await tx('entity_containers')
          .where({ entity_ref: entityRef })
          .whereIn('container_key', keys.slice(i, i + DELETE_CHUNK))
          .delete();
      }
    }
    await upsertRows(tx, {
      table: 'entity_refreshes',
      conflict: ['entity_ref'],
      rows: results.map(({ entityRef, info, sourceErrors, refreshedAt }) => ({
        entity_ref: entityRef,
        refreshed_at: refreshedAt,
        errors: JSON.stringify(sourceErrors),
        owner: info.owner ?? null,
        system: info.system ?? null,
        lifecycle: info.lifecycle ?? null,
        type: info.type ?? null,
        rebuild_delay: info.rebuildDelay ?? null,
      })),
    });
    await upsertRows(tx, {
      table: 'entity_refresh_queue',
      conflict: ['entity_ref'],
      rows: results.map(({ entityRef, refreshedAt, processedAt }) => ({
        entity_ref: entityRef,
        processed_at: processedAt ?? refreshedAt,
      })),
    });
  }

  /**
   * A found container's row. Stale-while-error: a failed one keeps its last
   * good digest (the upsert leaves it), and its error keeps since when this
   * class of error has been seen.
   */
  private containerRow(
    result: EntityRefreshResult,
    c: EntityRefreshResult['containers'][number],
    previous: ContainerRow | undefined,
  ): Record<string, unknown> {
    const base = {
      entity_ref: result.entityRef,
      container_key: c.key,
      container: JSON.stringify({
        container: c.container,
        workload: c.workload,
      }),
      image: c.image,
      platform: c.platform,
      running_digest: c.runningDigest ?? null,
      updated_at: result.refreshedAt,
    };
    if ('digest' in c.outcome) {
      return {
        ...base,
        digest: c.outcome.digest,
        resolved_at: c.outcome.resolvedAt,
        error: null,
        error_first_seen: null,
      };
    }
    const previousError = previous?.error
      ? (JSON.parse(previous.error) as ImageError)
      : undefined;
    const firstSeen =
      previousError?.class === c.outcome.error.class &&
      previous?.error_first_seen
        ? toDate(previous.error_first_seen)
        : result.refreshedAt;
    return {
      ...base,
      error: JSON.stringify(c.outcome.error),
      error_first_seen: firstSeen,
    };
  }

  async getEntity(entityRef: string) {
    const [entity] = await this.readEntities(entityRef);
    return entity;
  }

  async getAllEntities() {
    return this.readEntities();
  }

  private async readEntities(entityRef?: string): Promise<StoredEntity[]> {
    const refreshes = (await this.reader('entity_refreshes')
      .modify(q => {
        if (entityRef) q.where({ entity_ref: entityRef });
      })
      .orderBy('entity_ref')) as RefreshRow[];
    if (refreshes.length === 0) {
      return [];
    }
    // Many containers run the same image: each image's metadata is parsed
    // once and its containers share the object. Every entity's are read in a
    // query of their own, each image's once.
    const metadata = new Map<string, ImageMetadata>();
    for (const row of entityRef ? [] : await this.metadataInUse()) {
      metadata.set(metadataKey(row), JSON.parse(row.metadata));
    }
    const metadataOf = (row: ContainerRow) => {
      if (!row.digest) return undefined;
      const key = metadataKey(row);
      let parsed = metadata.get(key);
      if (!parsed && row.metadata) {
        parsed = JSON.parse(row.metadata) as ImageMetadata;
        metadata.set(key, parsed);
      }
      return parsed;
    };
    const byEntity = new Map<string, StoredContainer[]>();
    const pages = entityRef
      ? [
          await this.readContainers(
            { first: entityRef, last: entityRef },
            { withMetadata: true },
          ),
        ]
      : entityPages(
          refreshes.map(r => r.entity_ref),
          range => this.readContainers(range),
        );
    for await (const rows of pages) {
      for (const row of rows) {
        const list = byEntity.get(row.entity_ref) ?? [];
        list.push(this.toStoredContainer(row, metadataOf(row)));
        byEntity.set(row.entity_ref, list);
      }
    }
    return refreshes.map(refresh => ({
      entityRef: refresh.entity_ref,
      info: {
        owner: refresh.owner ?? undefined,
        system: refresh.system ?? undefined,
        lifecycle: refresh.lifecycle ?? undefined,
        type: refresh.type ?? undefined,
        rebuildDelay: refresh.rebuild_delay ?? undefined,
      },
      refreshedAt: toDate(refresh.refreshed_at),
      errors: JSON.parse(refresh.errors) as Array<
        ImageError & { source: string }
      >,
      containers: byEntity.get(refresh.entity_ref) ?? [],
    }));
  }

  /**
   * The containers of the entities from `first` to `last`, in order;
   * `withMetadata` joins their images' metadata in (one entity's few
   * containers; a whole-table read takes each image's once instead).
   */
  private async readContainers(
    range: { first: string; last: string },
    options: { withMetadata?: boolean } = {},
  ): Promise<ContainerRow[]> {
    return (await this.reader('entity_containers as c')
      .whereBetween('c.entity_ref', [range.first, range.last])
      .modify(q => {
        if (!options.withMetadata) return;
        q.leftJoin('image_metadata as m', join =>
          join.on('m.digest', 'c.digest').andOn('m.platform', 'c.platform'),
        ).select('m.metadata');
      })
      .select('c.*')
      .orderBy(['c.entity_ref', 'c.container_key'])) as ContainerRow[];
  }

  /** The metadata of every image a stored container resolved to. */
  private async metadataInUse(): Promise<MetadataRow[]> {
    return (await this.reader('image_metadata as m')
      .join(
        this.reader('entity_containers')
          .distinct('digest', 'platform')
          .whereNotNull('digest')
          .as('u'),
        join =>
          join.on('m.digest', 'u.digest').andOn('m.platform', 'u.platform'),
      )
      .select('m.digest', 'm.platform', 'm.metadata')) as MetadataRow[];
  }

  async claimManualRefresh(
    entityRef: string,
    now: Date,
    minIntervalMs: number,
  ) {
    return this.knex.transaction(async tx => {
      const row = await tx('manual_refreshes')
        .where({ entity_ref: entityRef })
        .first();
      if (row) {
        const waitMs =
          toDate(row.requested_at).getTime() + minIntervalMs - now.getTime();
        if (waitMs > 0) {
          return { claimed: false as const, retryAfterMs: waitMs };
        }
      }
      await tx('manual_refreshes')
        .insert({ entity_ref: entityRef, requested_at: now })
        .onConflict('entity_ref')
        .merge();
      return { claimed: true as const };
    });
  }

  async listEntityRefs() {
    const rows = await this.reader('entity_refreshes')
      .select('entity_ref')
      .union(q => q.select('entity_ref').from('entity_refresh_queue'));
    return rows.map(r => r.entity_ref as string).sort();
  }

  async queueEntities(entityRefs: string[]) {
    for (let i = 0; i < entityRefs.length; i += INSERT_CHUNK) {
      await this.knex('entity_refresh_queue')
        .insert(
          entityRefs
            .slice(i, i + INSERT_CHUNK)
            .map(entityRef => ({ entity_ref: entityRef, processed_at: null })),
        )
        .onConflict('entity_ref')
        .ignore();
    }
  }

  async listDueEntities(options: { dueBefore: Date; limit: number }) {
    const rows = (await this.reader('entity_refresh_queue')
      .where(q =>
        q
          .whereNull('processed_at')
          .orWhere('processed_at', '<=', options.dueBefore),
      )
      // Never processed first, in SQL both databases order alike (knex's
      // `nulls: 'first'` leaves the column itself out on SQLite).
      .orderByRaw('CASE WHEN processed_at IS NULL THEN 0 ELSE 1 END')
      .orderBy(['processed_at', 'entity_ref'])
      .limit(options.limit)
      .select('entity_ref')) as Array<{ entity_ref: string }>;
    return rows.map(r => r.entity_ref);
  }

  markEntityProcessed(entityRef: string, at: Date) {
    return this.marks.submit({ entity_ref: entityRef, processed_at: at });
  }

  async entityRefsWithDigest(digest: string) {
    const rows = await this.reader('entity_containers')
      .distinct('entity_ref')
      .where('digest', digest)
      .orWhere('running_digest', digest)
      .orderBy('entity_ref');
    return rows.map(r => r.entity_ref as string);
  }

  async deleteEntities(entityRefs: string[]) {
    for (let i = 0; i < entityRefs.length; i += DELETE_CHUNK) {
      const chunk = entityRefs.slice(i, i + DELETE_CHUNK);
      await this.knex.transaction(async tx => {
        await tx('entity_containers').whereIn('entity_ref', chunk).delete();
        await tx('entity_refreshes').whereIn('entity_ref', chunk).delete();
        await tx('manual_refreshes').whereIn('entity_ref', chunk).delete();
        await tx('entity_refresh_queue').whereIn('entity_ref', chunk).delete();
      });
    }
  }

  /** Where a stored container was found, as its source found it. */
  private toFoundContainer(
    row: Pick<
      ContainerRow,
      'container_key' | 'container' | 'image' | 'platform' | 'running_digest'
    >,
  ): FoundContainer {
    const { container, workload } = JSON.parse(row.container) as {
      container: string;
      workload: ContainerReport['workload'];
    };
    return {
      key: row.container_key,
      container,
      workload,
      image: row.image,
      platform: row.platform,
      runningDigest: row.running_digest ?? undefined,
    };
  }

  private toStoredContainer(
    row: ContainerRow,
    metadata: ImageMetadata | undefined,
  ): StoredContainer {
    return {
      ...this.toFoundContainer(row),
      digest: row.digest ?? undefined,
      resolvedAt: row.resolved_at ? toDate(row.resolved_at) : undefined,
      error: row.error
        ? {
            ...(JSON.parse(row.error) as ImageError),
            firstSeen: row.error_first_seen
              ? toDate(row.error_first_seen).toISOString()
              : undefined,
          }
        : undefined,
      metadata,
    };
  }
}
