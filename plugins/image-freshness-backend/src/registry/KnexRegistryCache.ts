import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { Knex } from 'knex';
import { DateValue, migratedClient, toDate, upsertRows } from '../lib/dbValues';
import { GroupCommit, GroupRead, lastByKey } from '../lib/groupCommit';
import { readClient } from '../lib/readClient';
import type { RegistryCache, TagAnswer } from './RegistryCache';

type TagRow = {
  reference: string;
  digest: string;
  resolved_at: DateValue;
  expires_at: DateValue;
};

type MetadataRow = {
  digest: string;
  platform: string;
  metadata: string;
  fetched_at: DateValue;
};

/** Keys per read and rows per insert: 4 values each, under SQLite's 999 bound parameters. */
const CHUNK = 200;

/**
 * The RegistryCache on the plugin's database (SQLite or PostgreSQL). A
 * refresh resolves many images side by side: their lookups go together in
 * one query, and their answers in one insert (GroupRead, GroupCommit).
 */
export class KnexRegistryCache implements RegistryCache {
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexRegistryCache> {
    const knex = await migratedClient(options.database);
    return new KnexRegistryCache(knex, await readClient(knex));
  }

  /** `reader` serves the read paths, off the write lock on SQLite (see readClient). */
  private constructor(
    private readonly knex: Knex,
    private readonly reader: Knex,
  ) {}

  private readonly tagReads = new GroupRead<string, TagRow | undefined>(
    async references => {
      const rows = (await this.reader('tag_digests').whereIn(
        'reference',
        references,
      )) as TagRow[];
      return new Map(rows.map(row => [row.reference, row]));
    },
    () => undefined,
    CHUNK,
  );

  private readonly tagWrites = new GroupCommit<TagRow>(async rows => {
    await upsertRows(this.knex, {
      table: 'tag_digests',
      conflict: ['reference'],
      rows: lastByKey(rows, row => row.reference),
    });
  }, CHUNK);

  /** Keyed by digest: a digest has a row per platform asked. */
  private readonly metadataReads = new GroupRead<string, MetadataRow[]>(
    async digests => {
      const rows = (await this.reader('image_metadata').whereIn(
        'digest',
        digests,
      )) as MetadataRow[];
      const byDigest = new Map<string, MetadataRow[]>();
      for (const row of rows) {
        byDigest.set(row.digest, [...(byDigest.get(row.digest) ?? []), row]);
      }
      return byDigest;
    },
    () => [],
    CHUNK,
  );

  private readonly metadataWrites = new GroupCommit<MetadataRow>(async rows => {
    // The first metadata stored for a digest stays (see putMetadata).
    await upsertRows(this.knex, {
      table: 'image_metadata',
      conflict: ['digest', 'platform'],
      merge: [],
      rows,
    });
  }, CHUNK);

  async getTagDigest(
    reference: string,
    now: Date,
  ): Promise<TagAnswer | undefined> {
    const row = await this.tagReads.get(reference);
    if (!row) return undefined;
    const expiresAt = toDate(row.expires_at);
    return expiresAt > now ? { digest: row.digest, expiresAt } : undefined;
  }

  putTagDigest(
    reference: string,
    digest: string,
    resolvedAt: Date,
    expiresAt: Date,
  ): Promise<void> {
    return this.tagWrites.submit({
      reference,
      digest,
      resolved_at: resolvedAt,
      expires_at: expiresAt,
    });
  }

  async getMetadata(digest: string, platform: string) {
    const row = (await this.metadataReads.get(digest)).find(
      r => r.platform === platform,
    );
    return row ? (JSON.parse(row.metadata) as ImageMetadata) : undefined;
  }

  putMetadata(
    digest: string,
    platform: string,
    metadata: ImageMetadata,
    fetchedAt: Date,
  ): Promise<void> {
    return this.metadataWrites.submit({
      digest,
      platform,
      metadata: JSON.stringify(metadata),
      fetched_at: fetchedAt,
    });
  }
}
