/*
 * The read paths on real databases: an entity report costs a fixed number of
 * queries whatever its number of containers, and a read is not held up by a
 * write transaction left open (SQLite in WAL mode on a database file, and
 * PostgreSQL).
 */
import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import knexFactory, { Knex } from 'knex';
import { Duration } from 'luxon';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { BaseImageReports } from '../baseImages/BaseImageReports';
import { KnexBaseImageStore } from '../baseImages/KnexBaseImageStore';
import { sqliteFile } from '../lib/readClient';
import { KnexRegistryCache } from '../registry/KnexRegistryCache';
import { vulnerabilityCountsLookup } from '../vulnerabilities/countsLookup';
import { KnexVulnerabilityStore } from '../vulnerabilities/KnexVulnerabilityStore';
import { KnexEntityStore } from './KnexEntityStore';
import { ReportBuilder } from './ReportBuilder';

const databases = storeTestDatabases();
const NOW = new Date('2026-11-22T12:00:00Z');

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { type: 'service', owner: 'team-a' },
});

/** Every store the report reads, on one database, and the report builder over them. */
async function reportStores(database: DatabaseService) {
  const store = await KnexEntityStore.create({ database });
  const cache = await KnexRegistryCache.create({ database });
  const bases = await KnexBaseImageStore.create({ database });
  const vulnerabilities = await KnexVulnerabilityStore.create({ database });
  const reports = new ReportBuilder({
    store,
    maxAge: Duration.fromObject({ days: 30 }),
    now: () => NOW,
    baseImages: new BaseImageReports({
      store: bases,
      rebuildDelay: Duration.fromObject({ days: 7 }),
      now: () => NOW,
    }),
    vulnerabilities: {
      availability: { available: true, scanner: 'trivy', version: '0.58.0' },
      severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
      lookup: vulnerabilityCountsLookup(vulnerabilities),
    },
  });

  /** Stores an entity with `count` resolved containers, each with a base row and vulnerability counts. */
  async function seed(name: string, count: number, from: number) {
    const entityRef = `component:default/${name}`;
    const containers = [];
    for (let i = 0; i < count; i++) {
      const digest = digestOf(from + i);
      const image = `registry.example.com/${name}/c${i}:1`;
      const metadata: ImageMetadata = {
        digest,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        created: '2026-11-20T12:00:00.000Z',
        labels: { 'org.opencontainers.image.version': '1' },
        annotations: {},
        size: 100 + i,
      };
      await cache.putMetadata(digest, 'linux/amd64', metadata, NOW);
      await vulnerabilities.recordSummary(digest, `${image}@${digest}`, {
        counts: { CRITICAL: 1, HIGH: i },
        total: 1 + i,
        scannedAt: NOW,
      });
      containers.push({
        key: `annotation/${image}`,
        container: 'annotation',
        workload: { kind: 'Annotation' as const, name },
        image,
        platform: 'linux/amd64',
        outcome: { digest, resolvedAt: NOW },
      });
    }
    await store.saveEntity({
      entityRef,
      info: { owner: 'group:default/team-a' },
      containers,
      sourceErrors: [],
      refreshedAt: NOW,
    });
    await bases.saveEntityBases(
      entityRef,
      containers.map(c => ({
        entityRef,
        image: c.image,
        platform: 'linux/amd64',
        imageDigest: c.outcome.digest,
        managed: false,
        base: {
          name: 'registry.example.com/base:1',
          reference: 'registry.example.com/base:1',
          tag: '1',
          source: { kind: 'annotation' },
          strategy: 'Digest',
          builtOnDigest: digestOf(9999),
          currentDigest: digestOf(9999),
          checkedAt: NOW,
        },
      })),
      NOW,
    );
  }
  return { store, reports, seed };
}

