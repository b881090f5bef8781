/*
 * The frontend on real parts: the demo stack (a real registry with images of
 * different ages and a moved base, two Kubernetes API stand-ins, the real
 * backend serving the built app) driven in Chromium, in the light and the
 * dark theme. The backend's scheduled refresh never runs here: the Refresh
 * button is what reads the images.
 */
import type {
  ContainerReport,
  EntityImageReport,
  ImageFreshnessOverview,
} from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import path from 'node:path';
import { Browser, Page } from 'playwright-core';
import { launchChromium } from '../harness/browser';
import { guestToken, ROOT } from '../harness/backend';
import { requireBinaries } from '../harness/registry';
import {
  DemoStack,
  fetchReport,
  requestRefresh,
  startDemoStack,
  waitForEntities,
} from '../demo/stack';

jest.setTimeout(300_000);

const OUTPUT = path.join(ROOT, 'test-output');
const CHECKOUT = 'component:default/checkout';
const PAYMENTS = 'component:default/payments';

const short = (digest: string) => digest.replace('sha256:', '').slice(0, 12);
const repo = (c: ContainerReport) => c.image.split('/').slice(1).join('/');

describe('frontend: tabs, card and refresh in Chromium against the real backend', () => {
  let stack: DemoStack;
  let browser: Browser;
  let entityUrl: string;

  beforeAll(async () => {
    requireBinaries('docker-registry', 'chromium');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (the README test command does)',
      );
    }
    fs.mkdirSync(OUTPUT, { recursive: true });
    stack = await startDemoStack({ refresh: 'manual' });
    await waitForEntities(stack.backend.url, [CHECKOUT]);
    entityUrl = `${stack.backend.url}/catalog/default/component/checkout`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    if (stack) {
      fs.writeFileSync(path.join(OUTPUT, 'frontend-backend.log'), stack.logs());
    }
    await stack?.stop();
  });

  /** A signed-in page in the given theme; screenshots it on failure. */
  async function withPage(
    theme: 'light' | 'dark',
    url: string,
    fn: (page: Page) => Promise<void>,
    viewport = { width: 1440, height: 1000 },
  ) {
    const context = await browser.newContext({ viewport });
    await context.addInitScript(t => {
      window.localStorage.setItem('theme', t);
    }, theme);
    const page = await context.newPage();
    try {
      await page.goto(url);
      await page
        .getByRole('button', { name: 'Enter' })
        .click({ timeout: 60_000 });
      await fn(page);
    } catch (error) {
      await page.screenshot({
        path: path.join(OUTPUT, `frontend-failure-${theme}.png`),
        fullPage: true,
      });
      throw error;
    } finally {
      await context.close();
    }
  }

  const tile = (page: Page, label: string) =>
    page.getByRole('button', { name: new RegExp(`^${label}: \\d+$`) });

  it('reads the images on Refresh, then shows the summary, a drifting row and the limit on refreshing again', async () => {
    await withPage('light', `${entityUrl}/image-freshness`, async page => {
      // nothing was read yet: the scheduled refresh does not run in this test
      await page.getByText('Not checked yet').waitFor({ timeout: 60_000 });
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page
        .getByRole('status')
        .filter({ hasText: 'Refresh started; waiting for the new report…' })
        .or(page.getByRole('status').filter({ hasText: 'Report updated.' }))
        .waitFor();
      await page
        .getByRole('status')
        .filter({ hasText: 'Report updated.' })
        .waitFor({ timeout: 90_000 });

      // the summary shows what the API serves
      const report = (await fetchReport(stack.backend.url, CHECKOUT))!;
      const count = (verdict: string) =>
        report.containers.filter(c => c.freshness.verdict === verdict).length;
      expect(report.containers.length).toBeGreaterThan(20);
      for (const [label, expected] of [
        ['Containers', report.containers.length],
        ['Fresh', count('fresh')],
        ['Aging', count('aging')],
        ['Stale', count('stale')],
        ['Unknown', count('unknown')],
        ['Errors', report.containers.filter(c => c.error).length],
      ] as const) {
        expect(await tile(page, label).getAttribute('aria-label')).toBe(
          `${label}: ${expected}`,
        );
      }
      // ...and the API says what the registry and the clusters hold
      const verdictOf = (image: string) =>
        new Set(
          report.containers
            .filter(c => repo(c) === image)
            .map(c => c.freshness.verdict),
        );
      expect(verdictOf('shop/checkout:1.4.2')).toEqual(new Set(['fresh']));
      expect(verdictOf('platform/envoy:v1.30.1')).toEqual(new Set(['aging']));
      expect(verdictOf('platform/busybox:1.36.1')).toEqual(new Set(['stale']));
      expect(verdictOf('platform/redis:7.2.4-alpine')).toEqual(
        new Set(['stale']),
      );
      const drifting = report.containers.filter(
        c => c.runningDigest === stack.checkout.previousAppDigest,
      );
      expect(drifting.map(c => c.workload.cluster)).toEqual(['us-east-1']);
      expect(await tile(page, 'Drift').getAttribute('aria-label')).toBe(
        'Drift: 1',
      );
      await expect(
        page.getByTestId('oldest-image').textContent(),
      ).resolves.toContain('platform/redis:7.2.4-alpine');
      // no trivy on this machine: the API and the tab say so
      expect(report.vulnerabilities?.available).toBe(false);
      await page
        .getByText(/Vulnerability summaries are unavailable on this backend/)
        .waitFor();

      // grouped by workload: the us-east-1 Deployment's row sums up its drifting pod
      await tile(page, 'Drift').click();
      const row = page
        .getByRole('row')
        .filter({ hasText: 'Deployment · us-east-1 / shop' })
        .filter({ hasText: 'checkout:1.4.2' })
        .first();
      await row.waitFor();
      const text = (await row.textContent()) ?? '';
      // the tag's digest, the one the pods and /metrics show
      expect(text).toContain(short(stack.checkout.app.digest));
      expect(text).toContain('Fresh');
      expect(text).toContain('Built 3 days ago, within the 30 days limit');
      expect(text).toMatch(/Drift: 1 of \d+/);
      expect(text).toContain(`runs ${short(stack.checkout.previousAppDigest)}`);
      expect(
        await row
          .locator('[data-verdict]')
          .first()
          .getAttribute('data-verdict'),
      ).toBe('fresh');

      // the missing debug image: its error names the class and what to do
      await tile(page, 'Errors').click();
      const broken = page
        .getByRole('row')
        .filter({ hasText: 'netshoot:v0.12' });
      await expect(broken.first().textContent()).resolves.toMatch(
        /NOT_FOUND.*check the reference or push the image/,
      );

      // a second refresh within the minute: the backend's 429, as a countdown
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page
        .getByRole('status')
        .filter({
          hasText: /Refreshed less than a minute ago; try again in \d+ s\./,
        })
        .waitFor();
      expect(
        await page.getByRole('button', { name: 'Refresh' }).isDisabled(),
      ).toBe(true);

      await tile(page, 'Containers').click();
      await page.mouse.move(0, 0);
      await page.waitForTimeout(600); // let the click ripple fade
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-image-freshness-light.png'),
        fullPage: true,
      });

      // rows before and after grouping, for the report
      const groupRows = await page
        .locator('section[aria-label="Containers"] tbody tr')
        .count();
      await page.getByRole('radio', { name: 'By image' }).click();
      await page
        .locator('section[data-grouping="image"]')
        .waitFor({ timeout: 10_000 });
      const imageRows = await page
        .locator('section[aria-label="Containers"] tbody tr')
        .count();
      fs.writeFileSync(
        path.join(OUTPUT, 'frontend-rows.json'),
        JSON.stringify(
          {
            containers: report.containers.length,
            images: new Set(report.containers.map(c => c.image)).size,
            byWorkload: groupRows,
            byImage: imageRows,
          },
          null,
          2,
        ),
      );
      expect(imageRows).toBe(new Set(report.containers.map(c => c.image)).size);
      expect(groupRows).toBeLessThan(report.containers.length / 2);
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-image-freshness-by-image-light.png'),
        fullPage: true,
      });
    });
  });

  it('shows the base images, and the overview card with the headline', async () => {
    const report = (await fetchReport(stack.backend.url, CHECKOUT))!;
    await withPage('light', `${entityUrl}/base-images`, async page => {
      // the app was built on the node base before its tag moved
      const checkoutBase = report.baseImages.find(b =>
        b.image.endsWith('/shop/checkout:1.4.2'),
      );
      expect(checkoutBase?.base?.builtOnDigest).toBe(
        stack.nodeBase.builtOnDigest,
      );
      expect(checkoutBase?.base?.currentDigest).toBe(
        stack.nodeBase.currentDigest,
      );
      const row = page
        .getByRole('row')
        .filter({ hasText: 'checkout:1.4.2' })
        .first();
      await row.waitFor({ timeout: 30_000 });
      const text = (await row.textContent()) ?? '';
      expect(text).toContain('node:22-bookworm-slim');
      expect(text).toContain(`built on${short(stack.nodeBase.builtOnDigest)}`);
      expect(text).toContain(`now${short(stack.nodeBase.currentDigest)}`);
      expect(text).toContain('moved since the build');
      expect(text).toContain('Base updated');
      expect(text).toMatch(/due\s*in 6 days|due\s*in 7 days/);
      expect(
        await row
          .locator('[data-verdict]')
          .first()
          .getAttribute('data-verdict'),
      ).toBe('updated');
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-base-images-light.png'),
        fullPage: true,
      });

      await page.getByText('Overview', { exact: true }).click();
      await checkCard(page, report, { stale: 2, rebuilds: 0 });
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-overview-light.png'),
        fullPage: true,
      });

      // from the card to the tab
      await page.getByRole('link', { name: /View images/ }).click();
      await tile(page, 'Containers').waitFor();
      expect(page.url()).toBe(`${entityUrl}/image-freshness`);
    });
  });

  it('renders in the dark theme', async () => {
    const report = (await fetchReport(stack.backend.url, CHECKOUT))!;
    await withPage('dark', `${entityUrl}/image-freshness`, async page => {
      await tile(page, 'Containers').waitFor({ timeout: 30_000 });
      expect(
        await page.evaluate(
          () => getComputedStyle(document.body).backgroundColor,
        ),
      ).not.toBe('rgb(255, 255, 255)');
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-image-freshness-dark.png'),
        fullPage: true,
      });
      await page.getByRole('radio', { name: 'By image' }).click();
      await page.locator('section[data-grouping="image"]').waitFor();
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-image-freshness-by-image-dark.png'),
        fullPage: true,
      });
      await page.getByRole('radio', { name: 'By workload' }).click();
      await page.getByText('Base images', { exact: true }).click();
      await page
        .getByRole('heading', { name: 'Base images' })
        .or(page.getByText('No base images known yet'))
        .first()
        .waitFor();
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-base-images-dark.png'),
        fullPage: true,
      });
      await page.getByText('Overview', { exact: true }).click();
      await checkCard(page, report, { stale: 2, rebuilds: 0 });
      await page.screenshot({
        path: path.join(OUTPUT, 'frontend-overview-dark.png'),
        fullPage: true,
      });
    });
  });

  it('counts the rebuilds due on the card when a base moved past the rebuild delay', async () => {
    // payments says image-freshness/rebuild-delay: 0d
    const url = stack.backend.url;
    await waitForEntities(url, [PAYMENTS]);
    expect(await requestRefresh(url, PAYMENTS)).toBe(202);
    let report: EntityImageReport | undefined;
    for (let i = 0; i < 120 && !report?.refreshedAt; i++) {
      await new Promise(r => setTimeout(r, 500));
      report = await fetchReport(url, PAYMENTS);
    }
    await withPage(
      'light',
      `${url}/catalog/default/component/payments`,
      async page => {
        // busybox, redis and payments-reconcile are stale; both payments images wait for a rebuild
        await checkCard(page, report!, { stale: 3, rebuilds: 2 });
        await page.getByText('Base images', { exact: true }).click();
        expect(await tile(page, 'Rebuild due').getAttribute('aria-label')).toBe(
          'Rebuild due: 2',
        );
      },
    );
  });

  it('shows every entity’s images on the org-wide page, most urgent first, with filters and links to the tabs', async () => {
    // checkout and payments were read by the tests above
    const url = stack.backend.url;
    const res = await fetch(`${url}/api/image-freshness/overview?limit=25`, {
      headers: { authorization: `Bearer ${await guestToken(url)}` },
    });
    const api = (await res.json()) as ImageFreshnessOverview;
    expect(res.status).toBe(200);
    expect(api.items.map(r => r.entityRef)).toEqual(
      expect.arrayContaining([CHECKOUT, PAYMENTS]),
    );
    for (const theme of ['light', 'dark'] as const) {
      await withPage(
        theme,
        `${url}/catalog`,
        async page => {
          // the sidebar item leads to the page
          await page
            .getByRole('navigation')
            .getByText('Image freshness', { exact: true })
            .click({ timeout: 60_000 });
          await page.waitForURL(`${url}/image-freshness`);
          const rows = page
            .getByRole('region', { name: 'Images', exact: true })
            .getByRole('row');
          await rows.nth(1).waitFor({ timeout: 60_000 });
          // the rows the API answers, in its order: stale and due rebuilds first
          const shown = await rows.evaluateAll(trs =>
            trs
              .slice(1)
              .map(tr => tr.querySelector('[title]')?.getAttribute('title')),
          );
          expect(shown).toEqual(api.items.map(r => r.entityRef.split('/')[1]));
          const first = api.items[0];
          expect(
            first.freshness.verdict === 'stale' ||
              first.base?.verdict.verdict === 'rebuild-due',
          ).toBe(true);
          expect(await tile(page, 'Images').getAttribute('aria-label')).toBe(
            `Images: ${api.totals.images}`,
          );
          const owner = page
            .getByRole('region', { name: 'Images per owner' })
            .getByRole('row')
            .nth(1);
          expect(await owner.textContent()).toContain('guests');
          // no horizontal overflow at 1280 px
          expect(
            await page.evaluate(() => {
              const doc = document.scrollingElement!;
              return doc.scrollWidth - doc.clientWidth;
            }),
          ).toBe(0);
          await page.screenshot({
            path: path.join(OUTPUT, `frontend-org-page-${theme}.png`),
            fullPage: true,
          });
          if (theme === 'dark') return;

          // a verdict tile filters: every row left is stale
          await tile(page, 'Stale').click();
          await page.waitForFunction(() =>
            [
              ...document.querySelectorAll(
                'section[aria-label="Images"] [data-key$=":freshness"] [data-verdict]',
              ),
            ].every(chip => chip.getAttribute('data-verdict') === 'stale'),
          );
          expect(await rows.count()).toBe(api.totals.stale + 1);
          await page.getByRole('button', { name: 'Clear filters' }).click();
          // the text search keeps one entity's rows
          await page.getByRole('searchbox').fill('payments');
          await page.waitForFunction(() =>
            [
              ...document.querySelectorAll(
                'section[aria-label="Images"] a[href*="/catalog/"]',
              ),
            ].every(a => a.getAttribute('href')!.includes('/payments/')),
          );
          // a row's link opens the entity's Image freshness tab
          await page
            .getByRole('region', { name: 'Images', exact: true })
            .getByRole('link')
            .first()
            .click();
          await tile(page, 'Containers').waitFor({ timeout: 30_000 });
          expect(page.url()).toBe(
            `${url}/catalog/default/component/payments/image-freshness`,
          );
        },
        { width: 1280, height: 1000 },
      );
    }
  });

  it('has no horizontal overflow at 1280 px, in either grouping, with a row expanded', async () => {
    await withPage(
      'light',
      `${entityUrl}/image-freshness`,
      async page => {
        await tile(page, 'Containers').waitFor({ timeout: 30_000 });
        const overflow = () =>
          page.evaluate(() => {
            const doc = document.scrollingElement!;
            const table = document.querySelector(
              'section[aria-label="Containers"] table',
            );
            const scroller = table?.parentElement;
            return {
              page: doc.scrollWidth - doc.clientWidth,
              table: scroller ? scroller.scrollWidth - scroller.clientWidth : 0,
            };
          });
        expect(await overflow()).toEqual({ page: 0, table: 0 });
        await page
          .getByRole('button', { name: /^Show details of / })
          .first()
          .click();
        await page.getByTestId('group-details').waitFor();
        expect(await overflow()).toEqual({ page: 0, table: 0 });
        await page.getByRole('radio', { name: 'By image' }).click();
        await page.locator('section[data-grouping="image"]').waitFor();
        expect(await overflow()).toEqual({ page: 0, table: 0 });
        await page.screenshot({
          path: path.join(OUTPUT, 'frontend-image-freshness-1280.png'),
          fullPage: true,
        });
      },
      { width: 1280, height: 900 },
    );
  });

  it('hides the tabs for an entity without the annotations', async () => {
    await withPage(
      'light',
      `${stack.backend.url}/catalog/default/component/newsletter`,
      async page => {
        await page.getByText('Overview', { exact: true }).waitFor();
        await page.getByText('About', { exact: true }).waitFor();
        // no tab; the sidebar's item for the org-wide page stays
        const sidebar = page
          .getByRole('navigation')
          .getByText('Image freshness', { exact: true });
        expect(await sidebar.count()).toBe(1);
        expect(
          await page.getByText('Image freshness', { exact: true }).count(),
        ).toBe(1);
        expect(
          await page.getByText('Base images', { exact: true }).count(),
        ).toBe(0);
      },
    );
  });

  /** The overview card shows the distinct stale images and the rebuilds due the API reports. */
  async function checkCard(
    page: Page,
    report: EntityImageReport,
    expected: { stale: number; rebuilds: number },
  ) {
    const stale = new Set(
      report.containers
        .filter(c => c.freshness.verdict === 'stale')
        .map(c => `${c.image}@${c.metadata?.digest}`),
    ).size;
    const rebuilds = report.baseImages.filter(
      b => b.verdict.verdict === 'rebuild-due',
    ).length;
    expect({ stale, rebuilds }).toEqual(expected);
    await page.getByTestId('stale-images').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('stale-images').textContent()).toBe(
      String(stale),
    );
    expect(await page.getByTestId('rebuilds-due').textContent()).toBe(
      String(rebuilds),
    );
  }
});
