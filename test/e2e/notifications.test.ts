/*
 * Owner notifications on real parts: the real portal backend (packages/backend
 * from source) with the real notifications backend and the notifications
 * module turned on, a real registry holding a stale image whose base tag has
 * moved, and a catalog where a group the guest user belongs to owns the
 * entity. After a refresh and the module's task, the guest reads both
 * notifications through the notifications API; another run sends nothing.
 */
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../harness/browser';
import {
  guestToken,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { catalogYaml } from '../harness/catalog';
import { pushImage } from '../harness/images';
import { waitUntil, triggerTask } from '../harness/refreshes';
import {
  requireBinaries,
  startRegistry,
  TestRegistry,
} from '../harness/registry';
import { serverNow } from '../harness/serverClock';

jest.setTimeout(240_000);

const TASK = 'image-freshness-notifications';
const RUN_LOG = 'Image freshness owner notifications finished';
const ENTITY = '/api/image-freshness/entities/component/default/payments';

/** A notification as `GET /api/notifications/notifications` answers it. */
interface ReceivedNotification {
  id: string;
  user: string;
  origin: string;
  created: string;
  updated?: string;
  payload: {
    title: string;
    description?: string;
    link?: string;
    severity: string;
    topic?: string;
    scope?: string;
    icon: string | null;
  };
}

describe('owner notifications: stale image and due rebuild → the owning group’s members', () => {
  let registry: TestRegistry;
  let backend: TestBackend;
  let dir: string;
  let image: string;
  let base: string;
  let token: string;

  beforeAll(async () => {
    requireBinaries('docker-registry', 'chromium');
    if (!fs.existsSync(path.join(ROOT, 'packages/app/dist/index.html'))) {
      throw new Error(
        'packages/app/dist is missing: build the app first (the README test command does)',
      );
    }
    registry = await startRegistry();
    base = `${registry.host}/runtime/node:22`;
    const builtOn = await pushImage(registry.url, 'runtime/node', '22', {
      created: new Date(serverNow() - 90 * 86_400_000).toISOString(),
    });
    // 60 days old: stale against the default 30 days
    await pushImage(registry.url, 'acme/payments', '1.0', {
      created: new Date(serverNow() - 60 * 86_400_000).toISOString(),
      annotations: {
        'org.opencontainers.image.base.name': base,
        'org.opencontainers.image.base.digest': builtOn.digest,
      },
    });
    // the base tag moved since: with no rebuild delay, a rebuild is due
    await pushImage(registry.url, 'runtime/node', '22', {
      created: new Date(serverNow() - 10 * 86_400_000).toISOString(),
    });
    image = `${registry.host}/acme/payments:1.0`;

    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-notify-'));
    const catalogFile = path.join(dir, 'entities.yaml');
    const group = JSON.stringify({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Group',
      metadata: { name: 'payments-team', namespace: 'default' },
      // the guest sign-in's user
      spec: { type: 'team', children: [], members: ['user:development/guest'] },
    });
    fs.writeFileSync(
      catalogFile,
      `${catalogYaml([
        {
          name: 'payments',
          owner: 'payments-team',
          annotations: { 'image-freshness/images': image },
        },
      ])}\n---\n${group}`,
    );
    backend = await startBackend({
      logName: 'notifications-backend',
      config: () => ({
        catalog: {
          locations: [
            {
              type: 'file',
              target: catalogFile,
              rules: [{ allow: ['Component', 'Group'] }],
            },
          ],
        },
        imageFreshness: {
          allowedHosts: [registry.host],
          rebuildDelay: '0s',
          // refreshed by the test, not by the schedule
          schedule: {
            frequency: { trigger: 'manual' },
            timeout: { minutes: 2 },
          },
          notifications: {
            severity: { stale: 'low', rebuildDue: 'critical' },
            schedule: {
              frequency: { trigger: 'manual' },
              timeout: { minutes: 2 },
            },
          },
        },
      }),
    });
    token = await guestToken(backend.url);
  });

  afterAll(async () => {
    await backend?.stop();
    await registry?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const headers = () => ({ authorization: `Bearer ${token}` });

  /** Runs the module's task once and waits for its log line. */
  async function runNotifications() {
    const runs = () => backend.logs().split(RUN_LOG).length - 1;
    const before = runs();
    await waitUntil(
      'the notifications task to start',
      async () => {
        try {
          await triggerTask(backend.url, token, TASK);
          return true;
        } catch {
          // still running, or not scheduled yet
          return false;
        }
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    await waitUntil(`notifications run ${before + 1}`, () => runs() > before, {
      timeoutMs: 60_000,
    });
  }

  async function received(): Promise<ReceivedNotification[]> {
    const res = await fetch(`${backend.url}/api/notifications/notifications`, {
      headers: headers(),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      totalCount: number;
      notifications: ReceivedNotification[];
    };
    expect(body.notifications).toHaveLength(body.totalCount);
    return body.notifications.sort((a, b) =>
      a.payload.title.localeCompare(b.payload.title),
    );
  }

  it('tells the guest, a member of the owning group, once per transition', async () => {
    // the catalog ingests the entity (404 until then); a refresh reads the registry
    await waitUntil(
      'the entity to be refreshed',
      async () => {
        const res = await fetch(`${backend.url}${ENTITY}/refresh`, {
          method: 'POST',
          headers: headers(),
        });
        return res.status === 202;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    const report = await waitUntil(
      'the stale image and its due rebuild in the report',
      async () => {
        const res = await fetch(`${backend.url}${ENTITY}`, {
          headers: headers(),
        });
        const body = res.ok
          ? ((await res.json()) as EntityImageReport)
          : undefined;
        return body?.containers[0]?.freshness.verdict === 'stale' &&
          body.baseImages[0]?.verdict.verdict === 'rebuild-due'
          ? body
          : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(await received()).toEqual([]);

    await runNotifications();
    const first = await received();
    expect(
      first.map(n => ({ user: n.user, origin: n.origin, ...n.payload })),
    ).toEqual([
      {
        user: 'user:development/guest',
        origin: 'plugin:image-freshness',
        title: `payments: ${image} is stale`,
        description: `${report.containers[0].freshness.reason}. Rebuild and redeploy it, or raise the entity's image-freshness/max-age if this age is expected.`,
        link: '/catalog/default/component/payments/image-freshness',
        severity: 'low',
        topic: 'image-freshness',
        scope: `image-freshness:stale:component:default/payments:${image}`,
        icon: null,
      },
      {
        user: 'user:development/guest',
        origin: 'plugin:image-freshness',
        title: `payments: a rebuild of ${image} is due`,
        description: expect.stringContaining(
          `Rebuild the image on the current ${base} and redeploy it.`,
        ),
        link: '/catalog/default/component/payments/base-images',
        severity: 'critical',
        topic: 'image-freshness',
        scope: `image-freshness:rebuild-due:component:default/payments:${image}`,
        icon: null,
      },
    ]);

    // the same transitions at the next run: nothing sent, nothing updated
    await runNotifications();
    const second = await received();
    expect(second.map(n => n.id)).toEqual(first.map(n => n.id));
    expect(second.map(n => n.updated ?? null)).toEqual([null, null]);
  });

  it("shows the notifications on the portal's Notifications page, linking to the tab", async () => {
    const output = path.join(ROOT, 'test-output');
    fs.mkdirSync(output, { recursive: true });
    const browser = await launchChromium();
    const page = await browser.newPage({
      viewport: { width: 1400, height: 900 },
    });
    try {
      await page.goto(`${backend.url}/notifications`);
      await page
        .getByRole('button', { name: 'Enter' })
        .click({ timeout: 60_000 });
      const stale = page.getByText(`payments: ${image} is stale`);
      await stale.waitFor({ timeout: 60_000 });
      await page
        .getByText(`payments: a rebuild of ${image} is due`)
        .waitFor({ timeout: 20_000 });
      await page.screenshot({
        path: path.join(output, 'notifications-page.png'),
        fullPage: true,
      });
      await stale.click();
      await page.waitForURL(
        /\/catalog\/default\/component\/payments\/image-freshness$/,
        { timeout: 30_000 },
      );
      expect(new URL(page.url()).pathname).toBe(
        '/catalog/default/component/payments/image-freshness',
      );
    } catch (error) {
      await page.screenshot({
        path: path.join(output, 'notifications-failure.png'),
        fullPage: true,
      });
      throw error;
    } finally {
      await browser.close();
    }
  });
});
