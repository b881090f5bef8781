/*
 * Rebuild triggers on real parts: the real portal backend (the rebuild module
 * installed as packages/backend installs it, turned on by config), a real
 * registry whose base tag moved after two managed images were built on it,
 * the GitHub API stand-in behind `integrations.github`, and the built app in
 * Chromium. The scheduled task dispatches one image's rebuild (run #123) and
 * is rate limited on the other; the Base images tab shows both attempts and
 * the Trigger rebuild button, which dispatches the second by hand. Screenshot:
 * test-output/rebuild-base-images.png.
 */
import type { EntityRebuilds } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser } from 'playwright-core';
import { catalogYaml } from '../harness/catalog';
import {
  guestToken,
  portalConfig,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { launchChromium } from '../harness/browser';
import { pushImage } from '../harness/images';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { ApiStandIn, startGithubStandIn } from '../harness/scm';
import { requestRefresh } from '../demo/stack';

jest.setTimeout(240_000);

const OUTPUT = path.join(ROOT, 'test-output');
const TOKEN = 'ghs_e2e-rebuild-token';

describe('rebuild triggers in the portal', () => {
  let registry: TestRegistry;
  let github: ApiStandIn;
  let backend: TestBackend;
  let browser: Browser;
  let dir: string;
  const images: Record<string, string> = {};

  const rebuilds = async (): Promise<EntityRebuilds> => {
    const res = await fetch(
      `${backend.url}/api/image-freshness/rebuilds/component/default/checkout`,
      {
        headers: {
          authorization: `Bearer ${await guestToken(backend.url)}`,
        },
      },
    );
    expect(res.status).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    requireBinaries('docker-registry', 'chromium');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (the README test command does)',
      );
    }
    fs.mkdirSync(OUTPUT, { recursive: true });
    registry = await startRegistry();
    const h = registry.host;
    const base = await pushImage(registry.url, 'runtime/node', '22', {
      created: '2026-10-01T00:00:00Z',
      files: { v: '1' },
    });
    for (const name of ['checkout', 'checkout-worker']) {
      await pushImage(registry.url, `shop/${name}`, '1.0', {
        created: '2026-11-01T00:00:00Z',
        files: { app: name },
        annotations: {
          'org.opencontainers.image.base.name': `${h}/runtime/node:22`,
          'org.opencontainers.image.base.digest': base.digest,
        },
      });
      images[name] = `${h}/shop/${name}:1.0`;
    }
    // the base moves on: both images are due for a rebuild (delay 0d)
    await pushImage(registry.url, 'runtime/node', '22', {
      created: '2026-11-20T00:00:00Z',
      files: { v: '2' },
    });
    github = await startGithubStandIn({
      token: TOKEN,
      workflows: [{ owner: 'shop', repo: 'checkout', file: 'rebuild.yaml' }],
    });
    // the worker image's dispatch is rate limited once
    github.script({
      status: 429,
      body: { message: 'You have exceeded a secondary rate limit.' },
      headers: { 'retry-after': '3600' },
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rebuild-e2e-'));
    const catalogFile = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        {
          name: 'checkout',
          annotations: {
            'image-freshness/images': `${images['checkout-worker']}\n${images.checkout}`,
            'image-freshness/dockerfile': 'Dockerfile',
            'image-freshness/rebuild-delay': '0d',
            'image-freshness/auto-rebuild': 'true',
            'image-freshness/rebuild-workflow': 'rebuild.yaml',
            'backstage.io/source-location': `url:${github.url}/shop/checkout/tree/main/`,
          },
        },
      ]),
    );
    backend = await startBackend({
      logName: 'rebuild-backend',
      config: () => ({
        ...portalConfig({ catalogFile }),
        integrations: {
          github: [{ host: github.host, apiBaseUrl: github.url, token: TOKEN }],
        },
        imageFreshness: {
          allowedHosts: [h],
          cacheDuration: '0s',
          rebuild: {
            schedule: {
              frequency: { seconds: 2 },
              timeout: { seconds: 30 },
              initialDelay: { seconds: 1 },
            },
          },
        },
      }),
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await backend?.stop();
    await github?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('dispatches the due rebuilds once, shows the attempts on the Base images tab, and triggers by hand', async () => {
    // the catalog ingests the entity; a refresh reads the images and bases
    let status = 0;
    for (let i = 0; i < 240 && status !== 202; i++) {
      status = await requestRefresh(backend.url, 'component:default/checkout');
      if (status !== 202) await new Promise(r => setTimeout(r, 500));
    }
    expect(status).toBe(202);
    // both attempts recorded with GitHub's answer: a claimed attempt reads
    // `pending` until its dispatch returns
    const settled = (list: EntityRebuilds['attempts']) =>
      list.length >= 2 && list.every(a => a.outcome !== 'pending');
    let attempts: EntityRebuilds['attempts'] = [];
    for (let i = 0; i < 240 && !settled(attempts); i++) {
      attempts = (await rebuilds()).attempts;
      if (!settled(attempts)) await new Promise(r => setTimeout(r, 500));
    }
    expect(attempts.map(a => a.outcome).sort()).toEqual([
      'failed',
      'triggered',
    ]);
    const byImage = Object.fromEntries(attempts.map(a => [a.image, a]));
    // the first dispatch met the rate limit; which image that was follows the report's order
    const limited = attempts.find(a => a.outcome === 'failed')!;
    const triggered = attempts.find(a => a.outcome === 'triggered')!;
    expect(limited).toMatchObject({
      error: { class: 'RATE_LIMITED', status: 429 },
    });
    expect(triggered).toMatchObject({ run: { number: 123 } });
    expect(Object.keys(byImage).sort()).toEqual(
      [images.checkout, images['checkout-worker']].sort(),
    );
    // several more runs of the task (every 2 s): no second dispatch
    await new Promise(r => setTimeout(r, 5000));
    expect(github.writes()).toHaveLength(2);

    const context = await browser.newContext({
      viewport: { width: 1600, height: 1000 },
    });
    const page = await context.newPage();
    try {
      await page.goto(`${backend.url}/catalog/default/component/checkout`);
      await page
        .getByRole('button', { name: 'Enter' })
        .click({ timeout: 60_000 });
      await page
        .getByText('Base images', { exact: true })
        .click({ timeout: 60_000 });
      const row = (image: string) =>
        page.getByRole('row').filter({ hasText: image.split('/').pop()! });
      await row(triggered.image)
        .getByText(/rebuild triggered (just now|.* ago), run #123/)
        .waitFor({ timeout: 60_000 });
      await row(limited.image)
        .getByText(/trigger failed \(RATE_LIMITED\): GitHub answered 429/)
        .waitFor();
      await row(limited.image)
        .getByText(/^retried in (59|60) minutes$/)
        .waitFor();
      const button = row(limited.image).getByRole('button', {
        name: 'Trigger rebuild',
      });
      await button.waitFor();
      expect(
        await row(triggered.image)
          .getByRole('link', { name: 'run #123' })
          .getAttribute('href'),
      ).toMatch(
        /^https:\/\/github\.example\/shop\/checkout\/actions\/runs\/\d+$/,
      );
      await page.screenshot({
        path: path.join(OUTPUT, 'rebuild-base-images.png'),
        fullPage: true,
      });

      // by hand: the guest may (the portal's allow-all policy)
      await button.click();
      await row(limited.image)
        .getByText(/rebuild triggered just now by .*guest, run #124/)
        .waitFor({ timeout: 30_000 });
      expect(github.writes()).toHaveLength(3);
      // the GitHub token reached GitHub only: never a log line
      expect(github.writes().map(w => w.credential)).toEqual(
        Array(3).fill(`token ${TOKEN}`),
      );
      expect(backend.logs()).not.toContain(TOKEN);
      await page.screenshot({
        path: path.join(OUTPUT, 'rebuild-base-images-triggered.png'),
        fullPage: true,
      });
    } catch (error) {
      await page.screenshot({
        path: path.join(OUTPUT, 'rebuild-failure.png'),
        fullPage: true,
      });
      throw error;
    } finally {
      await context.close();
    }
  });
});
