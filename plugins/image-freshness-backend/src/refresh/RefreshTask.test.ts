/*
 * The scheduled refresh's work loop on the plugin's real parts (real
 * registry, resolver, store on SQLite, the Refresh route) with a pinned
 * clock: which entities a run refreshes, in which order, how many, and what
 * it leaves for later.
 */
import { mockServices } from '@backstage/backend-test-utils';
import { stringifyEntityRef, type Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import express from 'express';
import { Duration } from 'luxon';
import request from 'supertest';
import {
  createTestParts,
  entity,
  testClock,
} from '../baseImages/__testUtils__/parts';
import { readRefreshConfig } from './config';
import { RefreshTask } from './RefreshTask';
import { EntityRefresher } from './EntityRefresher';
import type { ContainerSource } from 'backstage-plugin-image-freshness-node';
import { ReportBuilder } from './ReportBuilder';
import { createRouter } from './router';

jest.setTimeout(60_000);

const MINUTE = 60_000;
const INTERVAL = Duration.fromObject({ minutes: 30 });

describe('RefreshTask (real registry, store and Refresh route, pinned clock)', () => {
  let registry: TestRegistry;
  const clock = testClock('2026-11-24T10:00:00Z');

  beforeAll(async () => {
    registry = await startRegistry();
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      await pushImage(registry.url, `demo/${name}`, '1.0', {
        created: '2026-11-01T00:00:00Z',
        files: { name },
      });
    }
  });
  afterAll(async () => {
    await registry?.stop();
  });

  const component = (name: string): Entity => {
    const e = entity(name, [`${registry.host}/demo/${name}:1.0`]);
    return { ...e, metadata: { ...e.metadata, uid: `uid-${name}` } };
  };

  async function setup(
    names: string[],
    options: { batchSize?: number; failing?: string[] } = {},
  ) {
    clock.set('2026-11-24T10:00:00Z');
    const parts = await createTestParts({
      registryHost: registry.host,
      clock,
    });
    const catalog = catalogServiceMock({ entities: names.map(component) });
    const now = () => clock.now;
    const task = new RefreshTask({
      catalog,
      auth: mockServices.auth(),
      refresher: {
        refresh: target =>
          options.failing?.includes(target.metadata.name)
            ? Promise.reject(new Error('the Kubernetes backend is down'))
            : parts.refresher.refresh(target),
      },
      store: parts.freshnessStore,
      otherStores: [parts.store],
      logger: parts.logger,
      interval: INTERVAL,
      batchSize: options.batchSize,
      now,
    });
    /** When each entity was last refreshed (the report's refreshedAt), by name. */
    const refreshedAt = async () => {
      const all = await parts.freshnessStore.getAllEntities();
      return Object.fromEntries(
        all.map(e => [
          e.entityRef.replace('component:default/', ''),
          e.refreshedAt.toISOString(),
        ]),
      );
    };
    return { parts, catalog, task, refreshedAt };
  }

  it('refreshes the due entities only, never refreshed first, then the longest ago, a batch per run', async () => {
    const { parts, task, refreshedAt } = await setup(
      ['e', 'd', 'c', 'b', 'a'],
      {
        batchSize: 2,
      },
    );
    try {
      const t0 = clock.now.toISOString();
      expect(await task.run()).toEqual({
        entities: 5,
        refreshed: 2,
        failed: 0,
        remaining: 0,
        removed: 0,
        aborted: false,
      });
      expect(await refreshedAt()).toEqual({ a: t0, b: t0 });

      clock.advance(MINUTE);
      const t1 = clock.now.toISOString();
      expect((await task.run()).refreshed).toBe(2);
      clock.advance(MINUTE);
      const t2 = clock.now.toISOString();
      expect((await task.run()).refreshed).toBe(1);
      expect(await refreshedAt()).toEqual({
        a: t0,
        b: t0,
        c: t1,
        d: t1,
        e: t2,
      });

      // Nothing is due before its interval (less the one-minute margin)...
      clock.set('2026-11-24T10:28:59Z');
      expect((await task.run()).refreshed).toBe(0);
      // ...then the longest ago first: a and b (10:00) before c and d (10:01).
      clock.set('2026-11-24T10:29:00Z');
      const t3 = clock.now.toISOString();
      expect((await task.run()).refreshed).toBe(2);
      expect(await refreshedAt()).toEqual({
        a: t3,
        b: t3,
        c: t1,
        d: t1,
        e: t2,
      });
    } finally {
      await parts.close();
    }
  });

  it('with the default batch, refreshes every entity at every run of the schedule', async () => {
    const names = ['a', 'b', 'c', 'd', 'e'];
    const { parts, task, refreshedAt } = await setup(names);
    try {
      for (let run = 0; run < 3; run++) {
        const at = clock.now.toISOString();
        expect((await task.run()).refreshed).toBe(5);
        expect(Object.values(await refreshedAt())).toEqual(names.map(() => at));
        // the next run, a few seconds early by this replica's clock
        clock.advance(INTERVAL.toMillis() - 5000);
      }
    } finally {
      await parts.close();
    }
  });

  it('refreshes a catalog of several pages whole, and each entity as the catalog has it', async () => {
    clock.set('2026-11-24T10:00:00Z');
    const parts = await createTestParts({
      registryHost: registry.host,
      clock,
    });
    // 450 entities (three pages of the catalog) declaring a malformed image:
    // each is refreshed and stored with its error, without asking a registry
    const entities = Array.from({ length: 450 }, (_, i) =>
      entity(`svc-${String(i).padStart(3, '0')}`, [`Bad Ref ${i}`]),
    );
    const task = new RefreshTask({
      catalog: catalogServiceMock({ entities }),
      auth: mockServices.auth(),
      refresher: parts.refresher,
      store: parts.freshnessStore,
      logger: parts.logger,
      interval: INTERVAL,
      now: () => clock.now,
    });
    try {
      expect(await task.run()).toMatchObject({
        entities: 450,
        refreshed: 450,
        failed: 0,
      });
      const stored = await parts.freshnessStore.getAllEntities();
      expect(stored.map(e => e.entityRef)).toEqual(
        entities.map(e => stringifyEntityRef(e)),
      );
      expect(
        stored.every(
          (e, i) =>
            e.containers.length === 1 &&
            e.containers[0].image === `Bad Ref ${i}` &&
            e.containers[0].error?.class === 'INVALID_REQUEST',
        ),
      ).toBe(true);
    } finally {
      await parts.close();
    }
  });

  it('does not redo an entity refreshed with the Refresh button', async () => {
    const { parts, catalog, task, refreshedAt } = await setup(['a', 'b']);
    try {
      const t0 = clock.now.toISOString();
      await task.run();
      expect(await refreshedAt()).toEqual({ a: t0, b: t0 });

      // 25 minutes later, someone presses Refresh on a.
      clock.advance(25 * MINUTE);
      const pressed = clock.now.toISOString();
      const app = express().use(
        await createRouter({
          httpAuth: mockServices.httpAuth(),
          catalog,
          reports: new ReportBuilder({
            store: parts.freshnessStore,
            maxAge: readRefreshConfig(new ConfigReader({})).maxAge,
            baseImages: parts.reports,
            now: () => clock.now,
          }),
          refresher: parts.refresher,
          store: parts.freshnessStore,
          logger: parts.logger,
          now: () => clock.now,
        }),
      );
      const res = await request(app).post(
        '/entities/component/default/a/refresh',
      );
      expect(res.status).toBe(202);
      for (let i = 0; i < 100 && (await refreshedAt()).a !== pressed; i++) {
        await new Promise(r => setTimeout(r, 50));
      }
      expect(await refreshedAt()).toEqual({ a: pressed, b: t0 });

      // The next scheduled run, 30 minutes after the first: b is due, a is not.
      clock.advance(5 * MINUTE);
      const next = clock.now.toISOString();
      await new Promise(r => setTimeout(r, 200)); // the registry logs just after answering
      const before = registry.logs().length;
      expect((await task.run()).refreshed).toBe(1);
      expect(await refreshedAt()).toEqual({ a: pressed, b: next });
      await new Promise(r => setTimeout(r, 200));
      const heads = registry
        .logs()
        .slice(before)
        .filter(line => /"HEAD \/v2\/demo\/[ab]\/manifests/.test(line));
      expect(heads).toHaveLength(1);
      expect(heads[0]).toContain('HEAD /v2/demo/b/manifests/1.0');
    } finally {
      await parts.close();
    }
  });

  it('lets an entity that fails wait its turn instead of heading every run', async () => {
    const { parts, task, refreshedAt } = await setup(['a', 'b', 'c'], {
      batchSize: 2,
      failing: ['a'],
    });
    try {
      const t0 = clock.now.toISOString();
      expect(await task.run()).toMatchObject({ refreshed: 1, failed: 1 });
      expect(await refreshedAt()).toEqual({ b: t0 });
      expect(parts.logger.warn).toHaveBeenCalledWith(
        'Could not refresh entity images',
        {
          entityRef: 'component:default/a',
          error: 'the Kubernetes backend is down',
        },
      );
      // a, failed a minute ago, waits its interval like a refreshed entity:
      // c gets its turn
      clock.advance(MINUTE);
      expect(await task.run()).toMatchObject({ refreshed: 1, failed: 0 });
      expect(Object.keys(await refreshedAt()).sort()).toEqual(['b', 'c']);
    } finally {
      await parts.close();
    }
  });

  it('removes the data and the place in line of entities that left the catalog', async () => {
    const { parts, catalog, task } = await setup(['a', 'b', 'c'], {
      batchSize: 1,
    });
    try {
      await task.run();
      const refs = ['a', 'b', 'c'].map(n => stringifyEntityRef(component(n)));
      // a refreshed, b and c waiting
      expect(await parts.freshnessStore.listEntityRefs()).toEqual(refs);
      await catalog.removeEntityByUid('uid-a');
      await catalog.removeEntityByUid('uid-b');
      expect(await task.run()).toMatchObject({
        entities: 1,
        refreshed: 1,
        removed: 2,
      });
      expect(await parts.freshnessStore.listEntityRefs()).toEqual([refs[2]]);
      expect(await parts.freshnessStore.getEntity(refs[0])).toBeUndefined();
    } finally {
      await parts.close();
    }
  });

  it('refreshes nothing and removes nothing when stopped before it starts', async () => {
    const { parts, task, refreshedAt } = await setup(['a', 'b']);
    try {
      const controller = new AbortController();
      controller.abort();
      expect(await task.run(controller.signal)).toEqual({
        entities: 0,
        refreshed: 0,
        failed: 0,
        remaining: 0,
        removed: 0,
        aborted: true,
      });
      expect(await refreshedAt()).toEqual({});
    } finally {
      await parts.close();
    }
  });

  it("starts each source's run once per run, finds the run's entities through it, and ends it", async () => {
    const { parts } = await setup([]);
    try {
      const events: string[] = [];
      const source: ContainerSource = {
        name: 'bulk',
        annotations: ['image-freshness/images'],
        // outside a run (the Refresh button)
        find: async e => {
          events.push(`find ${e.metadata.name}`);
          return { containers: [], errors: [] };
        },
        startRun: async ({ signal }) => {
          events.push(`start (aborted: ${signal.aborted})`);
          return {
            find: async (e, platform) => {
              events.push(`run find ${e.metadata.name}`);
              return {
                containers: [
                  {
                    key: `bulk/${e.metadata.name}`,
                    container: 'app',
                    workload: { kind: 'Annotation', name: e.metadata.name },
                    image: `${registry.host}/demo/${e.metadata.name}:1.0`,
                    platform,
                  },
                ],
                errors: [],
              };
            },
            end: async () => {
              events.push('end');
            },
          };
        },
      };
      const refresher = new EntityRefresher({
        sources: [source],
        resolver: parts.resolver,
        store: parts.freshnessStore,
        logger: parts.logger,
        defaultPlatform: 'linux/amd64',
        now: () => clock.now,
      });
      const task = new RefreshTask({
        catalog: catalogServiceMock({ entities: ['a', 'b'].map(component) }),
        auth: mockServices.auth(),
        refresher,
        store: parts.freshnessStore,
        logger: parts.logger,
        now: () => clock.now,
      });
      expect(await task.run()).toMatchObject({ refreshed: 2, failed: 0 });
      expect([...events].sort()).toEqual(
        ['end', 'run find a', 'run find b', 'start (aborted: false)'].sort(),
      );
      expect(events.indexOf('end')).toBe(events.length - 1);
      const stored = await parts.freshnessStore.getEntity(
        'component:default/a',
      );
      expect(stored?.containers.map(c => c.image)).toEqual([
        `${registry.host}/demo/a:1.0`,
      ]);

      // a source whose run cannot start is asked through find, and the run goes on
      events.length = 0;
      source.startRun = async () => {
        throw new Error('no clusters');
      };
      expect(await task.run()).toMatchObject({ refreshed: 2, failed: 0 });
      expect([...events].sort()).toEqual(['find a', 'find b']);
    } finally {
      await parts.close();
    }
  });
});
