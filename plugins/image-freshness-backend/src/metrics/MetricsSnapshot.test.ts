import { mockServices, TestDatabaseId } from '@backstage/backend-test-utils';
import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import type { EntityRefreshResult, EntityStore } from '../refresh/EntityStore';
import { storeTestDatabases } from '../__testUtils__/testDatabases';
import { KnexRegistryCache } from '../registry/KnexRegistryCache';
import { KnexEntityStore } from '../refresh/KnexEntityStore';
import { MetricsCollector } from './MetricsCollector';
import { MetricsSnapshot } from './MetricsSnapshot';

const databases = storeTestDatabases();

const DIGEST = `sha256:${'1'.repeat(64)}`;
const metadata: ImageMetadata = {
  digest: DIGEST,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  created: '2026-11-01T10:00:00.000Z',
  labels: {},
  annotations: {},
  size: 1234,
};

function result(
  entityRef: string,
  images: Array<{ image: string; error?: string; at?: Date }>,
  refreshedAt: Date,
): EntityRefreshResult {
  return {
    entityRef,
    info: { owner: 'team-a' },
    refreshedAt,
    sourceErrors: [],
    containers: images.map(({ image, error, at }) => ({
      key: `annotation/${image}`,
      container: 'annotation',
      workload: { kind: 'Annotation', name: entityRef.split('/')[1] },
      image,
      platform: 'linux/amd64',
      outcome: error
        ? {
            error: {
              class: error as 'NOT_FOUND',
              message: `${image}: ${error}`,
              advice: '',
              at: (at ?? refreshedAt).toISOString(),
            },
          }
        : { digest: DIGEST, resolvedAt: refreshedAt },
    })),
  };
}

