import type { DatabaseService } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import knexFactory, { Knex } from 'knex';
import { Duration } from 'luxon';
import { KnexRegistryCache } from '../registry/KnexRegistryCache';
import { KnexEntityStore } from './KnexEntityStore';
import { vulnerabilityCountsLookup } from '../vulnerabilities/countsLookup';
import { KnexVulnerabilityStore } from '../vulnerabilities/KnexVulnerabilityStore';
import { ReportBuilder } from './ReportBuilder';

const NOW = new Date('2026-11-22T12:00:00Z');
const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

const entity = (annotations: Record<string, string> = {}): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'api',
    annotations: {
      'image-freshness/images': 'r/api:1, r/worker:1',
      ...annotations,
    },
  },
  spec: { type: 'service', owner: 'team-a' },
});

const metadata = (digest: string, created: string): ImageMetadata => ({
  digest,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  created,
  labels: {},
  annotations: {},
  size: 10,
});

describe('ReportBuilder', () => {
  let knex: Knex;
  let store: KnexEntityStore;
  let vulnerabilityStore: KnexVulnerabilityStore;

  beforeEach(async () => {
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: ':memory:',
      useNullAsDefault: true,
    });
    const database: DatabaseService = { getClient: async () => knex };
    store = await KnexEntityStore.create({ database });
    const cache = await KnexRegistryCache.create({ database });
    vulnerabilityStore = await KnexVulnerabilityStore.create({ database });
    await cache.putMetadata(
      DIGEST,
      'linux/amd64',
      metadata(DIGEST, '2026-11-20T12:00:00Z'),
      NOW,
    );
    await cache.putMetadata(
      OTHER,
      'linux/amd64',
      metadata(OTHER, '2026-10-01T12:00:00Z'),
      NOW,
    );
    await store.saveEntity({
      entityRef: 'component:default/api',
      info: {},
      refreshedAt: NOW,
      sourceErrors: [],
      containers: [DIGEST, OTHER].map((digest, i) => ({
        key: `annotation/${i}`,
        container: 'annotation',
        workload: { kind: 'Annotation', name: 'api' },
        image: i ? 'r/worker:1' : 'r/api:1',
        platform: 'linux/amd64',
        outcome: { digest, resolvedAt: NOW },
      })),
    });
    await vulnerabilityStore.recordSummary(DIGEST, `r/api@${DIGEST}`, {
      counts: { CRITICAL: 1, HIGH: 3 },
      total: 4,
      scannedAt: NOW,
    });
  });
  afterEach(() => knex.destroy());

  const builder = (available: boolean) =>
    new ReportBuilder({
      store,
      maxAge: Duration.fromObject({ days: 30 }),
      now: () => NOW,
      vulnerabilities: {
        availability: available
          ? { available: true, scanner: 'trivy', version: '0.58.0' }
          : { available: false, reason: 'no trivy binary on the PATH' },
        severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
        lookup: vulnerabilityCountsLookup(vulnerabilityStore),
      },
    });

  it('gives each container its vulnerability counts when a scanner is available', async () => {
    const report = await builder(true).build(entity());
    expect(report.vulnerabilities).toEqual({
      available: true,
      severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
    });
    const byImage = Object.fromEntries(
      report.containers.map(c => [c.image, c]),
    );
    expect(byImage['r/api:1'].vulnerabilities).toEqual({
      counts: { CRITICAL: 1, HIGH: 3 },
      total: 4,
      scannedAt: NOW.toISOString(),
    });
    expect(byImage['r/worker:1'].vulnerabilities).toBeUndefined(); // not scanned yet
    expect(byImage['r/api:1'].tag).toBe('1');
  });

  it('says the feature is unavailable, and why, without counts', async () => {
    const report = await builder(false).build(entity());
    expect(report.vulnerabilities).toEqual({
      available: false,
      reason: 'no trivy binary on the PATH',
      severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
    });
    expect(report.containers.every(c => !c.vulnerabilities)).toBe(true);
  });

  it('judges freshness against the entity annotation, else the configured limit, and says which', async () => {
    const configured = await builder(true).build(entity());
    expect(configured.maxAge).toEqual({ duration: 'P30D', source: 'config' });
    expect(configured.containers.map(c => c.freshness.verdict).sort()).toEqual([
      'fresh',
      'stale',
    ]);
    const annotated = await builder(true).build(
      entity({ 'image-freshness/max-age': '1d' }),
    );
    expect(annotated.maxAge).toEqual({ duration: 'P1D', source: 'annotation' });
    expect(annotated.containers.map(c => c.freshness.verdict).sort()).toEqual([
      'stale',
      'stale',
    ]);
  });

  it('names the tag\'s digest `digest` and a multi-arch image\'s platform manifest `platformDigest`; a malformed reference is not "not resolved yet"', async () => {
    const INDEX = `sha256:${'c'.repeat(64)}`;
    const CHILD = `sha256:${'d'.repeat(64)}`;
    const database: DatabaseService = { getClient: async () => knex };
    const cache = await KnexRegistryCache.create({ database });
    await cache.putMetadata(
      INDEX,
      'linux/amd64',
      { ...metadata(CHILD, '2026-11-20T12:00:00Z'), indexDigest: INDEX },
      NOW,
    );
    await store.saveEntity({
      entityRef: 'component:default/api',
      info: {},
      refreshedAt: NOW,
      sourceErrors: [],
      containers: (
        [
          ['r/multi:1', { digest: INDEX, resolvedAt: NOW }],
          ['r/api:1', { digest: DIGEST, resolvedAt: NOW }],
          [
            'r/Bad Name:1',
            {
              error: {
                class: 'INVALID_REQUEST',
                message: 'r/Bad Name:1: invalid reference',
                advice:
                  'Fix the image reference or the annotation that declares it.',
                at: NOW.toISOString(),
              },
            },
          ],
        ] as const
      ).map(([image, outcome], i) => ({
        key: `annotation/${i}`,
        container: 'annotation',
        workload: { kind: 'Annotation' as const, name: 'api' },
        image,
        platform: 'linux/amd64',
        outcome,
      })),
    });
    const report = await builder(true).build(entity());
    const byImage = Object.fromEntries(
      report.containers.map(c => [c.image, c]),
    );
    expect(byImage['r/multi:1']).toMatchObject({
      digest: INDEX,
      platformDigest: CHILD,
      // the old names, kept for one release
      metadata: { digest: CHILD, indexDigest: INDEX },
    });
    expect(byImage['r/api:1'].digest).toBe(DIGEST);
    expect(byImage['r/api:1'].platformDigest).toBeUndefined();
    const bad = byImage['r/Bad Name:1'];
    expect(bad.digest).toBeUndefined();
    expect(bad.freshness).toEqual({
      verdict: 'unknown',
      reason:
        'Cannot be resolved: the image reference is malformed; fix it where it is declared',
    });
  });
});
