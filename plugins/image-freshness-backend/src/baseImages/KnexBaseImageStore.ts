import type { DatabaseService } from '@backstage/backend-plugin-api';
import type {
  BaseDigestSighting,
  BuiltOnInference,
  ImageError,
  TrackingStrategy,
} from 'backstage-plugin-image-freshness-common';
import { Knex } from 'knex';
import {
  DateValue,
  entityPages,
  migratedClient,
  optionalDate,
  rowsByEntity,
  sameRow,
  toDate,
  writeRows,
} from '../lib/dbValues';
import {
  distinctRounds,
  GroupCommit,
  GroupRead,
  lastByKey,
} from '../lib/groupCommit';
import { readClient } from '../lib/readClient';
import {
  BaseImageStore,
  BaseSourceInfo,
  StoredBaseImage,
  TagCandidate,
  TagDiscoveryRecord,
} from './BaseImageStore';

type BaseImageRow = {
  entity_ref: string;
  image: string;
  platform: string;
  image_digest: string | null;
  image_created: DateValue | null;
  managed: boolean | number;
  base_name: string | null;
  base_reference: string | null;
  base_tag: string | null;
  scratch: boolean | number;
  source: string | null;
  strategy: string | null;
  built_on_digest: string | null;
  built_on_inferred: string | null;
  current_digest: string | null;
  checked_at: DateValue | null;
  moved_at: DateValue | null;
  newest_tag: string | null;
  newer_tags: string | null;
  newer_tag_since: DateValue | null;
  no_base_reason: string | null;
  error: string | null;
  error_first_seen: DateValue | null;
  updated_at: DateValue;
};

type HistoryRow = {
  reference: string;
  platform: string;
  digest: string;
  manifest_digest: string | null;
  first_seen: DateValue;
  last_seen: DateValue;
};

type DiscoveryRow = {
  repository: string;
  policy_key: string;
  candidates: string;
  checked_at: DateValue;
  expires_at: DateValue;
};

const DELETE_CHUNK = 500;
/** Entities written in one transaction at most (see GroupCommit). */
const SAVE_GROUP = 50;

/** One entity's base rows, as `saveEntityBases` was given them. */
interface EntityBasesSave {
  entityRef: string;
  rows: StoredBaseImage[];
  at: Date;
}

