import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { ImageError } from 'backstage-plugin-image-freshness-common';
import { Knex } from 'knex';
import { migratedClient, toDate } from '../lib/dbValues';
import type { BaseSourceInfo } from './BaseImageStore';

/**
 * What an image's provenance attestation says about its base, as kept per
 * image manifest digest: the base, or why there is none (no attestation,
 * the base cannot be told), or an error that asking again would repeat
 * (the statement is too large or malformed). Transient failures are not kept.
 */
export type StoredProvenance =
  | {
      base: {
        name: string;
        digest?: string;
        scratch: boolean;
        source: BaseSourceInfo;
      };
    }
  | { none: string }
  | { error: ImageError };

/** The last successful read of a Dockerfile. */
export interface StoredDockerfile {
  url: string;
  /** The ETag the source host sent with it, if any. */
  etag?: string;
  content: string;
  readAt: Date;
}

/**
 * Records builders left that are read once and kept: provenance outcomes per
 * image manifest digest, and Dockerfile reads with their ETag.
 */
export interface BuildRecordStore {
  getProvenance(digest: string): Promise<StoredProvenance | undefined>;
  putProvenance(
    digest: string,
    outcome: StoredProvenance,
    at: Date,
  ): Promise<void>;
  getDockerfile(url: string): Promise<StoredDockerfile | undefined>;
  putDockerfile(record: StoredDockerfile): Promise<void>;
}

/** The BuildRecordStore on the plugin's database (SQLite or PostgreSQL). */
export class KnexBuildRecordStore implements BuildRecordStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexBuildRecordStore> {
    return new KnexBuildRecordStore(await migratedClient(options.database));
  }

  private constructor(private readonly knex: Knex) {}

  async getProvenance(digest: string) {
    const row = await this.knex('image_provenance').where({ digest }).first();
    return row ? (JSON.parse(row.outcome) as StoredProvenance) : undefined;
  }

  async putProvenance(digest: string, outcome: StoredProvenance, at: Date) {
    await this.knex('image_provenance')
      .insert({ digest, outcome: JSON.stringify(outcome), read_at: at })
      .onConflict('digest')
      .merge();
  }

  async getDockerfile(url: string) {
    const row = await this.knex('dockerfile_reads').where({ url }).first();
    if (!row) return undefined;
    return {
      url,
      etag: (row.etag as string | null) ?? undefined,
      content: row.content as string,
      readAt: toDate(row.read_at),
    };
  }

  async putDockerfile(record: StoredDockerfile) {
    await this.knex('dockerfile_reads')
      .insert({
        url: record.url,
        etag: record.etag ?? null,
        content: record.content,
        read_at: record.readAt,
      })
      .onConflict('url')
      .merge();
  }
}
