import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { ImageError } from 'backstage-plugin-image-freshness-common';
import { Knex } from 'knex';
import type { ScanSettings } from './config';
import { DateValue, migratedClient, optionalDate } from '../lib/dbValues';
import {
  RepositoryScan,
  ScannedImage,
  ScanStatus,
  ScanStore,
} from './ScanStore';

type ScanRow = {
  repository: string;
  scan_key: string;
  source: string;
  settings: string;
  last_scan_time: DateValue | null;
  last_success_time: DateValue | null;
  last_scan_status: string;
  message: string | null;
  error: string | null;
  tag_count: number | null;
  images: string;
};

function toRow(scan: RepositoryScan): ScanRow {
  return {
    repository: scan.repository,
    scan_key: scan.key,
    source: scan.source,
    settings: JSON.stringify(scan.settings),
    last_scan_time: scan.lastScanTime ?? null,
    last_success_time: scan.lastSuccessTime ?? null,
    last_scan_status: scan.lastScanStatus,
    message: scan.message ?? null,
    error: scan.error ? JSON.stringify(scan.error) : null,
    tag_count: scan.tagCount ?? null,
    images: JSON.stringify(scan.images),
  };
}

function toScan(row: ScanRow): RepositoryScan {
  return {
    repository: row.repository,
    key: row.scan_key,
    source: row.source as RepositoryScan['source'],
    settings: JSON.parse(row.settings) as ScanSettings,
    lastScanTime: optionalDate(row.last_scan_time),
    lastSuccessTime: optionalDate(row.last_success_time),
    lastScanStatus: row.last_scan_status as ScanStatus,
    message: row.message ?? undefined,
    error: row.error ? (JSON.parse(row.error) as ImageError) : undefined,
    tagCount: row.tag_count ?? undefined,
    images: JSON.parse(row.images) as ScannedImage[],
  };
}

/** The ScanStore on the plugin's database (SQLite or PostgreSQL). */
export class KnexScanStore implements ScanStore {
  static async create(options: {
    database: DatabaseService;
  }): Promise<KnexScanStore> {
    return new KnexScanStore(await migratedClient(options.database));
  }

  private constructor(private readonly knex: Knex) {}

  async listScans(): Promise<RepositoryScan[]> {
    const rows = (await this.knex('repository_scans').orderBy([
      'repository',
      'source',
      'scan_key',
    ])) as ScanRow[];
    return rows.map(toScan);
  }

  async getScans(repository: string): Promise<RepositoryScan[]> {
    const rows = (await this.knex('repository_scans')
      .where({ repository })
      .orderBy(['source', 'scan_key'])) as ScanRow[];
    return rows.map(toScan);
  }

  async saveScan(scan: RepositoryScan): Promise<void> {
    await this.knex('repository_scans')
      .insert(toRow(scan))
      .onConflict(['repository', 'scan_key'])
      .merge();
  }

  async deleteScansExcept(
    keep: Array<{ repository: string; key: string }>,
  ): Promise<number> {
    const wanted = new Set(keep.map(k => `${k.repository}\n${k.key}`));
    const rows = (await this.knex('repository_scans').select(
      'repository',
      'scan_key',
    )) as Array<Pick<ScanRow, 'repository' | 'scan_key'>>;
    const gone = rows.filter(
      r => !wanted.has(`${r.repository}\n${r.scan_key}`),
    );
    for (const row of gone) {
      await this.knex('repository_scans')
        .where({ repository: row.repository, scan_key: row.scan_key })
        .delete();
    }
    return gone.length;
  }
}
