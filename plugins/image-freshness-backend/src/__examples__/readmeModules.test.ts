import catalogPlugin from '@backstage/plugin-catalog-backend';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startPluginBackend,
  waitForComponent,
} from '../__testUtils__/pluginBackend';
import {
  exampleCredentialsModule,
  exampleFeatureModule,
  exampleScannerModule,
  exampleSourceModule,
} from './readmeModules';

jest.setTimeout(120_000);

const README = path.resolve(
  __dirname,
  '../../../image-freshness-node/README.md',
);

/** The code between the example markers of readmeModules.ts. */
function exampleCode(): string {
  const text = fs.readFileSync(
    path.join(__dirname, 'readmeModules.ts'),
    'utf8',
  );
  const start = text.indexOf('// README example start\n');
  const end = text.indexOf('// README example end');
  return text.slice(start + '// README example start\n'.length, end).trim();
}

describe('the module examples of the -node README', () => {
  let registry: TestRegistry;
  let dir: string;
  const user = { username: 'example-bot', password: 'ex4mple-pass' };

  beforeAll(async () => {
    // every request needs the credentials only the example provider knows
    registry = await startRegistry({ basicAuth: user });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-examples-'));
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are in the README word for word', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${exampleCode()}\n\`\`\``);
  });

  it('run in a backend: their source, credentials, scanner and route are used', async () => {
    const pushed = await pushImage(
      registry.url,
      'demo/api',
      '1.0',
      { created: '2026-11-01T08:30:00.000Z' },
      user,
    );
    const image = `${registry.host}/demo/api:1.0`;
    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(
      catalogFile,
      `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: api
  annotations:
    example.com/image: ${image}
spec: { type: service, lifecycle: production, owner: team-a }
`,
    );
    const { backend, scheduler } = await startPluginBackend({
      modules: false,
      features: [
        catalogPlugin,
        exampleSourceModule,
        exampleCredentialsModule,
        exampleScannerModule,
        exampleFeatureModule,
      ],
      config: {
        catalog: {
          rules: [{ allow: ['Component'] }],
          locations: [{ type: 'file', target: catalogFile }],
        },
        example: { registry: registry.host, ...user },
        imageFreshness: { cacheDuration: '0s', allowedHosts: [registry.host] },
      },
    });
    try {
      await waitForComponent(backend.server, 'api');
      await scheduler.triggerTask('image-freshness-refresh');
      const report: EntityImageReport = (
        await request(backend.server).get(
          '/api/image-freshness/entities/component/default/api',
        )
      ).body;
      // found by the example source, resolved with the provider's credentials
      expect(report.containers).toEqual([
        expect.objectContaining({
          container: 'app',
          image,
          metadata: expect.objectContaining({ digest: pushed.digest }),
        }),
      ]);
      expect(report.containers[0].error).toBeUndefined();

      const vulnerabilities = await request(backend.server).get(
        '/api/image-freshness/vulnerabilities',
      );
      expect(vulnerabilities.body.vulnerabilities).toMatchObject({
        available: true,
        scanner: { name: 'example-scanner', version: '1.0.0' },
        severities: ['CRITICAL', 'HIGH'],
      });

      const allowed = await request(backend.server).get(
        `/api/image-freshness/example/${registry.host}`,
      );
      expect(allowed.body).toEqual({ host: registry.host, blocked: false });
      const metadata = await request(backend.server).get(
        '/api/image-freshness/example/169.254.169.254',
      );
      expect(metadata.body).toEqual({ host: '169.254.169.254', blocked: true });
    } finally {
      await backend.stop();
    }
  });
});
