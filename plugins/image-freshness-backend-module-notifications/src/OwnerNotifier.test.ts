/**
 * The transition logic, with a pinned clock that the tests move: entity
 * reports whose freshness verdicts come from the same pure policy the core
 * uses (`freshnessVerdict` against the pinned clock), an in-memory catalog,
 * the real transition store on SQLite and PostgreSQL, and a notification
 * service that keeps what the owners would receive.
 */
import { mockServices } from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import type {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { storeTestDatabases } from '@internal/test/harness/testDatabases';
import {
  type BaseVerdict,
  type EntityImageReport,
  freshnessVerdict,
} from 'backstage-plugin-image-freshness-common';
import type { EntityImageReports } from 'backstage-plugin-image-freshness-node';
import { DateTime, Duration } from 'luxon';
import type { NotificationsConfig } from './config';
import { DEFAULT_SCHEDULE } from './config';
import { OwnerNotifier } from './OwnerNotifier';
import { KnexTransitionStore, type TransitionStore } from './TransitionStore';

jest.setTimeout(60_000);

const databases = storeTestDatabases();
const MAX_AGE = Duration.fromObject({ days: 30 });
const START = DateTime.fromISO('2026-12-01T09:00:00Z', { zone: 'utc' });
const IMAGE = 'registry.example.com/acme/payments:1.4';
const CONFIG: NotificationsConfig = {
  severity: { stale: 'normal', 'rebuild-due': 'high' },
  schedule: DEFAULT_SCHEDULE,
};

const component = (
  name: string,
  spec: Record<string, unknown> = { owner: 'team-a' },
  extra: Partial<Entity> = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', ...spec },
  ...extra,
});

/** What an entity runs: images with their build time and their base's verdict. */
interface Running {
  image: string;
  /** ISO 8601; absent: build time unknown */
  created?: string;
  base?: BaseVerdict;
}

/**
 * Reports as the core builds them, from what each entity runs, with the
 * freshness verdict made against the pinned clock.
 */
class TestReports implements EntityImageReports {
  readonly running = new Map<string, Running[]>();
  readonly failing = new Set<string>();

  constructor(private readonly now: () => DateTime) {}

  async listEntityRefs() {
    return [...this.running.keys()].sort();
  }

  async build(entity: Entity): Promise<EntityImageReport> {
    const entityRef = `component:default/${entity.metadata.name}`;
    if (this.failing.has(entityRef)) {
      throw new Error(`the store failed reading ${entityRef}`);
    }
    const running = this.running.get(entityRef) ?? [];
    return {
      entityRef,
      containers: running.map(r => ({
        container: 'app',
        workload: { kind: 'Annotation', name: entity.metadata.name },
        image: r.image,
        digest: 'sha256:0f1e2d',
        freshness: freshnessVerdict({
          created: r.created,
          maxAge: MAX_AGE,
          now: this.now(),
        }),
      })),
      baseImages: running
        .filter(r => r.base)
        .map(r => ({
          image: r.image,
          imageDigest: 'sha256:0f1e2d',
          managed: true,
          base: {
            name: 'registry.example.com/library/node:22',
            strategy: 'SemVer',
            source: { kind: 'annotation' },
          },
          verdict: { verdict: r.base!, reason: `Base verdict ${r.base}` },
        })),
      errors: [],
    };
  }
}

/** The notifications the owners received, in order; `failFor` makes sends about an entity fail. */
class ReceivedNotifications implements NotificationService {
  readonly sent: NotificationSendOptions[] = [];
  readonly failFor = new Set<string>();

  async send(options: NotificationSendOptions) {
    const entityRef = options.payload.metadata?.entityRef as string;
    if (this.failFor.has(entityRef)) {
      throw new Error('Failed to send notifications: Request failed with 503');
    }
    this.sent.push(options);
  }

  /** `kind entity image → recipient` per notification, to compare at a glance. */
  summary() {
    return this.sent.map(
      s =>
        `${s.payload.metadata?.kind} ${s.payload.metadata?.entityRef} ${
          s.payload.metadata?.image
        } → ${(s.recipients as { entityRef: string }).entityRef}`,
    );
  }
}