/** The BaseImageStore on the plugin's database (SQLite or PostgreSQL). */
export class KnexBaseImageStore implements BaseImageStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexBaseImageStore> {
    const knex = await migratedClient(options.database);
    return new KnexBaseImageStore(knex, await readClient(knex));
  }

  /** `reader` serves the read paths, off the write lock on SQLite (see readClient). */
  private constructor(
    private readonly knex: Knex,
    private readonly reader: Knex,
  ) {}

  private readonly saves = new GroupCommit<EntityBasesSave>(
    saves => this.writeEntityBases(saves),
    SAVE_GROUP,
  );

  /**
   * The entities' rows asked for together, one query for all (a refresh
   * asks for those of the entities it saved together), in image order.
   */
  private readonly entityBases = new GroupRead<string, StoredBaseImage[]>(
    async entityRefs => {
      const byEntity = await rowsByEntity<BaseImageRow>(this.reader, {
        table: 'entity_base_images',
        entityRefs,
        keyColumn: 'image',
      });
      return new Map(
        [...byEntity].map(([entityRef, byImage]) => [
          entityRef,
          // in image order (references are ASCII: the order SQLite gives)
          [...byImage.keys()]
            .sort()
            .map(image => toStored(byImage.get(image)!)),
        ]),
      );
    },
    () => [],
    SAVE_GROUP,
  );

  getEntityBases(entityRef: string): Promise<StoredBaseImage[]> {
    return this.entityBases.get(entityRef);
  }

  saveEntityBases(
    entityRef: string,
    rows: StoredBaseImage[],
    at: Date,
  ): Promise<void> {
    return this.saves.submit({ entityRef, rows, at });
  }

  /**
   * Writes the base rows of several entities in one transaction, a few
   * statements whatever their number (see GroupCommit).
   */
  private async writeEntityBases(saves: EntityBasesSave[]): Promise<void> {
    await this.knex.transaction(async tx => {
      for (const round of distinctRounds(saves, save => save.entityRef)) {
        await this.writeRound(tx, round);
      }
    });
  }

  /** Writes the base rows of distinct entities. */
  private async writeRound(
    tx: Knex.Transaction,
    saves: EntityBasesSave[],
  ): Promise<void> {
    const existing = await rowsByEntity<BaseImageRow>(tx, {
      table: 'entity_base_images',
      entityRefs: saves.map(save => save.entityRef),
      keyColumn: 'image',
    });
    const upserts: BaseImageRow[] = [];
    // found as stored: only the check's time moves (a steady refresh writes few rows whole)
    const checked: BaseImageRow[] = [];
    const gone: Array<{ entityRef: string; images: string[] }> = [];
    for (const { entityRef, rows, at } of saves) {
      const before = existing.get(entityRef) ?? new Map();
      for (const row of lastByKey(rows, r => r.image)) {
        const previous = before.get(row.image);
        const previousError = previous?.error
          ? (JSON.parse(previous.error) as ImageError)
          : undefined;
        let errorFirstSeen: Date | null = null;
        if (row.error) {
          errorFirstSeen =
            previousError?.class === row.error.class &&
            previous?.error_first_seen
              ? toDate(previous.error_first_seen)
              : at;
        }
        const next = toRow({ ...row, entityRef }, errorFirstSeen, at);
        if (!sameRow(previous, next, ['checked_at', 'updated_at'])) {
          upserts.push(next);
        } else if (next.checked_at !== null) {
          checked.push(next);
        }
      }
      const keep = new Set(rows.map(r => r.image));
      const images = [...before.keys()].filter(image => !keep.has(image));
      if (images.length) gone.push({ entityRef, images });
    }
    await writeRows(tx, {
      table: 'entity_base_images',
      keys: ['entity_ref', 'image'],
      times: ['checked_at', 'updated_at'],
      written: upserts,
      confirmed: checked,
    });
    for (const { entityRef, images } of gone) {
      for (let i = 0; i < images.length; i += DELETE_CHUNK) {
        await tx('entity_base_images')
          .where({ entity_ref: entityRef })
          .whereIn('image', images.slice(i, i + DELETE_CHUNK))
          .delete();
      }
    }
  }

  async recordBaseDigest(sighting: {
    reference: string;
    platform: string;
    digest: string;
    manifestDigest?: string;
    seenAt: Date;
  }): Promise<void> {
    const row: HistoryRow = {
      reference: sighting.reference,
      platform: sighting.platform,
      digest: sighting.digest,
      manifest_digest: sighting.manifestDigest ?? null,
      first_seen: sighting.seenAt,
      last_seen: sighting.seenAt,
    };
    await this.knex('base_digest_history')
      .insert(row)
      .onConflict(['reference', 'platform', 'digest'])
      .merge(['last_seen', 'manifest_digest']);
  }

  async getBaseHistory(
    reference: string,
    platform: string,
  ): Promise<BaseDigestSighting[]> {
    const rows = (await this.knex('base_digest_history')
      .where({ reference, platform })
      .orderBy([
        { column: 'first_seen', order: 'asc' },
        { column: 'digest', order: 'asc' },
      ])) as HistoryRow[];
    return rows.map(row => ({
      digest: row.digest,
      manifestDigest: row.manifest_digest ?? undefined,
      firstSeen: toDate(row.first_seen).toISOString(),
      lastSeen: toDate(row.last_seen).toISOString(),
    }));
  }

  async getTagDiscovery(
    repository: string,
    policyKey: string,
  ): Promise<TagDiscoveryRecord | undefined> {
    const row = (await this.knex('base_tag_discoveries')
      .where({ repository, policy_key: policyKey })
      .first()) as DiscoveryRow | undefined;
    if (!row) {
      return undefined;
    }
    return {
      repository: row.repository,
      policyKey: row.policy_key,
      candidates: JSON.parse(row.candidates) as TagCandidate[],
      checkedAt: toDate(row.checked_at),
      expiresAt: toDate(row.expires_at),
    };
  }

  async putTagDiscovery(record: TagDiscoveryRecord): Promise<void> {
    const row: DiscoveryRow = {
      repository: record.repository,
      policy_key: record.policyKey,
      candidates: JSON.stringify(record.candidates),
      checked_at: record.checkedAt,
      expires_at: record.expiresAt,
    };
    await this.knex('base_tag_discoveries')
      .insert(row)
      .onConflict(['repository', 'policy_key'])
      .merge();
  }

  async listAllBaseImages(): Promise<StoredBaseImage[]> {
    // Only entities that still have data: rows of entities removed from the
    // catalog (their entity_refreshes row deleted) never reach metrics.
    const entityRefs = (
      (await this.reader('entity_refreshes')
        .orderBy('entity_ref')
        .select('entity_ref')) as Array<{ entity_ref: string }>
    ).map(row => row.entity_ref);
    const withData = new Set(entityRefs);
    const stored: StoredBaseImage[] = [];
    for await (const rows of entityPages(entityRefs, ({ first, last }) =>
      this.reader('entity_base_images')
        .whereBetween('entity_ref', [first, last])
        .orderBy(['entity_ref', 'image']),
    )) {
      for (const row of rows as BaseImageRow[]) {
        if (withData.has(row.entity_ref)) stored.push(toStored(row));
      }
    }
    return stored;
  }

  async deleteEntities(entityRefs: string[]): Promise<void> {
    for (let i = 0; i < entityRefs.length; i += DELETE_CHUNK) {
      await this.knex('entity_base_images')
        .whereIn('entity_ref', entityRefs.slice(i, i + DELETE_CHUNK))
        .delete();
    }
  }
}

