/**
 * The attempt store on SQLite and PostgreSQL: one claim per base move among
 * concurrent claimers, retries only when due (or forced by hand), answers
 * recorded only by the claim's holder, tries without an answer marked
 * unknown after the cutoff, and the module's migrations beside the core's
 * (their own knex table).
 */
import { TestDatabases } from '@backstage/backend-test-utils';
import { KnexRebuildStore, MIGRATIONS_TABLE } from './KnexRebuildStore';
import type { ClaimRequest } from './RebuildStore';

jest.setTimeout(60_000);

const databases = TestDatabases.create({ ids: ['SQLITE_3', 'POSTGRES_15'] });
if (
  process.env.IMAGE_FRESHNESS_REQUIRE_POSTGRES &&
  !databases.supports('POSTGRES_15')
) {
  throw new Error(
    'PostgreSQL is required: set BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING',
  );
}

const T0 = new Date('2026-12-01T08:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

const request = (baseDigest = 'sha256:b2'): ClaimRequest => ({
  entityRef: 'component:default/payments',
  image: 'ghcr.io/acme/payments:1.0',
  baseDigest,
  baseName: 'docker.io/library/node:22',
  builtOnDigest: 'sha256:b1',
  provider: 'github',
  target: 'acme/payments rebuild.yaml@main',
  trigger: 'scheduled',
});

describe.each(databases.eachSupportedId())('KnexRebuildStore on %s', id => {
  async function store() {
    const knex = await databases.init(id);
    return {
      knex,
      store: await KnexRebuildStore.create({ getClient: async () => knex }),
    };
  }

  it('gives one of twenty concurrent claimers the base move', async () => {
    const { store: s } = await store();
    const claims = await Promise.all(
      Array.from({ length: 20 }, () => s.claim(request(), T0)),
    );
    expect(claims.filter(c => c.claimed)).toHaveLength(1);
    const refused = claims.find(c => !c.claimed);
    expect(refused).toMatchObject({
      claimed: false,
      existing: { outcome: 'pending', attempts: 1 },
    });
    // another base move of the same image is a claim of its own
    expect((await s.claim(request('sha256:b3'), T0)).claimed).toBe(true);
  });

  it('retries a failed try only when due, one of concurrent claimers winning; a manual trigger may retry at once', async () => {
    const { store: s } = await store();
    const first = await s.claim(request(), T0);
    if (!first.claimed) throw new Error('not claimed');
    await s.record(
      first,
      {
        outcome: 'failed',
        error: {
          class: 'SERVER_ERROR',
          message: 'GitHub answered 502',
          status: 502,
        },
        nextRetryAt: at(5),
      },
      T0,
    );
    expect((await s.claim(request(), at(4))).claimed).toBe(false);
    const retries = await Promise.all(
      Array.from({ length: 10 }, () => s.claim(request(), at(5))),
    );
    const won = retries.filter(c => c.claimed);
    expect(won).toEqual([expect.objectContaining({ attempt: 2 })]);
    const attempt = await s.get(first.key);
    expect(attempt).toMatchObject({
      outcome: 'pending',
      attempts: 2,
      attemptedAt: at(5).toISOString(),
    });
    expect(attempt?.error).toBeUndefined();
    // the first holder's late answer no longer counts
    expect(
      await s.record(first, { outcome: 'triggered', run: { id: 1 } }, at(6)),
    ).toBe(false);
    const second = won[0];
    if (!second.claimed) throw new Error('not claimed');
    await s.record(
      second,
      {
        outcome: 'failed',
        error: { class: 'AUTHENTICATION', message: 'GitHub answered 401' },
        nextRetryAt: at(60),
      },
      at(6),
    );
    const manual = await s.claim(
      { ...request(), trigger: 'manual', triggeredBy: 'user:default/alice' },
      at(7),
      { force: true },
    );
    expect(manual).toMatchObject({ claimed: true, attempt: 3 });
    if (!manual.claimed) throw new Error('not claimed');
    expect(
      await s.record(
        manual,
        {
          outcome: 'triggered',
          run: {
            id: 7000000100,
            number: 123,
            url: 'https://github.example/r/1',
          },
        },
        at(7),
      ),
    ).toBe(true);
    expect(await s.get(first.key)).toEqual({
      entityRef: 'component:default/payments',
      image: 'ghcr.io/acme/payments:1.0',
      baseName: 'docker.io/library/node:22',
      baseDigest: 'sha256:b2',
      builtOnDigest: 'sha256:b1',
      provider: 'github',
      target: 'acme/payments rebuild.yaml@main',
      trigger: 'manual',
      triggeredBy: 'user:default/alice',
      outcome: 'triggered',
      attempts: 3,
      attemptedAt: at(7).toISOString(),
      finishedAt: at(7).toISOString(),
      run: { id: 7000000100, number: 123, url: 'https://github.example/r/1' },
    });
    // a triggered base move is never claimed again, not even by hand
    expect((await s.claim(request(), at(600), { force: true })).claimed).toBe(
      false,
    );
  });

  it('marks a try without an answer unknown after the cutoff, then retries it when due', async () => {
    const { store: s } = await store();
    const lost = await s.claim(request(), T0);
    if (!lost.claimed) throw new Error('not claimed');
    expect(await s.expirePending(at(-15 + 10), at(10), () => at(20))).toEqual(
      [],
    );
    const marked = await s.expirePending(at(16 - 15), at(16), n =>
      at(16 + 5 * n),
    );
    expect(marked).toEqual([
      expect.objectContaining({
        outcome: 'unknown',
        nextRetryAt: at(21).toISOString(),
        error: {
          class: 'UNKNOWN',
          message: expect.stringContaining(
            'the dispatch may or may not have been sent',
          ),
        },
      }),
    ]);
    // the stopped holder's answer, if it ever came, is not taken
    expect(
      await s.record(lost, { outcome: 'triggered', run: {} }, at(17)),
    ).toBe(false);
    expect((await s.claim(request(), at(20))).claimed).toBe(false);
    expect(await s.claim(request(), at(21))).toMatchObject({
      claimed: true,
      attempt: 2,
    });
  });

  it('keeps its migrations apart from the core plugin’s, and lists an entity’s attempts newest first', async () => {
    const { knex, store: s } = await store();
    expect(await knex.schema.hasTable(MIGRATIONS_TABLE)).toBe(true);
    expect(await knex.schema.hasTable('knex_migrations')).toBe(false);
    await s.claim(request('sha256:b2'), T0);
    await s.claim(request('sha256:b3'), at(1));
    await s.claim(
      { ...request(), entityRef: 'component:default/other' },
      at(2),
    );
    expect(
      (await s.listForEntity('component:default/payments')).map(
        a => a.baseDigest,
      ),
    ).toEqual(['sha256:b3', 'sha256:b2']);
    // migrating again is a no-op
    await KnexRebuildStore.create({ getClient: async () => knex });
  });
});
