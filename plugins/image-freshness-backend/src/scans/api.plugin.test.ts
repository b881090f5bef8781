import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { OciClient } from 'oci-client';
import request from 'supertest';
import { startPluginBackend } from '../__testUtils__/pluginBackend';

jest.setTimeout(60_000);

const API = '/api/image-freshness';

/**
 * Scans, vulnerability summaries and health probes as plugin.ts wires them,
 * in a test backend whose requests carry no credentials unless given; the
 * machine has no Trivy, so vulnerability summaries are really unavailable.
 */
describe('scans, vulnerabilities and health probes in the plugin', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startRegistry();
    for (const tag of ['1.0.0', '1.1.0', '2.0.0-rc.1']) {
      await pushImage(registry.url, 'team/api', tag, { files: { tag } });
    }
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('schedules the tasks, serves the routes to callers with credentials, and deletes the probe tags at shutdown', async () => {
    const { backend, scheduler } = await startPluginBackend({
      features: [
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
        catalogServiceMock.factory({ entities: [] }),
      ],
      config: {
        imageFreshness: {
          cacheDuration: '0s',
          allowedHosts: [registry.host],
          scans: [
            {
              repository: `${registry.host}/team/api`,
              sort: 'semver',
              exclude: ['-rc'],
            },
          ],
          healthProbes: [
            {
              name: 'local',
              registry: registry.host,
              repository: 'probe/health',
              node: 'node-x',
              timeout: '5s',
              retryDelay: '10ms',
              artifactBytes: 1024,
            },
          ],
        },
      },
    });
    const get = (path: string) =>
      request(backend.server)
        .get(`${API}${path}`)
        .set('authorization', mockCredentials.user.header());
    const probeTags = async () =>
      (await new OciClient().listTags(`${registry.host}/probe/health`)).sort();
    let stopped = false;
    try {
      const tasks = (await scheduler.getScheduledTasks()).map(t => [
        t.id,
        t.scope,
      ]);
      expect(tasks).toEqual(
        expect.arrayContaining([
          ['image-freshness-health-probe:local', 'local'],
          ['image-freshness-scans', 'global'],
        ]),
      );
      // no Trivy on this machine: no vulnerability task
      expect(tasks.map(([id]) => id)).not.toContain(
        'image-freshness-vulnerabilities',
      );

      for (const path of [
        '/scans',
        `/scans/${registry.host}/team/api`,
        '/vulnerabilities',
        `/vulnerabilities/sha256:${'a'.repeat(64)}`,
        '/health-probes',
      ]) {
        expect(
          (await request(backend.server).get(`${API}${path}`)).status,
        ).toBe(401);
      }

      expect((await get('/scans')).body).toEqual({ items: [] });
      await scheduler.triggerTask('image-freshness-scans');
      const list = await get('/scans');
      expect(list.status).toBe(200);
      expect(list.body.items).toHaveLength(1);
      expect(list.body.items[0]).toMatchObject({
        repository: `${registry.host}/team/api`,
        source: 'config',
        lastScanStatus: 'Success',
        message: 'Kept 2 of 3 tags (semver, limit 20)',
        settings: { sort: 'semver', exclude: ['-rc'], include: [], limit: 20 },
      });
      expect(typeof list.body.items[0].lastScanTime).toBe('string');

      const one = await get(`/scans/${registry.host}/team/api`);
      expect(one.status).toBe(200);
      expect(one.body.repository).toBe(`${registry.host}/team/api`);
      expect(
        one.body.scans[0].images.map((i: { tag: string }) => i.tag),
      ).toEqual(['1.1.0', '1.0.0']);
      expect(one.body.scans[0].images[0].digest).toMatch(
        /^sha256:[0-9a-f]{64}$/,
      );
      // also with the slashes encoded
      expect(
        (await get(`/scans/${encodeURIComponent(`${registry.host}/team/api`)}`))
          .status,
      ).toBe(200);
      expect((await get(`/scans/${registry.host}/team/other`)).status).toBe(
        404,
      );
      const invalid = await get('/scans/Team/API');
      expect(invalid.status).toBe(400);
      expect(invalid.body.error.name).toBe('InputError');

      const status = await get('/vulnerabilities');
      expect(status.status).toBe(200);
      expect(status.body).toEqual({
        vulnerabilities: {
          available: false,
          reason:
            'no trivy binary on the PATH; install Trivy or set imageFreshness.trivy.path',
          severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
          digests: 0,
          failing: 0,
        },
      });
      const summary = await get(`/vulnerabilities/sha256:${'a'.repeat(64)}`);
      expect(summary.status).toBe(404);
      expect(summary.body.error.message).toContain(
        'vulnerability scanning is unavailable',
      );
      expect((await get('/vulnerabilities/latest')).status).toBe(400);

      await scheduler.triggerTask('image-freshness-health-probe:local');
      const probes = await get('/health-probes');
      expect(probes.status).toBe(200);
      const [probe] = probes.body.probes;
      expect(probe).toMatchObject({
        name: 'local',
        registry: registry.host,
        node: 'node-x',
        tags: { pull: 'pull' },
      });
      expect(
        probe.results.map((r: { type: string; success: boolean }) => [
          r.type,
          r.success,
        ]),
      ).toEqual([
        ['pull', true],
        ['push', true],
        ['metadata', true],
        ['authentication', true],
      ]);
      expect(await probeTags()).toEqual(
        [probe.tags.metadata, 'pull', probe.tags.push].sort(),
      );

      await backend.stop();
      stopped = true;
      expect(await probeTags()).toEqual(['pull']);
    } finally {
      if (!stopped) await backend.stop();
    }
  });
});
