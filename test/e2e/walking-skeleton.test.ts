/*
 * The whole pipe on real parts: a real registry with an image built here, the
 * real backend (catalog, Kubernetes, auth, permission, image-freshness), the
 * built app served by the backend, and Chromium.
 */
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../harness/browser';
import { pushImage } from '../harness/images';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { skopeoInspect } from '../harness/skopeo';
import {
  guestToken,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { catalogYaml } from '../harness/catalog';

jest.setTimeout(240_000);

const OUTPUT = path.join(ROOT, 'test-output');
const CREATED = '2026-11-12T09:15:00.000Z';

describe('walking skeleton: entity annotation → registry → store → API → tab', () => {
  let registry: TestRegistry;
  let backend: TestBackend;
  let dir: string;
  let image: string;
  let digest: string;

  beforeAll(async () => {
    requireBinaries('docker-registry', 'skopeo', 'chromium');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (the README test command does)',
      );
    }
    registry = await startRegistry();
    const pushed = await pushImage(registry.url, 'demo/checkout', '2.1.0', {
      created: CREATED,
      labels: { 'org.opencontainers.image.title': 'checkout' },
    });
    digest = pushed.digest;
    image = `${registry.host}/demo/checkout:2.1.0`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-e2e-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        { name: 'checkout', annotations: { 'image-freshness/images': image } },
      ]),
    );
    backend = await startBackend({
      logName: 'walking-skeleton-backend',
      config: () => ({
        catalog: {
          locations: [{ type: 'file', target: catalogFile }],
        },
        imageFreshness: {
          allowedHosts: [registry.host],
          schedule: {
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
      }),
    });
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves the digest the registry reports', async () => {
    const token = await guestToken(backend.url);
    let report: EntityImageReport | undefined;
    const statuses = new Set<number>();
    for (let i = 0; i < 120 && !report?.containers[0]?.metadata; i++) {
      const res = await fetch(
        `${backend.url}/api/image-freshness/entities/component/default/checkout`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      statuses.add(res.status);
      // 404 until the catalog has ingested the entity
      report = res.ok ? ((await res.json()) as EntityImageReport) : undefined;
      await new Promise(r => setTimeout(r, 500));
    }
    expect([...statuses].filter(s => s !== 200 && s !== 404)).toEqual([]);
    const [container] = report?.containers ?? [];
    expect(container?.image).toBe(image);
    const inspected = await skopeoInspect(image);
    expect(container?.metadata?.digest).toBe(inspected.Digest);
    expect(container?.metadata?.digest).toBe(digest);
    expect(container?.metadata?.created).toBe(CREATED);

    const anonymous = await fetch(
      `${backend.url}/api/image-freshness/entities/component/default/checkout`,
    );
    expect(anonymous.status).toBe(401);
  });

  it('shows the image on the entity page\'s "Image freshness" tab in Chromium', async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    const browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1400, height: 900 },
    });
    try {
      await page.goto(`${backend.url}/catalog/default/component/checkout`);
      const enter = page.getByRole('button', { name: 'Enter' });
      await enter.click({ timeout: 60_000 });
      // the entity page's tab, not the sidebar's item for the org-wide page
      const tab = page
        .getByText('Image freshness', { exact: true })
        .and(
          page.locator(
            'a[href$="/checkout/image-freshness"] *, a[href$="/checkout/image-freshness"]',
          ),
        );
      await tab.click({ timeout: 20_000 });
      await page.waitForURL(/\/checkout\/image-freshness$/);
      const row = page.getByRole('row').filter({ hasText: image });
      await row.waitFor({ timeout: 60_000 });
      const shortDigest = digest.replace('sha256:', '').slice(0, 12);
      expect(await row.textContent()).toContain(shortDigest);
      expect(await row.textContent()).toMatch(/days? ago|fresh|aging|stale/);
      await page.screenshot({
        path: path.join(OUTPUT, 'image-freshness-tab.png'),
        fullPage: true,
      });

      await page.getByText('Base images', { exact: true }).click();
      await page
        .getByText('the base image it was built on', { exact: false })
        .waitFor();
    } catch (error) {
      await page.screenshot({
        path: path.join(OUTPUT, 'failure.png'),
        fullPage: true,
      });
      throw error;
    } finally {
      await browser.close();
    }
  });
});
