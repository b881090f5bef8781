import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { Knex } from 'knex';
import { migratedClient, toDate } from '../lib/dbValues';
import { readClient } from '../lib/readClient';
import type { RegistryCache } from './RegistryCache';

/** The RegistryCache on the plugin's database (SQLite or PostgreSQL). */
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

  async getTagDigest(reference: string, now: Date) {
    const row = await this.reader('tag_digests')
      .where({ reference })
      .andWhere('expires_at', '>', now)
      .first();
    return row
      ? { digest: row.digest as string, expiresAt: toDate(row.expires_at) }
      : undefined;
  }

  async putTagDigest(
    reference: string,
    digest: string,
    resolvedAt: Date,
    expiresAt: Date,
  ) {
    await this.knex('tag_digests')
      .insert({
        reference,
        digest,
        resolved_at: resolvedAt,
        expires_at: expiresAt,
      })
      .onConflict('reference')
      .merge();
  }

  async getMetadata(digest: string, platform: string) {
    const row = await this.reader('image_metadata')
      .where({ digest, platform })
      .first();
    return row ? (JSON.parse(row.metadata) as ImageMetadata) : undefined;
  }

  async putMetadata(
    digest: string,
    platform: string,
    metadata: ImageMetadata,
    fetchedAt: Date,
  ) {
    await this.knex('image_metadata')
      .insert({
        digest,
        platform,
        metadata: JSON.stringify(metadata),
        fetched_at: fetchedAt,
      })
      .onConflict(['digest', 'platform'])
      .ignore();
  }
}