describe.each(databases.ids)('OwnerNotifier on %s', id => {
  let now: DateTime;
  let reports: TestReports;
  let received: ReceivedNotifications;
  let store: TransitionStore;
  let logger: ReturnType<typeof mockServices.logger.mock>;

  const daysAgo = (days: number) => now.minus({ days }).toISO()!;
  const notifier = (
    entities: Entity[],
    options: { store?: TransitionStore; received?: NotificationService } = {},
  ) =>
    new OwnerNotifier({
      reports,
      catalog: catalogServiceMock({ entities }),
      auth: mockServices.auth(),
      notifications: options.received ?? received,
      store: options.store ?? store,
      logger,
      config: CONFIG,
      now: () => now.toJSDate(),
    });

  beforeEach(async () => {
    now = START;
    reports = new TestReports(() => now);
    received = new ReceivedNotifications();
    logger = mockServices.logger.mock();
    store = await KnexTransitionStore.create({
      database: await databases.database(id),
    });
  });

  it('tells the owner once when an image turns stale, and again after it was fresh in between', async () => {
    const payments = component('payments');
    const run = notifier([payments]);
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: daysAgo(10) },
    ]);
    expect((await run.run()).sent).toBe(0);

    // time alone makes it stale: 31 days old
    now = now.plus({ days: 21 });
    expect(await run.run()).toEqual({
      entities: 1,
      sent: 1,
      cleared: 0,
      removed: 0,
      withoutOwner: 0,
      failed: 0,
    });
    expect(received.sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: 'group:default/team-a' },
        payload: {
          title: `payments: ${IMAGE} is stale`,
          description: `Built 31 days ago, older than the 30 days limit. Rebuild and redeploy it, or raise the entity's image-freshness/max-age if this age is expected.`,
          link: '/catalog/default/component/payments/image-freshness',
          severity: 'normal',
          topic: 'image-freshness',
          scope: `image-freshness:stale:component:default/payments:${IMAGE}`,
          metadata: {
            entityRef: 'component:default/payments',
            kind: 'stale',
            image: IMAGE,
            digest: 'sha256:0f1e2d',
          },
        },
      },
    ]);

    // stays stale, days later: no repeat
    now = now.plus({ days: 5 });
    await run.run();
    await run.run();
    expect(received.sent).toHaveLength(1);

    // rebuilt: fresh again, which ends the transition
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: now.toISO()! },
    ]);
    expect((await run.run()).cleared).toBe(1);
    expect(received.sent).toHaveLength(1);

    // and stale again 31 days later: a new notification, same scope
    now = now.plus({ days: 31 });
    await run.run();
    expect(received.summary()).toEqual([
      `stale component:default/payments ${IMAGE} → group:default/team-a`,
      `stale component:default/payments ${IMAGE} → group:default/team-a`,
    ]);
    expect(received.sent[1].payload.scope).toBe(received.sent[0].payload.scope);
  });

  it('tells the owner once when a rebuild becomes due, and again after a rebuild', async () => {
    const run = notifier([component('payments')]);
    const running = (base: BaseVerdict) =>
      reports.running.set('component:default/payments', [
        { image: IMAGE, created: now.toISO()!, base },
      ]);
    running('current');
    await run.run();
    running('updated');
    await run.run();
    expect(received.sent).toEqual([]);

    running('rebuild-due');
    await run.run();
    await run.run();
    expect(received.sent).toHaveLength(1);
    expect(received.sent[0].payload).toEqual(
      expect.objectContaining({
        title: `payments: a rebuild of ${IMAGE} is due`,
        description:
          'Base verdict rebuild-due. Rebuild the image on the current registry.example.com/library/node:22 and redeploy it.',
        link: '/catalog/default/component/payments/base-images',
        severity: 'high',
        scope: `image-freshness:rebuild-due:component:default/payments:${IMAGE}`,
      }),
    );

    // rebuilt on the new base
    running('current');
    expect((await run.run()).cleared).toBe(1);
    running('rebuild-due');
    await run.run();
    expect(received.summary()).toEqual([
      `rebuild-due component:default/payments ${IMAGE} → group:default/team-a`,
      `rebuild-due component:default/payments ${IMAGE} → group:default/team-a`,
    ]);
  });

  it('keeps the transition through unknown verdicts, and ends it when the image is no longer run', async () => {
    const run = notifier([component('payments')]);
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: daysAgo(40), base: 'rebuild-due' },
    ]);
    await run.run();
    expect(received.sent).toHaveLength(2);

    // the registry is unreachable: no build time, base unknown; nothing ended
    reports.running.set('component:default/payments', [
      { image: IMAGE, base: 'unknown' },
    ]);
    expect((await run.run()).cleared).toBe(0);
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: daysAgo(40), base: 'rebuild-due' },
    ]);
    await run.run();
    expect(received.sent).toHaveLength(2);

    // the entity moved to another image: both transitions of the old one end
    reports.running.set('component:default/payments', [
      { image: 'registry.example.com/acme/payments:2.0', created: daysAgo(1) },
    ]);
    expect((await run.run()).cleared).toBe(2);
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: daysAgo(40) },
    ]);
    await run.run();
    expect(received.sent).toHaveLength(3);
  });

  it('sends to the ownedBy relation, else spec.owner (a group by default, in the entity namespace)', async () => {
    const byRelation = component(
      'cart',
      { owner: 'team-a' },
      {
        relations: [
          { type: 'ownedBy', targetRef: 'user:default/ada' },
          { type: 'partOf', targetRef: 'system:default/shop' },
        ],
      },
    );
    const byUser = component('search', { owner: 'user:guest' });
    for (const name of ['cart', 'search']) {
      reports.running.set(`component:default/${name}`, [
        { image: IMAGE, created: daysAgo(45) },
      ]);
    }
    await notifier([byRelation, byUser]).run();
    expect(received.summary()).toEqual([
      `stale component:default/cart ${IMAGE} → user:default/ada`,
      `stale component:default/search ${IMAGE} → user:default/guest`,
    ]);
  });

  it('logs and skips an entity without owner, and tells its owner once it has one', async () => {
    const orphan = component('orphan', { owner: '' });
    for (const name of ['orphan', 'payments']) {
      reports.running.set(`component:default/${name}`, [
        { image: IMAGE, created: daysAgo(45) },
      ]);
    }
    const summary = await notifier([orphan, component('payments')]).run();
    expect(summary).toEqual(
      expect.objectContaining({ sent: 1, withoutOwner: 1, failed: 0 }),
    );
    expect(received.summary()).toEqual([
      `stale component:default/payments ${IMAGE} → group:default/team-a`,
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Owner notifications: the entity has no owner (spec.owner), so nobody was told',
      {
        entityRef: 'component:default/orphan',
        transitions: `stale ${IMAGE}`,
      },
    );

    await notifier([
      component('orphan', { owner: 'team-b' }),
      component('payments'),
    ]).run();
    expect(received.summary()).toEqual([
      `stale component:default/payments ${IMAGE} → group:default/team-a`,
      `stale component:default/orphan ${IMAGE} → group:default/team-b`,
    ]);
  });

  it('goes on past an entity that fails, and retries a send that failed at the next run', async () => {
    const entities = ['a', 'b', 'c'].map(name => component(name));
    for (const name of ['a', 'b', 'c']) {
      reports.running.set(`component:default/${name}`, [
        { image: IMAGE, created: daysAgo(45) },
      ]);
    }
    reports.failing.add('component:default/a');
    received.failFor.add('component:default/b');
    const run = notifier(entities);
    expect(await run.run()).toEqual(
      expect.objectContaining({ entities: 3, sent: 1, failed: 2 }),
    );
    expect(received.summary()).toEqual([
      `stale component:default/c ${IMAGE} → group:default/team-a`,
    ]);
    expect(logger.warn).toHaveBeenCalledWith(
      'Owner notifications failed for an entity',
      {
        entityRef: 'component:default/b',
        error: 'Error: Failed to send notifications: Request failed with 503',
      },
    );

    // both recover: each is told once, c is not told again
    reports.failing.clear();
    received.failFor.clear();
    expect(await run.run()).toEqual(
      expect.objectContaining({ sent: 2, failed: 0 }),
    );
    await run.run();
    expect(received.summary()).toEqual([
      `stale component:default/c ${IMAGE} → group:default/team-a`,
      `stale component:default/a ${IMAGE} → group:default/team-a`,
      `stale component:default/b ${IMAGE} → group:default/team-a`,
    ]);
  });

  it('never sends twice from a second replica or after a restart on the same database', async () => {
    const database = await databases.database(id);
    const entities = ['a', 'b', 'c', 'd'].map(name => component(name));
    for (const name of ['a', 'b', 'c', 'd']) {
      reports.running.set(`component:default/${name}`, [
        { image: IMAGE, created: daysAgo(45), base: 'rebuild-due' },
      ]);
    }
    // two replicas, started one after the other, run at the same time
    const replicas = [];
    for (const _ of [1, 2]) {
      replicas.push(
        notifier(entities, {
          store: await KnexTransitionStore.create({ database }),
        }),
      );
    }
    const summaries = await Promise.all(replicas.map(r => r.run()));
    expect(summaries.map(s => s.sent).reduce((a, b) => a + b)).toBe(8);
    expect(new Set(received.summary()).size).toBe(8);

    // a restart: a new store and notifier on the same database
    const restarted = notifier(entities, {
      store: await KnexTransitionStore.create({ database }),
    });
    expect((await restarted.run()).sent).toBe(0);
    expect(received.sent).toHaveLength(8);
  });

  it('forgets the transitions of an entity that left the catalog, and tells again when it is back', async () => {
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: daysAgo(45) },
    ]);
    await notifier([component('payments')]).run();
    await notifier([component('payments')]).run();
    expect(received.sent).toHaveLength(1);
    expect((await notifier([]).run()).removed).toBe(1);
    await notifier([component('payments')]).run();
    expect(received.sent).toHaveLength(2);

    // and when the plugin's store no longer has it
    reports.running.delete('component:default/payments');
    expect((await notifier([component('payments')]).run()).removed).toBe(1);
    expect(await store.list('component:default/payments')).toEqual([]);
  });

  it('keeps every transition when the catalog does not answer', async () => {
    reports.running.set('component:default/payments', [
      { image: IMAGE, created: daysAgo(45) },
    ]);
    await notifier([component('payments')]).run();
    const unreachable = new OwnerNotifier({
      reports,
      catalog: catalogServiceMock.mock({
        getEntitiesByRefs: async () => {
          throw new Error('Request failed with 503 Service Unavailable');
        },
      }),
      auth: mockServices.auth(),
      notifications: received,
      store,
      logger,
      config: CONFIG,
      now: () => now.toJSDate(),
    });
    expect(await unreachable.run()).toEqual(
      expect.objectContaining({ entities: 0, failed: 1, removed: 0 }),
    );
    expect(logger.warn).toHaveBeenCalledWith(
      'Owner notifications: the catalog did not answer',
      {
        entities: 1,
        error: 'Error: Request failed with 503 Service Unavailable',
      },
    );
    // back: still told once
    await notifier([component('payments')]).run();
    expect(received.sent).toHaveLength(1);
  });

  it('stops between entities once the run is aborted', async () => {
    for (const name of ['a', 'b']) {
      reports.running.set(`component:default/${name}`, [
        { image: IMAGE, created: daysAgo(45) },
      ]);
    }
    const controller = new AbortController();
    controller.abort();
    const summary = await notifier([component('a'), component('b')]).run(
      controller.signal,
    );
    expect(summary.entities).toBe(0);
    expect(received.sent).toEqual([]);
  });
});
