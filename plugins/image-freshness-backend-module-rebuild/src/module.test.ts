/**
 * The rebuild module in a test backend with the real core plugin, a real
 * registry and the GitHub and GitLab API stand-ins (the real octokit, the
 * pipeline API over fetch): a base move makes the managed images' rebuilds
 * due, each is dispatched once with the base and digests as inputs, never
 * again on later runs, again on the next base move; failures are recorded
 * with their class and retried with backoff (Retry-After honoured); the
 * manual trigger needs the permission; the attempts are served per entity.
 */
import { mockCredentials } from '@backstage/backend-test-utils';
import { OUTSIDER } from '@internal/test/harness/permissions';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import {
  ApiStandIn,
  startGithubStandIn,
  startGitlabStandIn,
} from '@internal/test/harness/scm';
import type {
  EntityRebuilds,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';
import request from 'supertest';
import {
  API,
  FixtureClock,
  GITHUB_TOKEN,
  GITLAB_TOKEN,
  githubAnnotations,
  managedComponent,
  pushBase,
  pushManaged,
  rebuildConfig,
  startRebuildBackend,
} from './__testUtils__/rebuildBackend';

jest.setTimeout(180_000);

const MINUTE = 60_000;
const NAMES = ['payments', 'ledger', 'billing', 'legacy'];

describe('the rebuild module', () => {
  let registry: TestRegistry;
  let github: ApiStandIn;
  let gitlab: ApiStandIn;
  let clock: FixtureClock;
  let app: Awaited<ReturnType<typeof startRebuildBackend>>;
  const images: Record<string, string> = {};
  let digests: string[];

  const dispatchesTo = (repo: string) =>
    github.writes().filter(r => r.path.startsWith(`/repos/${repo}/`));
  const attempts = async (name: string, auth?: string) => {
    const res = await request(app.backend.server)
      .get(`${API}/rebuilds/component/default/${name}`)
      .set('authorization', auth ?? mockCredentials.user.header());
    expect(res.status).toBe(200);
    return (res.body as EntityRebuilds).attempts;
  };
  const refreshAll = async (digest: string) => {
    for (const name of NAMES) {
      clock.advance(MINUTE + 1000); // past the manual refresh's per-entity limit
      await app.refreshed(name, digest);
    }
  };

  beforeAll(async () => {
    clock = new FixtureClock('2026-12-01T08:00:00Z');
    registry = await startRegistry();
    github = await startGithubStandIn({
      token: GITHUB_TOKEN,
      workflows: [
        {
          owner: 'acme',
          repo: 'payments',
          file: 'rebuild.yaml',
          inputs: ['image', 'base-image', 'base-digest', 'built-on-digest'],
        },
        { owner: 'acme', repo: 'billing', file: 'rebuild.yaml' },
        // a workflow that only runs on push: no workflow_dispatch trigger
        { owner: 'acme', repo: 'legacy', file: 'ci.yaml', dispatch: false },
      ],
    });
    gitlab = await startGitlabStandIn({
      token: GITLAB_TOKEN,
      projects: ['fin/ledger'],
    });
    digests = [await pushBase(registry, 'v1')];
    for (const name of NAMES) {
      images[name] = await pushManaged(registry, `acme/${name}`, digests[0]);
    }
    app = await startRebuildBackend({
      config: rebuildConfig({ registry, github, gitlab }),
      entities: [
        managedComponent(
          'payments',
          images.payments,
          githubAnnotations(github, 'acme/payments', 'rebuild.yaml'),
        ),
        managedComponent('ledger', images.ledger, {
          'backstage.io/source-location': `url:${gitlab.url}/fin/ledger/-/tree/release/`,
          'image-freshness/auto-rebuild': 'true',
        }),
        // opted out of automatic rebuilds: only the button triggers it
        managedComponent(
          'billing',
          images.billing,
          githubAnnotations(github, 'acme/billing', 'rebuild.yaml', false),
        ),
        managedComponent(
          'legacy',
          images.legacy,
          githubAnnotations(github, 'acme/legacy', '.github/workflows/ci.yaml'),
        ),
      ],
    });
    await refreshAll(digests[0]);
  });

  afterAll(async () => {
    await app?.backend.stop();
    await github?.stop();
    await gitlab?.stop();
    await registry?.stop();
    FixtureClock.restore();
  });

  it('dispatches nothing while the bases are current or only just moved', async () => {
    await app.runRebuilds();
    digests.push(await pushBase(registry, 'v2'));
    await refreshAll(digests[1]);
    await app.runRebuilds(); // moved, but the 1d rebuild delay has not passed
    expect(github.writes()).toEqual([]);
    expect(gitlab.writes()).toEqual([]);
    expect(await attempts('payments')).toEqual([]);
  });

  it('dispatches each due rebuild once, with the base and digests as inputs', async () => {
    clock.advanceHours(25);
    await app.runRebuilds();
    // GitHub: workflow_dispatch on the source location's ref
    expect(dispatchesTo('acme/payments')).toEqual([
      {
        method: 'POST',
        path: '/repos/acme/payments/actions/workflows/rebuild.yaml/dispatches',
        credential: `token ${GITHUB_TOKEN}`,
        body: {
          ref: 'main',
          inputs: {
            image: images.payments,
            'base-image': `${registry.host}/runtime/node:22`,
            'base-digest': digests[1],
            'built-on-digest': digests[0],
          },
          return_run_details: true,
        },
      },
    ]);
    // GitLab: a pipeline on the project's ref, the same facts as variables
    expect(gitlab.writes()).toEqual([
      {
        method: 'POST',
        path: `/api/v4/projects/${encodeURIComponent('fin/ledger')}/pipeline`,
        credential: GITLAB_TOKEN,
        body: {
          ref: 'release',
          variables: [
            { key: 'IMAGE', value: images.ledger },
            { key: 'BASE_IMAGE', value: `${registry.host}/runtime/node:22` },
            { key: 'BASE_DIGEST', value: digests[1] },
            { key: 'BUILT_ON_DIGEST', value: digests[0] },
          ].map(v => ({ ...v, variable_type: 'env_var' })),
        },
      },
    ]);
    // not opted in: never dispatched by the schedule
    expect(dispatchesTo('acme/billing')).toEqual([]);

    const [payments] = await attempts('payments');
    expect(payments).toMatchObject({
      entityRef: 'component:default/payments',
      image: images.payments,
      baseDigest: digests[1],
      builtOnDigest: digests[0],
      provider: 'github',
      target: 'acme/payments rebuild.yaml@main',
      trigger: 'scheduled',
      outcome: 'triggered',
      attempts: 1,
      attemptedAt: clock.now().toISOString(),
      run: {
        id: expect.any(Number),
        number: 123,
        url: expect.stringMatching(
          /^https:\/\/github\.example\/acme\/payments\/actions\/runs\/\d+$/,
        ),
      },
    });
    expect(payments.error).toBeUndefined();
    expect(await attempts('ledger')).toEqual([
      expect.objectContaining({
        outcome: 'triggered',
        target: 'fin/ledger@release',
        run: {
          id: 900,
          number: 20,
          url: `${gitlab.url}/fin/ledger/-/pipelines/900`,
        },
      }),
    ]);
  });

  it('classifies a workflow without workflow_dispatch as NOT_FOUND and retries it with backoff', async () => {
    const [legacy] = await attempts('legacy');
    expect(legacy).toMatchObject({
      outcome: 'failed',
      attempts: 1,
      error: {
        class: 'NOT_FOUND',
        status: 422,
        message: expect.stringContaining(
          'Add a workflow_dispatch trigger to ci.yaml',
        ),
      },
      nextRetryAt: new Date(clock.now().getTime() + 5 * MINUTE).toISOString(),
    });
  });

  it('does not dispatch again on later runs; a failed one only when its retry is due', async () => {
    const before = {
      github: github.writes().length,
      gitlab: gitlab.writes().length,
    };
    await app.runRebuilds();
    clock.advance(4 * MINUTE);
    await app.runRebuilds();
    expect(github.writes().length).toBe(before.github);
    expect(gitlab.writes().length).toBe(before.gitlab);
    clock.advance(2 * MINUTE); // the legacy retry is due (5 min)
    await app.runRebuilds();
    expect(dispatchesTo('acme/legacy')).toHaveLength(2);
    expect(dispatchesTo('acme/payments')).toHaveLength(1);
    expect(gitlab.writes()).toHaveLength(1);
    const [legacy] = await attempts('legacy');
    expect(legacy).toMatchObject({
      outcome: 'failed',
      attempts: 2,
      // doubled: 10 min after the second try
      nextRetryAt: new Date(clock.now().getTime() + 10 * MINUTE).toISOString(),
    });
  });

  it('dispatches again on the next base move; 401 and 429 are classified and retried, Retry-After honoured', async () => {
    digests.push(await pushBase(registry, 'v3'));
    await refreshAll(digests[2]);
    clock.advanceHours(25);
    const payments = '/repos/acme/payments/';
    github.script(
      {
        path: payments,
        status: 401,
        body: { message: 'Bad credentials', status: '401' },
      },
      {
        path: payments,
        status: 429,
        body: { message: 'You have exceeded a secondary rate limit.' },
        headers: { 'retry-after': '3600' },
      },
    );
    await app.runRebuilds();
    let [latest] = await attempts('payments');
    expect(latest).toMatchObject({
      baseDigest: digests[2],
      outcome: 'failed',
      attempts: 1,
      error: {
        class: 'AUTHENTICATION',
        status: 401,
        message: expect.stringContaining('Actions: write'),
      },
    });
    expect(latest.error!.message).toContain('repo and workflow scopes');
    expect(latest.error!.message).not.toContain(GITHUB_TOKEN);

    clock.advance(5 * MINUTE);
    await app.runRebuilds();
    [latest] = await attempts('payments');
    expect(latest).toMatchObject({
      outcome: 'failed',
      attempts: 2,
      error: { class: 'RATE_LIMITED', status: 429 },
      // Retry-After (1 h) wins over the backoff (10 min)
      nextRetryAt: new Date(clock.now().getTime() + 60 * MINUTE).toISOString(),
    });

    clock.advance(30 * MINUTE);
    await app.runRebuilds();
    expect(dispatchesTo('acme/payments')).toHaveLength(3);
    clock.advance(31 * MINUTE);
    await app.runRebuilds();
    [latest] = await attempts('payments');
    expect(latest).toMatchObject({
      baseDigest: digests[2],
      builtOnDigest: digests[0],
      outcome: 'triggered',
      attempts: 3,
    });
    expect(latest.error).toBeUndefined();
    // one dispatch per base move that went through: v2 once, v3 once after two refusals
    expect(
      dispatchesTo('acme/payments').map(r => r.body.inputs['base-digest']),
    ).toEqual([digests[1], digests[2], digests[2], digests[2]]);
    expect(gitlab.writes().map(r => r.body.variables[2].value)).toEqual([
      digests[1],
      digests[2],
    ]);
    expect((await attempts('payments')).map(a => a.baseDigest)).toEqual([
      digests[2],
      digests[1],
    ]);
  });

  describe('the Trigger rebuild route', () => {
    const trigger = (name: string, body: object, auth?: string) =>
      request(app.backend.server)
        .post(`${API}/rebuilds/component/default/${name}/trigger`)
        .set(
          'authorization',
          auth ?? mockCredentials.user.header('user:default/alice'),
        )
        .send(body);

    it('refuses a user without image-freshness.rebuild.trigger (403), dispatching nothing', async () => {
      const res = await trigger(
        'billing',
        { image: images.billing },
        mockCredentials.user.header(OUTSIDER),
      );
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'Triggering a rebuild needs the image-freshness.rebuild.trigger permission',
      );
      expect(dispatchesTo('acme/billing')).toEqual([]);
      const invalid = await trigger(
        'billing',
        { image: images.billing },
        mockCredentials.user.invalidHeader(),
      );
      expect(invalid.status).toBe(401);
    });

    it('triggers a manual rebuild once, recorded with the user; a second one is refused (409)', async () => {
      const res = await trigger('billing', { image: images.billing });
      expect(res.status).toBe(201);
      expect(res.body as RebuildAttempt).toMatchObject({
        trigger: 'manual',
        triggeredBy: 'user:default/alice',
        outcome: 'triggered',
        baseDigest: digests[2],
        run: { number: expect.any(Number) },
      });
      expect(dispatchesTo('acme/billing')).toHaveLength(1);
      const again = await trigger('billing', { image: images.billing });
      expect(again.status).toBe(409);
      expect(again.body.error.message).toMatch(
        /^Not triggered: a rebuild for base digest sha256:[0-9a-f]{64} was already triggered at .* \(run #\d+\); the next base move triggers again$/,
      );
      expect(dispatchesTo('acme/billing')).toHaveLength(1);
      expect(await attempts('billing')).toHaveLength(1);
    });

    it('answers 400 for a malformed body, 404 for an image the entity does not have or an unknown entity', async () => {
      expect((await trigger('billing', {})).status).toBe(400);
      expect((await trigger('billing', { image: 42 })).status).toBe(400);
      const missing = await trigger('billing', { image: 'example.com/x:1' });
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toBe(
        'component:default/billing has no image example.com/x:1 with a base in its report',
      );
      expect((await trigger('nobody', { image: images.billing })).status).toBe(
        404,
      );
      const unknown = await request(app.backend.server)
        .get(`${API}/rebuilds/component/default/nobody`)
        .set('authorization', mockCredentials.user.header());
      expect(unknown.status).toBe(404);
    });
  });

  it('counts attempts by outcome on /metrics', async () => {
    const res = await request(app.backend.server)
      .get(`${API}/metrics`)
      .set('authorization', mockCredentials.service.header());
    expect(res.status).toBe(200);
    const NAME = 'image_freshness_rebuild_attempts_total';
    const counts = Object.fromEntries(
      res.text
        .split('\n')
        .filter(l => l.startsWith(`${NAME}{`))
        .map(l => [
          l.slice(NAME.length, l.lastIndexOf(' ')),
          Number(l.split(' ').pop()),
        ]),
    );
    const series = (
      outcome: string,
      error: string,
      provider: string,
      trigger: string,
    ) =>
      `{outcome="${outcome}",error="${error}",provider="${provider}",trigger="${trigger}"}`;
    expect(counts).toEqual({
      [series('triggered', '', 'github', 'scheduled')]: 2,
      [series('triggered', '', 'gitlab', 'scheduled')]: 2,
      [series('triggered', '', 'github', 'manual')]: 1,
      [series('failed', 'AUTHENTICATION', 'github', 'scheduled')]: 1,
      [series('failed', 'RATE_LIMITED', 'github', 'scheduled')]: 1,
      // the workflow without workflow_dispatch: every try, with backoff
      [series('failed', 'NOT_FOUND', 'github', 'scheduled')]:
        dispatchesTo('acme/legacy').length,
    });
    expect(res.text).not.toContain(GITHUB_TOKEN);
  });
});
