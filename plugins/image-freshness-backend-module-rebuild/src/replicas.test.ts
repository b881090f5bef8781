/**
 * Two replicas of the backend (the core plugin and the rebuild module each)
 * on one PostgreSQL database, racing the rebuild task over the same due
 * rebuilds: every base move is dispatched exactly once. Then a replica
 * stopped mid-dispatch (GitHub received the request; the answer never came
 * back): the other replica does not dispatch again before
 * `unknownOutcomeAfter`, then records the try as `unknown` (visible, with
 * its reason) and retries it one backoff step later.
 */
import { mockServices, TestDatabases } from '@backstage/backend-test-utils';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { ApiStandIn, startGithubStandIn } from '@internal/test/harness/scm';
import type { EntityRebuilds } from 'backstage-plugin-image-freshness-common';
import knexFactory, { type Knex } from 'knex';
import request from 'supertest';
import {
  API,
  FixtureClock,
  GITHUB_TOKEN,
  githubAnnotations,
  managedComponent,
  pushBase,
  pushManaged,
  rebuildConfig,
  startRebuildBackend,
} from './__testUtils__/rebuildBackend';

jest.setTimeout(240_000);

const MINUTE = 60_000;
const databases = TestDatabases.create({ ids: ['POSTGRES_15'] });
const required = !!process.env.IMAGE_FRESHNESS_REQUIRE_POSTGRES;
if (required && !databases.supports('POSTGRES_15')) {
  throw new Error(
    'PostgreSQL is required: set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING',
  );
}
const describeOnPostgres = databases.supports('POSTGRES_15')
  ? describe
  : describe.skip;

/** Services the race runs for: each its own repository, all on one base. */
const SERVICES = ['svc-a', 'svc-b', 'svc-c', 'svc-d', 'svc-e', 'svc-f'];

describeOnPostgres('two replicas on one PostgreSQL', () => {
  let registry: TestRegistry;
  let github: ApiStandIn;
  let clock: FixtureClock;
  let knexes: Knex[] = [];
  let replicas: Array<Awaited<ReturnType<typeof startRebuildBackend>>> = [];
  let digests: string[];
  const entities: ReturnType<typeof managedComponent>[] = [];

  const dispatches = (service?: string) =>
    github
      .writes()
      .filter(r => !service || r.path.startsWith(`/repos/acme/${service}/`));
  const attemptsOf = async (replica: (typeof replicas)[number], name: string) =>
    (
      (
        await request(replica.backend.server).get(
          `${API}/rebuilds/component/default/${name}`,
        )
      ).body as EntityRebuilds
    ).attempts;

  async function startReplica(knex: Knex) {
    return startRebuildBackend({
      entities,
      config: rebuildConfig({ registry, github }),
      features: [mockServices.database.factory({ knex })],
    });
  }

  beforeAll(async () => {
    clock = new FixtureClock('2026-12-01T08:00:00Z');
    registry = await startRegistry();
    github = await startGithubStandIn({
      token: GITHUB_TOKEN,
      workflows: SERVICES.map(repo => ({
        owner: 'acme',
        repo,
        file: 'rebuild.yaml',
      })),
    });
    digests = [await pushBase(registry, 'v1')];
    for (const name of SERVICES) {
      const image = await pushManaged(registry, `acme/${name}`, digests[0]);
      entities.push(
        managedComponent(
          name,
          image,
          githubAnnotations(github, `acme/${name}`, 'rebuild.yaml'),
        ),
      );
    }
    const first = await databases.init('POSTGRES_15');
    // a second pool on the same database: another replica's connections
    const second = knexFactory({
      client: 'pg',
      connection: first.client.config.connection,
    });
    knexes = [first, second];
    replicas = [await startReplica(first), await startReplica(second)];
    for (const name of SERVICES) {
      clock.advance(MINUTE + 1000);
      await replicas[0].refreshed(name, digests[0]);
    }
    digests.push(await pushBase(registry, 'v2'));
    for (const name of SERVICES) {
      clock.advance(MINUTE + 1000);
      await replicas[0].refreshed(name, digests[1]);
    }
    clock.advanceHours(25); // past the 1d rebuild delay: all six are due
  });

  afterAll(async () => {
    for (const replica of replicas) await replica.backend.stop();
    await knexes[1]?.destroy();
    await github?.stop();
    await registry?.stop();
    FixtureClock.restore();
  });

  it('dispatches every due rebuild exactly once when both run the task at the same time', async () => {
    for (let round = 0; round < 3; round++) {
      await Promise.all(replicas.map(r => r.runRebuilds()));
    }
    expect(dispatches()).toHaveLength(SERVICES.length);
    for (const name of SERVICES) {
      expect(dispatches(name)).toHaveLength(1);
      // both replicas serve the same record
      const [a, b] = await Promise.all(replicas.map(r => attemptsOf(r, name)));
      expect(a).toEqual(b);
      expect(a).toEqual([
        expect.objectContaining({
          outcome: 'triggered',
          attempts: 1,
          baseDigest: digests[1],
        }),
      ]);
    }
  });

  it('does not dispatch twice silently after a replica stopped mid-dispatch', async () => {
    digests.push(await pushBase(registry, 'v3'));
    clock.advance(MINUTE + 1000);
    await replicas[1].refreshed('svc-a', digests[2]);
    clock.advanceHours(25);
    const before = dispatches('svc-a').length;

    // replica 0 claims and sends the dispatch; GitHub receives it, the
    // answer never comes back, and the replica shuts down
    github.holdNext();
    const shutdown = new AbortController();
    const run = replicas[0].runRebuilds(shutdown.signal);
    for (let i = 0; i < 300 && dispatches('svc-a').length === before; i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    expect(dispatches('svc-a')).toHaveLength(before + 1);
    shutdown.abort();
    await run;
    await replicas[0].backend.stop();
    replicas = [replicas[1]];
    const [survivor] = replicas;
    expect((await attemptsOf(survivor, 'svc-a'))[0]).toMatchObject({
      baseDigest: digests[2],
      outcome: 'pending',
    });

    // within unknownOutcomeAfter (15 min): no second dispatch
    clock.advance(10 * MINUTE);
    await survivor.runRebuilds();
    expect(dispatches('svc-a')).toHaveLength(before + 1);

    // after it: recorded as unknown, retried one backoff step (5 min) later
    clock.advance(6 * MINUTE);
    await survivor.runRebuilds();
    expect(dispatches('svc-a')).toHaveLength(before + 1);
    const [unknown] = await attemptsOf(survivor, 'svc-a');
    expect(unknown).toMatchObject({
      outcome: 'unknown',
      attempts: 1,
      error: {
        class: 'UNKNOWN',
        message: expect.stringContaining(
          'the dispatch may or may not have been sent',
        ),
      },
      nextRetryAt: new Date(clock.now().getTime() + 5 * MINUTE).toISOString(),
    });

    clock.advance(5 * MINUTE);
    await survivor.runRebuilds();
    expect(dispatches('svc-a')).toHaveLength(before + 2);
    expect((await attemptsOf(survivor, 'svc-a'))[0]).toMatchObject({
      outcome: 'triggered',
      attempts: 2,
    });
    // and never again for this base move
    clock.advance(60 * MINUTE);
    await survivor.runRebuilds();
    expect(dispatches('svc-a')).toHaveLength(before + 2);
  });
});
