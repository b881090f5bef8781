/**
 * Requests no route of the plugin answers: before, the framework's empty 404
 * (found by router.fuzz.test.ts); now a JSON NotFoundError that names the
 * method and path, while every real route of the plugin still answers.
 */
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

describe('requests no route answers', () => {
  let backend: Awaited<ReturnType<typeof startPluginBackend>>['backend'];

  beforeAll(async () => {
    ({ backend } = await startPluginBackend({
      features: [
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: { name: 'api' },
            },
          ],
        }),
      ],
      config: {
        imageFreshness: { cacheDuration: '0s', metrics: { public: true } },
      },
    }));
  });
  afterAll(() => backend?.stop());

  it.each([
    ['get', '/entities/component/default/api/refresh'],
    ['put', '/entities/component/default/api'],
    ['get', '/entities/component/default'],
    ['delete', '/entities/a/b/c/d'],
  ] as const)('%s %s answers a JSON NotFoundError', async (method, path) => {
    const res = await request(backend.server)[method](
      `/api/image-freshness${path}`,
    );
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({
      name: 'NotFoundError',
      message: `The image-freshness API has no route ${method.toUpperCase()} ${path}; its routes are listed in the plugin's README`,
    });
    expect(res.body.response).toEqual({ statusCode: 404 });
  });

  it('still serves the routes mounted before it', async () => {
    const report = await request(backend.server).get(
      '/api/image-freshness/entities/component/default/api',
    );
    expect(report.status).toBe(200);
    expect(report.body.entityRef).toBe('component:default/api');
    const metrics = await request(backend.server).get(
      '/api/image-freshness/metrics',
    );
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('# TYPE image_freshness_entity_info gauge');
  });
});
