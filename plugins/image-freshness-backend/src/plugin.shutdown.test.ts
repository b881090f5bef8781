/*
 * A backend stopped in the middle of a scheduled refresh: the refresh stops
 * on the scheduler's abort signal (which the backend's shutdown fires), starts
 * no entity after it, and returns within seconds instead of working through
 * the whole catalog. The registry answers slowly (every tag HEAD held back by
 * a proxy), so a full refresh would take far longer than the stop.
 */
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  FaultProxy,
  startFaultProxy,
} from '@internal/test/harness/fault-proxy';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { startPluginBackend } from './__testUtils__/pluginBackend';

jest.setTimeout(120_000);

const ENTITIES = 200;
/** How long the registry takes to answer a tag HEAD. */
const HEAD_DELAY_MS = 700;
const MANIFEST =
  'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json';

describe('a backend stopped mid-refresh', () => {
  let registry: TestRegistry;
  let proxy: FaultProxy;

  beforeAll(async () => {
    registry = await startRegistry();
    await pushImage(registry.url, 'demo/svc', 'base', {
      created: '2026-11-01T00:00:00Z',
    });
    // The same image under one tag per entity, so each entity asks for its own.
    const res = await fetch(`${registry.url}/v2/demo/svc/manifests/base`, {
      headers: { accept: MANIFEST },
    });
    const manifest = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type')!;
    for (let i = 0; i < ENTITIES; i++) {
      const put = await fetch(`${registry.url}/v2/demo/svc/manifests/t${i}`, {
        method: 'PUT',
        headers: { 'content-type': type },
        body: manifest,
      });
      if (put.status !== 201) {
        throw new Error(`PUT tag t${i}: ${put.status} ${await put.text()}`);
      }
    }
    proxy = await startFaultProxy(registry.url);
    proxy.addFault({
      method: 'HEAD',
      path: '/v2/demo/svc/manifests/',
      fault: { delayMs: HEAD_DELAY_MS },
    });
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
  });

  it('stops the refresh within seconds, leaving the entities it had not started', async () => {
    const entities: Entity[] = Array.from({ length: ENTITIES }, (_, i) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: `svc-${i}`,
        annotations: {
          'image-freshness/images': `${proxy.host}/demo/svc:t${i}`,
        },
      },
      spec: { type: 'service', owner: 'team-a', lifecycle: 'production' },
    }));
    const { backend, scheduler } = await startPluginBackend({
      features: [catalogServiceMock.factory({ entities })],
      config: {
        imageFreshness: { cacheDuration: '0s', allowedHosts: [proxy.host] },
      },
    });
    const tagHeads = () =>
      new Set(
        proxy
          .requests()
          .filter(r => r.method === 'HEAD' && r.path.includes('/manifests/t'))
          .map(r => r.path),
      ).size;

    const runStarted = performance.now();
    let runEnded = 0;
    const run = scheduler.triggerTask('image-freshness-refresh').then(() => {
      runEnded = performance.now();
    });
    // Under way: at least two rounds of eight entities asked for.
    for (let i = 0; i < 300 && tagHeads() < 16; i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    expect(tagHeads()).toBeGreaterThanOrEqual(16);
    expect(runEnded).toBe(0);

    const stopAt = performance.now();
    await Promise.all([backend.stop(), run]);
    const stopSeconds = (runEnded - stopAt) / 1000;
    const asked = tagHeads();
    // Nothing starts after the run has returned.
    await new Promise(r => setTimeout(r, 2 * HEAD_DELAY_MS));
    const fullRunSeconds = (ENTITIES / 8) * (HEAD_DELAY_MS / 1000);
    // eslint-disable-next-line no-console
    console.log(
      `refresh stopped ${stopSeconds.toFixed(
        2,
      )} s after the backend was told to stop, ${(
        (runEnded - runStarted) /
        1000
      ).toFixed(
        1,
      )} s into the run; ${asked} of ${ENTITIES} entities asked for (a whole run: about ${fullRunSeconds} s)`,
    );
    expect(stopSeconds).toBeLessThan(10);
    expect(asked).toBeLessThan(ENTITIES);
    expect(tagHeads()).toBe(asked);
  });
});