describe.each(databases.ids)('the entity report on %s', id => {
  it('costs the same few queries for 1 container as for 50 (no query per container)', async () => {
    const database = await databases.database(id);
    const knex = await database.getClient();
    const { reports, seed } = await reportStores(database);
    await seed('one', 1, 1);
    await seed('fifty', 50, 100);

    const queriesOf = async (name: string) => {
      const sql: string[] = [];
      const listener = (query: { sql: string }) => sql.push(query.sql);
      knex.on('query', listener);
      try {
        return { report: await reports.build(component(name)), sql };
      } finally {
        knex.off('query', listener);
      }
    };
    const one = await queriesOf('one');
    const fifty = await queriesOf('fifty');

    // What each report holds: every container with its counts, every base row.
    expect(one.report.containers).toHaveLength(1);
    expect(fifty.report.containers).toHaveLength(50);
    expect(fifty.report.baseImages).toHaveLength(50);
    expect(
      fifty.report.containers.every(
        c => c.metadata?.digest && c.vulnerabilities?.total,
      ),
    ).toBe(true);
    expect(
      fifty.report.baseImages.every(b => b.verdict.verdict === 'current'),
    ).toBe(true);

    // The same statements, as many for 50 containers as for one.
    expect(fifty.sql.length).toBe(one.sql.length);
    expect(fifty.sql.length).toBeLessThanOrEqual(4);
  });
});

/**
 * Opens a write transaction on the plugin's client that stays open until the
 * returned `commit` is called, once it has written `refreshedAt` for the entity.
 */
async function openWrite(knex: Knex, entityRef: string, refreshedAt: Date) {
  let commit!: () => void;
  const gate = new Promise<void>(resolve => {
    commit = resolve;
  });
  let written!: () => void;
  const wrote = new Promise<void>(resolve => {
    written = resolve;
  });
  const done = knex.transaction(async tx => {
    await tx('entity_refreshes')
      .where({ entity_ref: entityRef })
      .update({ refreshed_at: refreshedAt });
    written();
    await gate;
  });
  await wrote;
  return { commit, done };
}

/** Whether `read` settles while the transaction is still open; the transaction is committed either way. */
async function readsDuringWrite<T>(
  write: { commit: () => void; done: Promise<unknown> },
  read: () => Promise<T>,
): Promise<{ order: string[]; value: T }> {
  const order: string[] = [];
  // Committed when the read is answered, or, if the read waits for the
  // transaction (the failure this test is about), after a while, so the test
  // ends with the wrong order instead of hanging.
  const fallback = setTimeout(() => write.commit(), 10_000);
  const reading = read().then(value => {
    order.push('read');
    write.commit();
    return value;
  });
  await write.done;
  order.push('commit');
  clearTimeout(fallback);
  return { order, value: await reading };
}

describe('a read during an open write transaction', () => {
  // room for the fallback commit in readsDuringWrite when a read waits
  jest.setTimeout(30_000);
  const later = new Date('2026-11-23T12:00:00Z');

  /**
   * Stores an entity, opens a write transaction that changes it, and expects
   * a read meanwhile to be answered before the commit, with the last commit.
   */
  async function expectReadDuringWrite(knex: Knex, database: DatabaseService) {
    const { store, seed } = await reportStores(database);
    await seed('api', 3, 1);
    const write = await openWrite(knex, 'component:default/api', later);
    const { order, value } = await readsDuringWrite(write, () =>
      store.getEntity('component:default/api'),
    );
    expect(order).toEqual(['read', 'commit']);
    // The last commit, not the open transaction's write.
    expect(value?.refreshedAt).toEqual(NOW);
    expect(value?.containers).toHaveLength(3);
    return store;
  }

  it('is answered at once on a SQLite database file (WAL), with the last commit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-wal-'));
    const knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename: path.join(dir, 'plugin.sqlite') },
      useNullAsDefault: true,
    });
    try {
      const store = await expectReadDuringWrite(knex, {
        getClient: async () => knex,
      });
      // The journal is in WAL mode, kept in the file.
      expect(sqliteFile(knex)).toBe(path.join(dir, 'plugin.sqlite'));
      expect(await knex.raw('PRAGMA journal_mode')).toEqual([
        { journal_mode: 'wal' },
      ]);
      expect(await knex.raw('PRAGMA synchronous')).toEqual([
        { synchronous: 1 },
      ]);
      // Once committed, readers see it.
      expect(
        (await store.getEntity('component:default/api'))?.refreshedAt,
      ).toEqual(later);
    } finally {
      await knex.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const postgres = databases.ids.filter(([id]) => id.startsWith('POSTGRES'));
  for (const [id] of postgres) {
    it(`is answered at once on ${id}, with the last commit`, async () => {
      const database = await databases.database(id);
      await expectReadDuringWrite(await database.getClient(), database);
    });
  }
});
