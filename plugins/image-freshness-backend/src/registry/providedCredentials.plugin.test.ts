import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  fakeTrivyDir,
  FakeTrivyDir,
  printReport,
  trivyReport,
} from '@internal/test/harness/fakeTrivy';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { createRegistryCredentialsModule } from 'backstage-plugin-image-freshness-node';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import request from 'supertest';
import { startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(120_000);

/** Credentials only a provider knows, minted on demand, reach both the registry client and Trivy. */
describe('credentials from a provider', () => {
  const minted = { username: 'minted-bot', password: 'minted-once-p4ss' };
  let registry: TestRegistry;
  let fake: FakeTrivyDir;
  beforeAll(async () => {
    registry = await startRegistry({ basicAuth: minted });
    fake = fakeTrivyDir();
  });
  afterAll(async () => {
    await registry?.stop();
    fake?.remove();
  });

  it('are minted once and used for the refresh and for the Trivy scan of the same image', async () => {
    const pushed = await pushImage(
      registry.url,
      'team/api',
      '1.0',
      { created: '2026-11-01T08:30:00.000Z' },
      minted,
    );
    const image = `${registry.host}/team/api:1.0`;
    const trivy = fake.write(
      'trivy',
      printReport(trivyReport([{ severities: ['HIGH'] }])),
    );
    let mints = 0;
    const minting = createRegistryCredentialsModule({
      moduleId: 'test-minting',
      create: () => ({
        name: 'test-minting',
        scope: 'registry',
        matches: host => host === registry.host,
        async getCredentials() {
          mints += 1;
          return {
            credentials: minted,
            expiresAt: new Date(Date.parse('2999-01-01T00:00:00Z')),
          };
        },
      }),
    });
    const { backend, scheduler } = await startPluginBackend({
      features: [
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'api',
                namespace: 'default',
                annotations: { 'image-freshness/images': image },
              },
              spec: { type: 'service', lifecycle: 'production', owner: 'a' },
            },
          ],
        }),
        minting,
      ],
      config: {
        imageFreshness: {
          cacheDuration: '0s',
          allowedHosts: [registry.host],
          trivy: { path: trivy },
        },
      },
    });
    try {
      await scheduler.triggerTask('image-freshness-refresh');
      const report: EntityImageReport = (
        await request(backend.server).get(
          '/api/image-freshness/entities/component/default/api',
        )
      ).body;
      expect(report.containers[0].metadata?.digest).toBe(pushed.digest);
      await scheduler.triggerTask('image-freshness-vulnerabilities');
      const calls = fake.calls('trivy');
      expect(calls.map(c => c.args[c.args.length - 1])).toEqual([
        `${registry.host}/team/api@${pushed.digest}`,
      ]);
      expect(calls[0].env).toMatchObject({
        TRIVY_USERNAME: 'minted-bot',
        TRIVY_PASSWORD: 'minted-once-p4ss',
      });
      expect(calls[0].args.join(' ')).not.toContain('minted-once-p4ss');
      expect(mints).toBe(1);
    } finally {
      await backend.stop();
    }
  });
});
