import { createBackendModule } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import {
  type EntityImageReports,
  imageFreshnessFeaturesExtensionPoint,
} from 'backstage-plugin-image-freshness-node';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startPluginBackend,
  waitForComponent,
} from '../__testUtils__/pluginBackend';

jest.setTimeout(120_000);

/** A module whose feature keeps the reports port the core hands it. */
function capturingModule() {
  let port: EntityImageReports | undefined;
  const module = createBackendModule({
    pluginId: 'image-freshness',
    moduleId: 'reports-port-test',
    register(env) {
      env.registerInit({
        deps: { features: imageFreshnessFeaturesExtensionPoint },
        async init({ features }) {
          features.addFeature(context => {
            port = context.reports;
            return { name: 'reports-port-test' };
          });
        },
      });
    },
  });
  return {
    module,
    reports: () => {
      if (!port) throw new Error('the core gave the feature no reports port');
      return port;
    },
  };
}

describe('the entity reports port features are given', () => {
  let registry: TestRegistry;
  let dir: string;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-reports-'));
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the stored entities and builds the report the API serves, limit annotation included', async () => {
    const old = await pushImage(registry.url, 'port/api', '1.0', {
      created: '2020-01-01T00:00:00.000Z',
    });
    const catalogFile = path.join(dir, 'catalog.yaml');
    const entity: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'api',
        namespace: 'default',
        annotations: {
          'image-freshness/images': `${registry.host}/port/api:1.0`,
          'image-freshness/max-age': '14d',
        },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
    };
    fs.writeFileSync(catalogFile, JSON.stringify(entity));
    const captured = capturingModule();
    const { backend, scheduler } = await startPluginBackend({
      modules: false,
      features: [catalogPlugin, captured.module],
      config: {
        catalog: {
          rules: [{ allow: ['Component'] }],
          locations: [{ type: 'file', target: catalogFile }],
        },
        imageFreshness: { allowedHosts: [registry.host] },
      },
    });
    try {
      await waitForComponent(backend.server, 'api');
      await scheduler.triggerTask('image-freshness-refresh');
      const served = await request(backend.server).get(
        '/api/image-freshness/entities/component/default/api',
      );
      expect(served.status).toBe(200);

      const reports = captured.reports();
      expect(await reports.listEntityRefs()).toEqual(['component:default/api']);
      const built = await reports.build(entity);
      expect(built).toEqual(served.body);
      expect(built.maxAge).toEqual({ duration: 'P14D', source: 'annotation' });
      expect(built.containers).toEqual([
        expect.objectContaining({
          digest: old.digest,
          freshness: expect.objectContaining({ verdict: 'stale' }),
        }),
      ]);

      const unknown = await reports.build({
        ...entity,
        metadata: { ...entity.metadata, name: 'not-stored' },
      });
      expect(unknown.containers).toEqual([]);
      expect(unknown.refreshedAt).toBeUndefined();
    } finally {
      await backend.stop();
    }
  });
});