function toRow(
  row: StoredBaseImage,
  errorFirstSeen: Date | null,
  at: Date,
): BaseImageRow {
  const base = row.base;
  return {
    entity_ref: row.entityRef,
    image: row.image,
    platform: row.platform,
    image_digest: row.imageDigest ?? null,
    image_created: row.imageCreated ?? null,
    managed: row.managed,
    base_name: base?.name ?? null,
    base_reference: base?.reference ?? null,
    base_tag: base?.tag ?? null,
    scratch: base?.scratch ?? false,
    source: base ? JSON.stringify(base.source) : null,
    strategy: base?.strategy ?? null,
    built_on_digest: base?.builtOnDigest ?? null,
    built_on_inferred: base?.builtOnInferred ?? null,
    current_digest: base?.currentDigest ?? null,
    checked_at: base?.checkedAt ?? null,
    moved_at: base?.movedAt ?? null,
    newest_tag: base?.newestTag ?? null,
    newer_tags: base?.newerTags ? JSON.stringify(base.newerTags) : null,
    newer_tag_since: base?.newerTagSince ?? null,
    no_base_reason: row.noBaseReason ?? null,
    // firstSeen lives in its own column
    error: row.error
      ? JSON.stringify({ ...row.error, firstSeen: undefined })
      : null,
    error_first_seen: errorFirstSeen,
    updated_at: at,
  };
}

function toStored(row: BaseImageRow): StoredBaseImage {
  const error = row.error
    ? {
        ...(JSON.parse(row.error) as ImageError),
        firstSeen: row.error_first_seen
          ? toDate(row.error_first_seen).toISOString()
          : undefined,
      }
    : undefined;
  return {
    entityRef: row.entity_ref,
    image: row.image,
    platform: row.platform,
    imageDigest: row.image_digest ?? undefined,
    imageCreated: optionalDate(row.image_created),
    managed: Boolean(row.managed),
    base:
      row.base_name && row.base_reference && row.source && row.strategy
        ? {
            name: row.base_name,
            reference: row.base_reference,
            tag: row.base_tag ?? undefined,
            scratch: Boolean(row.scratch) || undefined,
            source: JSON.parse(row.source) as BaseSourceInfo,
            strategy: row.strategy as TrackingStrategy,
            builtOnDigest: row.built_on_digest ?? undefined,
            builtOnInferred:
              (row.built_on_inferred as BuiltOnInference | null) ?? undefined,
            currentDigest: row.current_digest ?? undefined,
            checkedAt: optionalDate(row.checked_at),
            movedAt: optionalDate(row.moved_at),
            newestTag: row.newest_tag ?? undefined,
            newerTags: row.newer_tags
              ? (JSON.parse(row.newer_tags) as string[])
              : undefined,
            newerTagSince: optionalDate(row.newer_tag_since),
          }
        : undefined,
    noBaseReason: row.no_base_reason ?? undefined,
    error,
  };
}
