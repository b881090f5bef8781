import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import { startPluginBackend } from './__testUtils__/pluginBackend';
import { NO_SCANNER_REASON } from './vulnerabilities/createVulnerabilityScanning';

jest.setTimeout(60_000);

const API = '/api/image-freshness';

/** The plugin with and without its optional modules, as a portal installs it. */
describe('the core plugin and its modules', () => {
  async function start(modules: boolean) {
    return startPluginBackend({
      modules,
      features: [catalogServiceMock.factory({ entities: [] })],
      config: {
        imageFreshness: {
          metrics: { public: true },
          healthProbes: [
            {
              name: 'local',
              registry: '127.0.0.1:9',
              repository: 'probe/health',
              node: 'node-x',
            },
          ],
          // no Trivy on this machine: its module says so
          trivy: { path: '/nonexistent/trivy' },
        },
      },
    });
  }

  it('works without them: no scanner (said why), no probe route or series, the core tasks only', async () => {
    const { backend, scheduler } = await start(false);
    try {
      const vulnerabilities = await request(backend.server).get(
        `${API}/vulnerabilities`,
      );
      expect(vulnerabilities.status).toBe(200);
      expect(vulnerabilities.body.vulnerabilities).toMatchObject({
        available: false,
        reason: NO_SCANNER_REASON,
      });
      const probes = await request(backend.server).get(`${API}/health-probes`);
      expect(probes.status).toBe(404);
      const metrics = await request(backend.server).get(`${API}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toContain('# TYPE container_image_container_info');
      expect(metrics.text).not.toContain('registry_exporter_');
      expect((await scheduler.getScheduledTasks()).map(t => t.id)).toEqual([
        'image-freshness-refresh',
        'image-freshness-scans',
      ]);
    } finally {
      await backend.stop();
    }
  });

  it('with them: Trivy asked for (and missing here), probes scheduled and served, their series on /metrics', async () => {
    const { backend, scheduler } = await start(true);
    try {
      const vulnerabilities = await request(backend.server).get(
        `${API}/vulnerabilities`,
      );
      expect(vulnerabilities.body.vulnerabilities).toMatchObject({
        available: false,
        reason: expect.stringContaining('/nonexistent/trivy'),
      });
      const probes = await request(backend.server).get(`${API}/health-probes`);
      expect(probes.status).toBe(200);
      expect(JSON.stringify(probes.body)).toContain('"local"');
      const metrics = await request(backend.server).get(`${API}/metrics`);
      expect(metrics.text).toContain('# TYPE registry_exporter_success gauge');
      expect(metrics.text).toContain('# TYPE container_image_container_info');
      expect(
        (await scheduler.getScheduledTasks()).map(t => [t.id, t.scope]),
      ).toEqual([
        ['image-freshness-refresh', 'global'],
        ['image-freshness-scans', 'global'],
        ['image-freshness-health-probe:local', 'local'],
      ]);
    } finally {
      await backend.stop();
    }
  });
});
