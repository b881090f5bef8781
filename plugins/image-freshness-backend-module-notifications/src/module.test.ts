/**
 * The module in a test backend with the real core plugin, the real
 * notifications backend and a real registry. The core's clock (luxon's, which
 * `systemClock` reads) is pinned and moved: an image that was fresh turns
 * stale with time alone, and the owner reads one notification through the
 * notifications API, however often the task runs. Without its config section
 * the module schedules nothing.
 */
import {
  createBackendModule,
  coreServices,
  type SchedulerService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import notificationsBackend from '@backstage/plugin-notifications-backend';
import { imageFreshnessPlugin } from '@internal/test/harness/corePlugin';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { DateTime, Settings } from 'luxon';
import request from 'supertest';
import imageFreshnessModuleNotifications, { NOTIFICATIONS_TASK } from './index';

jest.setTimeout(120_000);

const START = DateTime.fromISO('2026-12-01T09:00:00Z', { zone: 'utc' });
const OWNER_MEMBER = 'user:default/ada';

/** Hands the test the image-freshness plugin's scheduler, to run a task now. */
function capturingScheduler() {
  const captured: { scheduler?: SchedulerService } = {};
  const module = createBackendModule({
    pluginId: 'image-freshness',
    moduleId: 'test-scheduler',
    register(reg) {
      reg.registerInit({
        deps: { scheduler: coreServices.scheduler },
        async init({ scheduler }) {
          captured.scheduler = scheduler;
        },
      });
    },
  });
  return { module, captured };
}

describe('the notifications module', () => {
  let registry: TestRegistry;
  const realNow = Settings.now;
  let now = START;

  beforeAll(async () => {
    registry = await startRegistry();
    Settings.now = () => now.toMillis();
  });

  afterAll(async () => {
    Settings.now = realNow;
    await registry?.stop();
  });

  async function start(notifications: object | undefined) {
    const { module, captured } = capturingScheduler();
    const image = `${registry.host}/acme/payments:1.0`;
    const backend = await startTestBackend({
      features: [
        imageFreshnessPlugin,
        imageFreshnessModuleNotifications,
        notificationsBackend,
        module,
        catalogServiceMock.factory({
          entities: [
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Component',
              metadata: {
                name: 'payments',
                namespace: 'default',
                annotations: { 'image-freshness/images': image },
              },
              spec: { type: 'service', owner: 'team-a', lifecycle: 'prod' },
            },
            {
              apiVersion: 'backstage.io/v1alpha1',
              kind: 'Group',
              metadata: { name: 'team-a', namespace: 'default' },
              spec: { type: 'team', children: [] },
              relations: [{ type: 'hasMember', targetRef: OWNER_MEMBER }],
            },
          ],
        }),
        mockServices.scheduler.factory({ skipTaskRunOnStartup: true }),
        mockServices.rootConfig.factory({
          data: {
            app: { baseUrl: 'http://localhost:3000' },
            imageFreshness: {
              cacheDuration: '0s',
              allowedHosts: [registry.host],
              maxAge: '30d',
              ...(notifications && { notifications }),
            },
          },
        }),
      ],
    });
    return { backend, scheduler: captured.scheduler!, image };
  }

  it('tells the owning group once when time alone makes the image stale', async () => {
    await pushImage(registry.url, 'acme/payments', '1.0', {
      created: START.minus({ days: 10 }).toISO()!,
    });
    const { backend, scheduler, image } = await start({
      severity: { stale: 'high' },
    });
    try {
      const entity = '/api/image-freshness/entities/component/default/payments';
      expect(
        (await request(backend.server).post(`${entity}/refresh`)).status,
      ).toBe(202);
      let freshness;
      for (let i = 0; i < 200 && !freshness; i++) {
        const res = await request(backend.server).get(entity);
        freshness = res.body.containers?.[0]?.metadata
          ? res.body.containers[0].freshness
          : undefined;
        if (!freshness) await new Promise(r => setTimeout(r, 100));
      }
      expect(freshness).toEqual({
        verdict: 'fresh',
        reason: 'Built 10 days ago, within the 30 days limit',
      });
      const inbox = async () => {
        const res = await request(backend.server)
          .get('/api/notifications/notifications')
          .set('authorization', mockCredentials.user.header(OWNER_MEMBER));
        expect(res.status).toBe(200);
        return res.body.notifications as Array<{
          id: string;
          updated?: unknown;
          payload: Record<string, unknown>;
        }>;
      };

      // 10 days old: fresh, nobody told
      await scheduler.triggerTask(NOTIFICATIONS_TASK);
      expect(await inbox()).toEqual([]);

      // 21 days later, with no refresh in between: stale
      now = START.plus({ days: 21 });
      await scheduler.triggerTask(NOTIFICATIONS_TASK);
      await scheduler.triggerTask(NOTIFICATIONS_TASK);
      const received = await inbox();
      expect(received.map(n => ({ ...n.payload, updated: n.updated }))).toEqual(
        [
          expect.objectContaining({
            title: `payments: ${image} is stale`,
            description: expect.stringMatching(
              /^Built 31 days ago, older than the 30 days limit\./,
            ),
            link: '/catalog/default/component/payments/image-freshness',
            severity: 'high',
            scope: `image-freshness:stale:component:default/payments:${image}`,
            updated: null,
          }),
        ],
      );
    } finally {
      now = START;
      await backend.stop();
    }
  });

  it('schedules nothing without imageFreshness.notifications', async () => {
    const { backend, scheduler } = await start(undefined);
    try {
      const tasks = await scheduler.getScheduledTasks();
      expect(tasks.map(t => t.id)).toContain('image-freshness-refresh');
      expect(tasks.map(t => t.id)).not.toContain(NOTIFICATIONS_TASK);
    } finally {
      await backend.stop();
    }
  });
});
