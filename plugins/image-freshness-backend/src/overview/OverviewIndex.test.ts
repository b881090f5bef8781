/**
 * The overview's snapshot: loaded once and shared, reloaded in the
 * background when older than its limit, dropped by a refresh, and made of
 * the entity report's verdicts. The stores and the catalog are in-memory
 * stand-ins whose answers the test changes; the clock is pinned.
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { Duration } from 'luxon';
import { BaseImageReports } from '../baseImages/BaseImageReports';
import type { StoredEntity } from '../refresh/EntityStore';
import { ReportBuilder } from '../refresh/ReportBuilder';
import { OverviewIndex } from './OverviewIndex';

const NOW = new Date('2026-11-22T12:00:00.000Z');

function stored(name: string, created: string): StoredEntity {
  return {
    entityRef: `component:default/${name}`,
    info: {},
    refreshedAt: NOW,
    errors: [],
    containers: [
      {
        container: 'annotation',
        workload: { kind: 'Annotation', name },
        image: `ghcr.io/acme/${name}:1`,
        platform: 'linux/amd64',
        digest: `sha256:${name.padEnd(64, '0')}`,
        metadata: {
          digest: `sha256:${name.padEnd(64, '0')}`,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          created,
          labels: {},
          annotations: {},
          size: 1,
        },
      } as StoredEntity['containers'][number],
    ],
  };
}

const entity = (name: string, annotations: Record<string, string> = {}) =>
  ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { owner: 'team-a' },
  } as Entity);

describe('OverviewIndex', () => {
  let now: Date;
  let entities: StoredEntity[];
  let catalog: Record<string, Entity>;
  let loads: number;
  /** How the store answers; a test may hold its answer back. */
  let read: () => Promise<StoredEntity[]>;
  let index: OverviewIndex;

  beforeEach(() => {
    now = NOW;
    loads = 0;
    entities = [
      stored('api', '2026-11-20T00:00:00Z'),
      stored('old', '2026-01-01T00:00:00Z'),
    ];
    catalog = { api: entity('api'), old: entity('old') };
    const clock = () => now;
    read = async () => entities;
    const store = {
      getAllEntities: async () => {
        loads += 1;
        return read();
      },
    };
    index = new OverviewIndex({
      store,
      baseStore: { listAllBaseImages: async () => [] },
      reports: new ReportBuilder({
        store: {} as never,
        maxAge: Duration.fromObject({ days: 30 }),
        now: clock,
      }),
      baseReports: new BaseImageReports({
        store: {} as never,
        rebuildDelay: Duration.fromObject({ days: 7 }),
        now: clock,
      }),
      catalog: {
        getEntitiesByRefs: async ({ entityRefs }) => ({
          items: entityRefs.map(ref => catalog[ref.split('/')[1]]),
        }),
      },
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      maxAge: Duration.fromObject({ seconds: 30 }),
      now: clock,
    });
  });

  const summary = async () =>
    (await index.current()).rows.map(r => [
      r.entityRef,
      r.freshness.verdict,
      r.owner,
    ]);

  it('makes every row once, most urgent first, with the report’s verdicts and the catalog’s owner', async () => {
    expect(await summary()).toEqual([
      ['component:default/old', 'stale', 'group:default/team-a'],
      ['component:default/api', 'fresh', 'group:default/team-a'],
    ]);
    // the limit annotation is read at the load, as the report reads it
    catalog.api = entity('api', { 'image-freshness/max-age': '1d' });
    await index.current();
    expect(loads).toBe(1);
    index.invalidate();
    // both stale now: the oldest build first
    expect(await summary()).toEqual([
      ['component:default/old', 'stale', 'group:default/team-a'],
      ['component:default/api', 'stale', 'group:default/team-a'],
    ]);
  });

  it('answers from the snapshot while it reloads one older than its limit in the background', async () => {
    await index.current();
    entities = [stored('api', '2026-11-20T00:00:00Z')];
    now = new Date(NOW.getTime() + 29_000);
    expect((await index.current()).rows).toHaveLength(2);
    expect(loads).toBe(1);
    now = new Date(NOW.getTime() + 31_000);
    // this answer is the old snapshot; the reload runs beside it
    expect((await index.current()).rows).toHaveLength(2);
    expect(loads).toBe(2);
    await new Promise(r => setTimeout(r, 10));
    expect((await index.current()).rows).toHaveLength(1);
  });

  it('leaves out entities the catalog no longer has', async () => {
    delete catalog.old;
    expect(await summary()).toEqual([
      ['component:default/api', 'fresh', 'group:default/team-a'],
    ]);
    expect((await index.current()).entityRefs).toEqual([
      'component:default/api',
    ]);
  });

  it('does not keep a load begun before a refresh dropped the snapshot', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>(r => {
      release = r;
    });
    // the first load gets the facts before the refresh, the second after
    const before = entities;
    read = async () => {
      await held;
      return before;
    };
    const first = index.current();
    index.invalidate();
    read = async () => [stored('api', '2026-11-20T00:00:00Z')];
    const second = await index.current();
    release();
    expect((await first).rows).toHaveLength(2);
    expect(second.rows).toHaveLength(1);
    expect((await index.current()).rows).toHaveLength(1);
  });
});