/** A settable clock. */
function clock(start: string) {
  let now = new Date(start);
  return {
    now: () => now,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

const lines = (text: string, prefix: string) =>
  text.split('\n').filter(l => l.startsWith(prefix));

async function flush() {
  // lets a background load finish
  for (let i = 0; i < 20; i++) await new Promise(r => setImmediate(r));
}

describe.each(databases.ids)('MetricsSnapshot on %s', (id: TestDatabaseId) => {
  async function setup(maxAge = Duration.fromObject({ minutes: 1 })) {
    const database = await databases.database(id);
    const store = await KnexEntityStore.create({ database });
    const cache = await KnexRegistryCache.create({ database });
    await cache.putMetadata(DIGEST, 'linux/amd64', metadata, new Date());
    const time = clock('2026-11-20T10:00:00Z');
    const logger = mockServices.logger.mock();
    const collector = new MetricsCollector({
      config: {
        labelKeys: [],
        annotationKeys: [],
        maxValueLength: 256,
        maxSeries: 200_000,
      },
      logger,
    });
    const snapshot = new MetricsSnapshot({
      store,
      collector,
      logger,
      maxAge,
      now: time.now,
    });
    return { store, collector, snapshot, time, logger };
  }

  it('loads on the first scrape, then serves the snapshot until it is older than maxAge', async () => {
    const { store, collector, snapshot, time } = await setup();
    await store.saveEntity(
      result('component:default/a', [{ image: 'r.example/a:1' }], time.now()),
    );
    await snapshot.ensureCurrent();
    const entities = async () =>
      lines(await collector.render(), 'image_freshness_entity_info{');
    expect(await entities()).toHaveLength(1);

    await store.saveEntity(
      result('component:default/b', [{ image: 'r.example/b:1' }], time.now()),
    );
    time.advance(30_000);
    await snapshot.ensureCurrent();
    await flush();
    expect(await entities()).toHaveLength(1);

    // Older than a minute: this scrape still answers from the old
    // snapshot, and starts a reload in the background.
    time.advance(31_000);
    await snapshot.ensureCurrent();
    await flush();
    await snapshot.reload(); // waits for the background load
    expect(await entities()).toHaveLength(2);
    expect(
      lines(
        await collector.render(),
        'image_freshness_metrics_snapshot_timestamp_seconds ',
      ),
    ).toEqual([
      `image_freshness_metrics_snapshot_timestamp_seconds ${
        Date.parse('2026-11-20T10:01:01Z') / 1000
      }`,
    ]);
  });

  it('reloads after a refresh run, records its duration, and counts the resolve and source errors it stored', async () => {
    const { store, collector, snapshot, time } = await setup();
    // An error from an earlier run: not counted again.
    await store.saveEntity(
      result(
        'component:default/old',
        [{ image: 'ghcr.io/acme/old:1', error: 'NOT_FOUND' }],
        new Date('2026-11-20T09:00:00Z'),
      ),
    );
    await snapshot.ensureCurrent();

    const answer = await snapshot.recordRefresh(async () => {
      time.advance(1000);
      await store.saveEntity(
        result(
          'component:default/a',
          [
            {
              image: 'ghcr.io/acme/a:1',
              error: 'RATE_LIMITED',
              at: time.now(),
            },
            {
              image: 'ghcr.io/acme/b:1',
              error: 'RATE_LIMITED',
              at: time.now(),
            },
            {
              image: '127.0.0.2:5000/x:1',
              error: 'BLOCKED_HOST',
              at: time.now(),
            },
            { image: 'Bad/Name:1', error: 'INVALID_REQUEST', at: time.now() },
            { image: 'r.example/ok:1' },
          ],
          time.now(),
        ),
      );
      await store.saveEntity({
        ...result('component:default/b', [], time.now()),
        sourceErrors: ['eu-west', 'eu-west', 'us-east'].map(cluster => ({
          source: `kubernetes:${cluster}`,
          class: 'AUTHENTICATION' as const,
          message: `Kubernetes cluster "${cluster}" answered 401`,
          advice: '',
          at: time.now().toISOString(),
        })),
      });
      time.advance(2500);
      return { entities: 2, failed: 0, removed: 0 };
    });
    expect(answer).toEqual({ entities: 2, failed: 0, removed: 0 });

    const text = await collector.render();
    expect(lines(text, 'image_freshness_resolve_errors_total{').sort()).toEqual(
      [
        'image_freshness_resolve_errors_total{host="127.0.0.2:5000",error="BLOCKED_HOST"} 1',
        'image_freshness_resolve_errors_total{host="docker.io",error="INVALID_REQUEST"} 1',
        'image_freshness_resolve_errors_total{host="ghcr.io",error="RATE_LIMITED"} 2',
      ],
    );
    expect(lines(text, 'image_freshness_source_errors_total{').sort()).toEqual([
      'image_freshness_source_errors_total{source="kubernetes:eu-west",error="AUTHENTICATION"} 2',
      'image_freshness_source_errors_total{source="kubernetes:us-east",error="AUTHENTICATION"} 1',
    ]);
    expect(lines(text, 'image_freshness_refresh_duration_seconds ')).toEqual([
      'image_freshness_refresh_duration_seconds 3.5',
    ]);
    expect(
      lines(text, 'image_freshness_last_refresh_timestamp_seconds '),
    ).toEqual([
      `image_freshness_last_refresh_timestamp_seconds ${
        Date.parse('2026-11-20T10:00:03.5Z') / 1000
      }`,
    ]);
    // The snapshot was reloaded right away (no waiting for maxAge).
    expect(lines(text, 'container_image_container_info{')).toHaveLength(6);
    expect(
      lines(text, 'container_image_container_error{').filter(l =>
        l.includes('error="RATE_LIMITED"'),
      ),
    ).toHaveLength(2);
  });

  it('keeps the last snapshot, and logs, when the store fails', async () => {
    const { store, collector, time, logger } = await setup();
    await store.saveEntity(
      result('component:default/a', [{ image: 'r.example/a:1' }], time.now()),
    );
    let failing = false;
    const flaky: Pick<EntityStore, 'getAllEntities'> = {
      getAllEntities: () =>
        failing
          ? Promise.reject(new Error('connection refused'))
          : store.getAllEntities(),
    };
    const snapshot = new MetricsSnapshot({
      store: flaky,
      collector,
      logger,
      maxAge: Duration.fromObject({ seconds: 0 }),
      now: time.now,
    });
    await snapshot.ensureCurrent();
    failing = true;
    await snapshot.reload();
    expect(logger.warn).toHaveBeenCalledWith(
      'Could not load the metrics snapshot from the store',
      { error: 'Error: connection refused' },
    );
    expect(
      lines(await collector.render(), 'container_image_container_info{'),
    ).toHaveLength(1);
  });
});
