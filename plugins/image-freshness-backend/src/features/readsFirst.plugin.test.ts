import { createBackendModule } from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { imageFreshnessFeaturesExtensionPoint } from 'backstage-plugin-image-freshness-node';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import Router from 'express-promise-router';
import fs from 'node:fs';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import {
  startPluginBackend,
  waitForComponent,
} from '../__testUtils__/pluginBackend';

jest.setTimeout(120_000);

const WAITED = 'image_freshness_registry_wait_for_reads_seconds_total';

/** A module whose feature serves `GET /held`, a read that answers when the test says. */
function heldReadModule() {
  const held: Array<() => void> = [];
  const module = createBackendModule({
    pluginId: 'image-freshness',
    moduleId: 'held-read-test',
    register(env) {
      env.registerInit({
        deps: { features: imageFreshnessFeaturesExtensionPoint },
        async init({ features }) {
          features.addFeature(() => {
            const router = Router();
            router.get('/held', (_req, res) => {
              held.push(() => res.json({ held: true }));
            });
            return { name: 'held-read-test', router };
          });
        },
      });
    },
  });
  return {
    module,
    async whenHeld() {
      for (let i = 0; i < 200 && held.length === 0; i++) {
        await new Promise(r => setTimeout(r, 50));
      }
      if (held.length === 0) throw new Error('the held read never arrived');
    },
    release: () => held.splice(0).forEach(answer => answer()),
  };
}

describe('reads first: the refresh gives way to reads in flight', () => {
  let registry: TestRegistry;
  let dir: string;
  let image: string;

  beforeAll(async () => {
    registry = await startRegistry();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-reads-'));
    await pushImage(registry.url, 'reads/api', '1.0', {
      created: '2026-01-01T00:00:00.000Z',
    });
    image = `${registry.host}/reads/api:1.0`;
  });
  afterAll(async () => {
    await registry?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs a refresh while a read is held; answers the report and the wait counter after. */
  async function refreshDuringRead(yieldToReads: string) {
    const catalogFile = path.join(dir, `catalog-${yieldToReads}.yaml`);
    fs.writeFileSync(
      catalogFile,
      JSON.stringify({
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: {
          name: 'api',
          annotations: { 'image-freshness/images': image },
        },
        spec: { type: 'service', lifecycle: 'production', owner: 'team-a' },
      }),
    );
    const held = heldReadModule();
    const { backend, scheduler } = await startPluginBackend({
      modules: false,
      features: [catalogPlugin, held.module],
      config: {
        catalog: {
          rules: [{ allow: ['Component'] }],
          locations: [{ type: 'file', target: catalogFile }],
        },
        imageFreshness: {
          allowedHosts: [registry.host],
          cacheDuration: '0s',
          refresh: { yieldToReads },
          metrics: { public: true },
        },
      },
    });
    try {
      await waitForComponent(backend.server, 'api');
      const port = (backend.server.address() as AddressInfo).port;
      const read = fetch(`http://127.0.0.1:${port}/api/image-freshness/held`);
      await held.whenHeld();
      // finishes with the read still held: registry work waits in spells, never for good
      await scheduler.triggerTask('image-freshness-refresh');
      held.release();
      expect(await (await read).json()).toEqual({ held: true });
      const report = (
        await request(backend.server).get(
          '/api/image-freshness/entities/component/default/api',
        )
      ).body as EntityImageReport;
      const metrics = await request(backend.server).get(
        '/api/image-freshness/metrics',
      );
      expect(metrics.status).toBe(200);
      const waited = new RegExp(`^${WAITED} (\\S+)$`, 'm').exec(metrics.text);
      return {
        digests: report.containers.map(c => c.digest),
        // the requests the client sent, as it counted them
        registryRequests: [
          ...metrics.text.matchAll(
            /^image_freshness_registry_requests_total\{[^}]*\} (\S+)$/gm,
          ),
        ].reduce((sum, m) => sum + Number(m[1]), 0),
        waitedSeconds: waited ? Number(waited[1]) : undefined,
      };
    } finally {
      held.release();
      await backend.stop();
    }
  }

  it('holds each registry request while a read is in flight, up to yieldToReads, and counts the wait', async () => {
    const giving = await refreshDuringRead('300ms');
    expect(giving.digests).toEqual([expect.stringMatching(/^sha256:/)]);
    expect(giving.registryRequests).toBeGreaterThan(0);
    // every request waited its 300 ms: the read never answered during the refresh
    expect(giving.waitedSeconds).toBeGreaterThanOrEqual(
      0.25 * giving.registryRequests,
    );

    const off = await refreshDuringRead('0s');
    expect(off.digests).toEqual(giving.digests);
    expect(off.registryRequests).toBe(giving.registryRequests);
    expect(off.waitedSeconds).toBe(0);
  });

  it('refuses a yieldToReads that is not a duration, naming the key', async () => {
    await expect(
      startPluginBackend({
        modules: false,
        config: { imageFreshness: { refresh: { yieldToReads: 'soon' } } },
      }),
    ).rejects.toThrow(/imageFreshness\.refresh\.yieldToReads/);
  });
});
