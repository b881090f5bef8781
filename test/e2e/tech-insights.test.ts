/*
 * Tech Insights on the real portal backend (packages/backend from source,
 * with the Tech Insights backend, the JSON rules engine and the
 * image-freshness fact retriever as features.ts installs them, and the
 * checks of app-config.yaml): images in a real registry, the image-freshness
 * refresh, then the fact retriever triggered through the scheduler's own
 * route, and the check results read through the Tech Insights API and
 * seen on the entity page's scorecard card in Chromium.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  guestToken,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { launchChromium } from '../harness/browser';
import { catalogYaml } from '../harness/catalog';
import { pushImage } from '../harness/images';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';

jest.setTimeout(180_000);

const OUTPUT = path.join(ROOT, 'test-output');

interface CheckResult {
  check: { id: string; name: string };
  result: boolean;
}

describe('Tech Insights: image-freshness checks on the real portal backend', () => {
  let registry: TestRegistry;
  let backend: TestBackend;
  let dir: string;
  let token: string;

  beforeAll(async () => {
    requireBinaries('docker-registry', 'chromium');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (the README test command does)',
      );
    }
    registry = await startRegistry();
    const h = registry.host;
    await pushImage(registry.url, 'shop/api', '3.1', {
      created: '2026-11-01T00:00:00Z',
    });
    await pushImage(registry.url, 'shop/legacy', '0.9', {
      created: '2020-01-01T00:00:00Z',
    });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-insights-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    fs.writeFileSync(
      catalogFile,
      catalogYaml([
        {
          name: 'api',
          annotations: {
            'image-freshness/images': `${h}/shop/api:3.1`,
            // fresh for as long as this test will ever run
            'image-freshness/max-age': '1000y',
          },
        },
        {
          name: 'legacy',
          annotations: {
            'image-freshness/images': `${h}/shop/legacy:0.9`,
          },
        },
        { name: 'docs-site' },
      ]),
    );
    backend = await startBackend({
      logName: 'tech-insights-backend',
      config: () => ({
        catalog: { locations: [{ type: 'file', target: catalogFile }] },
        imageFreshness: {
          allowedHosts: [h],
          schedule: {
            frequency: { seconds: 2 },
            timeout: { minutes: 1 },
            initialDelay: { seconds: 1 },
          },
        },
        // techInsights: as app-config.yaml has it; the test triggers the retriever
      }),
    });
    token = await guestToken(backend.url);
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const api = (route: string, init: RequestInit = {}) =>
    fetch(`${backend.url}/api${route}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });

  /** Polls until `fn` answers something; fails with `what` after `timeoutMs`. */
  async function waitFor<T>(
    what: string,
    fn: () => Promise<T | undefined>,
    timeoutMs = 90_000,
  ): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = await fn();
      if (value !== undefined) return value;
      if (performance.now() > deadline) {
        throw new Error(`${what} did not happen in time:\n${backend.logs()}`);
      }
      await new Promise(r => setTimeout(r, 500));
    }
  }

  async function checks(name: string): Promise<Record<string, boolean>> {
    const res = await api(
      `/tech-insights/checks/run/default/component/${name}`,
      {
        method: 'POST',
        body: JSON.stringify({}),
      },
    );
    expect(res.status).toBe(200);
    const results = (await res.json()) as CheckResult[];
    return Object.fromEntries(results.map(r => [r.check.name, r.result]));
  }

  it('passes the checks for the fresh entity and fails "No stale images" for the one running a 2020 build', async () => {
    // the image-freshness refresh has read both entities' images
    for (const name of ['api', 'legacy']) {
      await waitFor(`the image-freshness report of ${name}`, async () => {
        const res = await api(
          `/image-freshness/entities/component/default/${name}`,
        );
        if (!res.ok) return undefined;
        const report = await res.json();
        return report.containers.every(
          (c: { metadata?: unknown }) => c.metadata,
        )
          ? report
          : undefined;
      });
    }

    // an operator runs the retriever now, through the scheduler's route
    const trigger = await api(
      '/tech-insights/.backstage/scheduler/v1/tasks/image-freshness/trigger',
      { method: 'POST' },
    );
    expect(trigger.status).toBe(200);

    const legacy = await waitFor('the facts of legacy', async () => {
      const result = await checks('legacy');
      return Object.keys(result).length ? result : undefined;
    });
    expect(legacy).toEqual({
      'No stale images': false,
      'No rebuild due': true,
      'No critical vulnerabilities': true,
      'Build times recorded': true,
      'All images resolve': true,
    });
    expect(await checks('api')).toEqual({
      'No stale images': true,
      'No rebuild due': true,
      'No critical vulnerabilities': true,
      'Build times recorded': true,
      'All images resolve': true,
    });

    // the facts behind them, as the Tech Insights API serves them
    const res = await api(
      '/tech-insights/facts/latest?entity=component:default/legacy&ids[]=image-freshness',
    );
    expect(res.status).toBe(200);
    const { facts } = (await res.json())['image-freshness'];
    expect(facts).toMatchObject({ images: 1, staleImages: 1, rebuildsDue: 0 });
    // built on 2020-01-01: more than six years ago whenever this runs
    expect(facts.oldestImageAgeDays).toBeGreaterThan(6 * 365);

    // an entity without image annotations gets no facts, so no results
    expect(await checks('docs-site')).toEqual({});
  });

  it.each(['light', 'dark'])(
    'shows the scorecard on the entity page (%s theme): "No stale images" failed, the others passed',
    async theme => {
      fs.mkdirSync(OUTPUT, { recursive: true });
      const browser = await launchChromium();
      // tall enough for the whole info column (the entity page caps it at
      // the viewport's height and scrolls it)
      const context = await browser.newContext({
        viewport: { width: 1440, height: 1400 },
      });
      await context.addInitScript(t => {
        window.localStorage.setItem('theme', t);
      }, theme);
      const page = await context.newPage();
      try {
        await page.goto(`${backend.url}/catalog/default/component/legacy`);
        await page
          .getByRole('button', { name: 'Enter' })
          .click({ timeout: 60_000 });
        const stale = page.getByTestId('check-imageFreshnessNoStaleImages');
        await stale.waitFor({ timeout: 60_000 });
        expect(await stale.getAttribute('data-status')).toBe('failed');
        expect(await stale.textContent()).toContain('No stale images');
        expect(await page.getByTestId('checks-summary').textContent()).toBe(
          '4 of 5 checks passed',
        );
        expect(
          await page
            .getByTestId('check-imageFreshnessNoRebuildDue')
            .getAttribute('data-status'),
        ).toBe('passed');
        await page.screenshot({
          path: path.join(OUTPUT, `tech-insights-scorecard-${theme}.png`),
          fullPage: true,
        });
      } catch (error) {
        await page.screenshot({
          path: path.join(OUTPUT, `tech-insights-failure-${theme}.png`),
          fullPage: true,
        });
        throw error;
      } finally {
        await browser.close();
      }
    },
  );

  it('refuses the check results without a token', async () => {
    const res = await fetch(
      `${backend.url}/api/tech-insights/checks/run/default/component/api`,
      { method: 'POST' },
    );
    expect(res.status).toBe(401);
  });
});
