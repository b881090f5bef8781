import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import type { JsonObject } from '@backstage/types';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import request from 'supertest';
import { startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const METRICS = '/api/image-freshness/metrics';

/**
 * The route in the plugin as it is wired (plugin.ts), in a test backend where
 * a request without an Authorization header carries no credentials.
 */
describe('GET /api/image-freshness/metrics', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  function start(metrics: JsonObject, images: string[] = []) {
    return startPluginBackend({
      features: [
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'api',
                annotations: { 'image-freshness/images': images.join(',') },
              },
              spec: {
                type: 'service',
                lifecycle: 'production',
                owner: 'team-a',
                system: 'shop',
              },
            },
          ],
        }),
      ],
      config: {
        imageFreshness: {
          cacheDuration: '0s',
          allowedHosts: [registry.host],
          metrics,
        },
      },
    });
  }

  it('needs service credentials unless public', async () => {
    const { backend } = await start({});
    try {
      const anonymous = await request(backend.server).get(METRICS);
      expect(anonymous.status).toBe(401);
      const invalid = await request(backend.server)
        .get(METRICS)
        .set('authorization', 'Bearer mock-invalid-service-token');
      expect(invalid.status).toBe(401);
      // A signed-in user is not enough: the series name every entity,
      // whatever the catalog lets that user see.
      const user = await request(backend.server)
        .get(METRICS)
        .set('authorization', mockCredentials.user.header());
      expect(user.status).toBe(403);
      const service = await request(backend.server)
        .get(METRICS)
        .set('authorization', mockCredentials.service.header());
      expect(service.status).toBe(200);
      expect(service.headers['content-type']).toBe(
        'text/plain; version=0.0.4; charset=utf-8',
      );
      expect(service.text).toContain(
        '# TYPE container_image_container_info gauge',
      );
    } finally {
      await backend.stop();
    }
  });

  it('is open with public: true', async () => {
    const { backend } = await start({ public: true });
    try {
      const anonymous = await request(backend.server).get(METRICS);
      expect(anonymous.status).toBe(200);
      expect(anonymous.text).toContain(
        '# TYPE image_freshness_entity_info gauge',
      );
    } finally {
      await backend.stop();
    }
  });

  it('serves what the last refresh stored, with the refresh figures', async () => {
    const pushed = await pushImage(registry.url, 'metrics/api', '1.0', {
      created: '2026-10-01T00:00:00.000Z',
      labels: {
        'org.opencontainers.image.source': 'https://example.com/api',
        'com.example.not-exported': 'x',
      },
    });
    const image = `${registry.host}/metrics/api:1.0`;
    const missing = `${registry.host}/metrics/missing:1.0`;
    const { backend, scheduler } = await start({ public: true }, [
      image,
      missing,
    ]);
    try {
      const before = await request(backend.server).get(METRICS);
      expect(before.text).not.toContain('image_freshness_last_refresh');
      expect(before.text).not.toContain('container_image_container_info{');

      await scheduler.triggerTask('image-freshness-refresh');
      // Prometheus asks for gzip: one gzip stream, the same text.
      const gzipped = await request(backend.server)
        .get(METRICS)
        .set('accept-encoding', 'gzip');
      expect(gzipped.headers['content-encoding']).toBe('gzip');
      const plain = await request(backend.server)
        .get(METRICS)
        .set('accept-encoding', 'identity');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(Number(plain.headers['content-length'])).toBe(
        Buffer.byteLength(plain.text),
      );
      expect(gzipped.text).toBe(plain.text);
      const after = plain.text;
      const sample = (prefix: string) =>
        after.split('\n').filter(line => line.startsWith(prefix));
      expect(sample('container_image_container_info{')).toEqual([
        `container_image_container_info{group="backstage.io",version="v1alpha1",kind="Annotation",namespace="default",name="api",jsonpath="{.metadata.annotations.image-freshness/images}",image="${image}",digest="${pushed.digest}",cluster="",entity="component:default/api"} 1`,
        `container_image_container_info{group="backstage.io",version="v1alpha1",kind="Annotation",namespace="default",name="api",jsonpath="{.metadata.annotations.image-freshness/images}",image="${missing}",digest="",cluster="",entity="component:default/api"} 1`,
      ]);
      expect(sample('container_image_container_error{')).toEqual([
        `container_image_container_error{group="backstage.io",version="v1alpha1",kind="Annotation",namespace="default",name="api",jsonpath="{.metadata.annotations.image-freshness/images}",image="${missing}",digest="",cluster="",entity="component:default/api",error="NOT_FOUND"} 1`,
      ]);
      expect(sample('image_freshness_entity_info{')).toEqual([
        'image_freshness_entity_info{entity="component:default/api",owner="team-a",system="shop",lifecycle="production",type="service"} 1',
      ]);
      expect(sample('container_image_created{')).toEqual([
        `container_image_created{digest="${pushed.digest}"} ${
          Date.parse('2026-10-01T00:00:00.000Z') / 1000
        }`,
      ]);
      expect(sample('container_image_size_bytes{')).toEqual([
        `container_image_size_bytes{digest="${pushed.digest}"} ${pushed.size}`,
      ]);
      expect(sample('container_image_label{')).toEqual([
        `container_image_label{digest="${pushed.digest}",key="org.opencontainers.image.source",value="https://example.com/api"} 1`,
      ]);
      expect(sample('image_freshness_resolve_errors_total{')).toEqual([
        `image_freshness_resolve_errors_total{host="${registry.host}",error="NOT_FOUND"} 1`,
      ]);
      expect(
        sample('image_freshness_last_refresh_timestamp_seconds '),
      ).toHaveLength(1);
      const lastRefresh = Number(
        sample('image_freshness_last_refresh_timestamp_seconds ')[0].split(
          ' ',
        )[1],
      );
      expect(Math.abs(lastRefresh - Date.now() / 1000)).toBeLessThan(30);
      expect(sample('image_freshness_refresh_duration_seconds ')).toHaveLength(
        1,
      );
    } finally {
      await backend.stop();
    }
  });
});
