import { buildAppObjects, fakeDigest } from './kubernetes-fixtures';
import {
  KubernetesStandIn,
  ObjectMeta,
  matchesLabelSelector,
  parseLabelSelector,
  startKubernetesStandIn,
} from './kubernetes';

const TOKEN = 'stand-in-service-account-token';

describe('the Kubernetes API stand-in', () => {
  let cluster: KubernetesStandIn;

  beforeAll(async () => {
    cluster = await startKubernetesStandIn({
      token: TOKEN,
      objects: [
        ...buildAppObjects({
          name: 'checkout',
          namespace: 'shop',
          images: { app: '127.0.0.1:5000/shop/checkout:1.4.2' },
          running: { '127.0.0.1:5000/shop/checkout:1.4.2': fakeDigest('old') },
          runtime: 'docker',
        }),
        ...buildAppObjects({
          name: 'checkout',
          namespace: 'staging',
          images: { app: '127.0.0.1:5000/shop/checkout:1.5.0-rc.1' },
          labels: { environment: 'staging' },
          replicas: 1,
        }),
      ],
    });
  });
  afterAll(() => cluster?.stop());
  beforeEach(() => cluster.clearRequests());

  const get = (path: string, token = TOKEN) =>
    fetch(`${cluster.url}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const names = async (path: string) => {
    const res = await get(path);
    expect(res.status).toBe(200);
    const body = await res.json();
    return body.items.map(
      (i: { metadata: { namespace: string; name: string } }) =>
        `${i.metadata.namespace}/${i.metadata.name}`,
    );
  };

  it('answers 401 kind: Status without the right bearer token, and records it', async () => {
    for (const token of ['', 'wrong-token']) {
      const res = await get('/api/v1/pods', token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    }
    expect(cluster.requests()).toEqual([
      {
        method: 'GET',
        path: '/api/v1/pods',
        query: {},
        authenticated: false,
        status: 401,
      },
      {
        method: 'GET',
        path: '/api/v1/pods',
        query: {},
        authenticated: false,
        status: 401,
      },
    ]);
  });

  it('lists like the API server: XList, resourceVersion, items without kind, sorted by namespace and name', async () => {
    const res = await get('/apis/apps/v1/namespaces/shop/deployments');
    const body = await res.json();
    expect(body).toMatchObject({
      kind: 'DeploymentList',
      apiVersion: 'apps/v1',
      metadata: { resourceVersion: expect.stringMatching(/^\d+$/) },
    });
    expect(body.items).toHaveLength(1);
    expect(body.items[0].kind).toBeUndefined();
    expect(body.items[0].apiVersion).toBeUndefined();
    expect(body.items[0].spec.template.spec.containers[0].image).toBe(
      '127.0.0.1:5000/shop/checkout:1.4.2',
    );

    expect(
      await names(
        '/api/v1/pods?labelSelector=app.kubernetes.io/component%3Dcache',
      ),
    ).toEqual(['shop/checkout-cache-0', 'staging/checkout-cache-0']);
    const crons = await (await get('/apis/batch/v1/cronjobs')).json();
    expect(crons.kind).toBe('CronJobList');
    expect(
      crons.items.map((c: { metadata: { name: string } }) => c.metadata.name),
    ).toEqual(['checkout-nightly-report', 'checkout-nightly-report']);
    const hpas = await (
      await get('/apis/autoscaling/v2/horizontalpodautoscalers')
    ).json();
    expect(hpas.kind).toBe('HorizontalPodAutoscalerList');
    expect(hpas.items).toHaveLength(2);
  });

  it('gives pods ownerReferences and the running digest in every kind of container status', async () => {
    const res = await get(
      '/api/v1/namespaces/shop/pods?labelSelector=app.kubernetes.io/component%3Dserver',
    );
    const pods = (await res.json()).items;
    expect(pods).toHaveLength(2);
    const [first] = pods;
    expect(first.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        controller: true,
      }),
    ]);
    expect(first.status.containerStatuses[0]).toMatchObject({
      name: 'checkout',
      image: '127.0.0.1:5000/shop/checkout:1.4.2',
      imageID: `docker-pullable://127.0.0.1:5000/shop/checkout@${fakeDigest(
        'old',
      )}`,
    });
    expect(
      first.status.initContainerStatuses.map((s: { name: string }) => s.name),
    ).toEqual(['wait-for-db', 'migrate']);
    expect(first.spec.ephemeralContainers[0].name).toMatch(/^debugger-/);
    expect(first.status.ephemeralContainerStatuses[0].imageID).toMatch(
      /^docker-pullable:\/\/registry\.example\.com\/platform\/netshoot@sha256:[0-9a-f]{64}$/,
    );

    // containerd writes the plain REPO@sha256: form
    const staging = await (
      await get(
        '/api/v1/namespaces/staging/pods?labelSelector=app.kubernetes.io/component%3Dserver',
      )
    ).json();
    expect(staging.items[0].status.containerStatuses[0].imageID).toMatch(
      /^127\.0\.0\.1:5000\/shop\/checkout@sha256:[0-9a-f]{64}$/,
    );
  });

  it('honours namespaces and every label selector operator', async () => {
    const q = (selector: string) =>
      names(
        `/apis/apps/v1/deployments?labelSelector=${encodeURIComponent(
          selector,
        )}`,
      );
    expect(await q('')).toEqual(['shop/checkout', 'staging/checkout']);
    expect(await q('backstage.io/kubernetes-id=checkout')).toEqual([
      'shop/checkout',
      'staging/checkout',
    ]);
    expect(await q('environment==staging')).toEqual(['staging/checkout']);
    expect(await q('environment!=staging')).toEqual(['shop/checkout']);
    expect(await q('environment')).toEqual(['staging/checkout']);
    expect(await q('!environment')).toEqual(['shop/checkout']);
    expect(await q('environment in (staging, qa)')).toEqual([
      'staging/checkout',
    ]);
    expect(await q('environment notin (staging)')).toEqual(['shop/checkout']);
    expect(
      await q(
        'app.kubernetes.io/name=checkout , environment notin (prod,qa),!nope',
      ),
    ).toEqual(['shop/checkout', 'staging/checkout']);
    expect(await q('backstage.io/kubernetes-id=payments')).toEqual([]);
    expect(
      await names('/apis/apps/v1/namespaces/staging/statefulsets'),
    ).toEqual(['staging/checkout-cache']);
    expect(await names('/apis/apps/v1/namespaces/nowhere/daemonsets')).toEqual(
      [],
    );
    expect(cluster.requests()[1].query).toEqual({
      labelSelector: 'backstage.io/kubernetes-id=checkout',
    });
  });

  it('answers kind: Status for bad selectors, unknown resources and missing objects', async () => {
    const bad = await get(
      '/api/v1/pods?labelSelector=environment%20in%20staging',
    );
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      kind: 'Status',
      reason: 'BadRequest',
      code: 400,
      message: expect.stringContaining('unable to parse requirement'),
    });
    // no metrics-server in this cluster
    const metrics = await get(
      '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods',
    );
    expect(metrics.status).toBe(404);
    expect(await metrics.json()).toMatchObject({
      kind: 'Status',
      reason: 'NotFound',
      message: 'the server could not find the requested resource',
    });
    const one = await get('/api/v1/namespaces/shop/pods/checkout-cache-0');
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ kind: 'Pod', apiVersion: 'v1' });
    const missing = await get('/apis/apps/v1/namespaces/shop/deployments/nope');
    expect(missing.status).toBe(404);
    expect((await missing.json()).message).toBe(
      'deployments.apps "nope" not found',
    );
  });

  it('fails every request with 401 or 500 when told to, and serves replaced objects', async () => {
    cluster.setFailWith(500);
    const down = await get('/api/v1/pods');
    expect(down.status).toBe(500);
    expect(await down.json()).toMatchObject({
      kind: 'Status',
      reason: 'InternalError',
      code: 500,
    });
    cluster.setFailWith(401);
    expect((await get('/api/v1/pods')).status).toBe(401);
    cluster.setFailWith(undefined);

    const before = (await (await get('/api/v1/pods')).json()).metadata
      .resourceVersion;
    cluster.setObjects([]);
    const after = await (await get('/api/v1/pods')).json();
    expect(after.items).toEqual([]);
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(
      Number(before),
    );
  });
});

describe('paging like the API server', () => {
  let cluster: KubernetesStandIn;
  const objects = (n: number, namespace = 'shop') =>
    Array.from({ length: n }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `pod-${String(i).padStart(3, '0')}`,
        namespace,
        labels: { tier: i % 2 ? 'odd' : 'even' },
      },
    }));
  beforeEach(async () => {
    cluster = await startKubernetesStandIn({
      token: TOKEN,
      objects: [...objects(7, 'b-ns'), ...objects(5, 'a-ns')],
    });
  });
  afterEach(() => cluster.stop());
  const page = async (query: string) => {
    const res = await fetch(`${cluster.url}/api/v1/pods?${query}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return { status: res.status, body: await res.json() };
  };
  const keys = (body: { items: Array<{ metadata: ObjectMeta }> }) =>
    body.items.map(i => `${i.metadata.namespace}/${i.metadata.name}`);

  it('answers limit items and an opaque continue token until the list is done, from one snapshot', async () => {
    const first = await page('limit=5');
    expect(first.status).toBe(200);
    expect(keys(first.body)).toEqual([
      'a-ns/pod-000',
      'a-ns/pod-001',
      'a-ns/pod-002',
      'a-ns/pod-003',
      'a-ns/pod-004',
    ]);
    expect(first.body.metadata).toEqual({
      resourceVersion: expect.stringMatching(/^\d+$/),
      continue: expect.any(String),
      remainingItemCount: 7,
    });
    // the objects change between pages: the list goes on from its snapshot
    cluster.setObjects([]);
    const second = await page(
      `limit=5&continue=${encodeURIComponent(first.body.metadata.continue)}`,
    );
    expect(keys(second.body)).toEqual([
      'b-ns/pod-000',
      'b-ns/pod-001',
      'b-ns/pod-002',
      'b-ns/pod-003',
      'b-ns/pod-004',
    ]);
    expect(second.body.metadata.resourceVersion).toBe(
      first.body.metadata.resourceVersion,
    );
    const last = await page(
      `limit=5&continue=${encodeURIComponent(second.body.metadata.continue)}`,
    );
    expect(keys(last.body)).toEqual(['b-ns/pod-005', 'b-ns/pod-006']);
    expect(last.body.metadata.continue).toBeUndefined();
    // a new list sees the new state
    expect((await page('limit=5')).body.items).toEqual([]);
    expect(cluster.requestCounts()).toEqual({ '/api/v1/pods': 4 });
  });

  it('pages over the matching items only, without remainingItemCount', async () => {
    const first = await page('limit=4&labelSelector=tier%3Dodd');
    expect(keys(first.body)).toEqual([
      'a-ns/pod-001',
      'a-ns/pod-003',
      'b-ns/pod-001',
      'b-ns/pod-003',
    ]);
    expect(first.body.metadata.remainingItemCount).toBeUndefined();
    const rest = await page(
      `limit=4&labelSelector=tier%3Dodd&continue=${first.body.metadata.continue}`,
    );
    expect(keys(rest.body)).toEqual(['b-ns/pod-005']);
    expect(rest.body.metadata.continue).toBeUndefined();
  });

  it('answers 410 Expired for a token whose snapshot is gone, 400 for one that is not a token', async () => {
    const first = await page('limit=5');
    cluster.expireContinueTokens();
    const expired = await page(
      `limit=5&continue=${first.body.metadata.continue}`,
    );
    expect(expired.status).toBe(410);
    expect(expired.body).toMatchObject({
      kind: 'Status',
      reason: 'Expired',
      code: 410,
      message: expect.stringContaining('too old to display a consistent list'),
    });
    // a new list works, and its tokens are good
    const again = await page('limit=5');
    expect(
      (await page(`limit=5&continue=${again.body.metadata.continue}`)).status,
    ).toBe(200);
    const bogus = await page('limit=5&continue=not-a-token');
    expect(bogus.status).toBe(400);
    expect(bogus.body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect((await page('limit=x')).status).toBe(400);
  });

  it('answers the whole list without limit', async () => {
    const all = await page('');
    expect(all.body.items).toHaveLength(12);
    expect(all.body.metadata.continue).toBeUndefined();
  });
});

describe('label selector parsing', () => {
  it.each([
    ['a=b', { a: 'b' }, true],
    ['a=b', { a: 'c' }, false],
    ['a=', { a: '' }, true],
    ['a!=b', {}, true],
    ['a in (b,c)', { a: 'c' }, true],
    ['a in (b,c)', {}, false],
    ['a notin (b,c)', {}, true],
    ['a notin (b,c)', { a: 'b' }, false],
    ['a,!b', { a: 'x' }, true],
    ['a,!b', { a: 'x', b: 'y' }, false],
    ['replicas>2', { replicas: '3' }, true],
    ['replicas<2', { replicas: '3' }, false],
    ['replicas>2', { replicas: '+3' }, true],
    ['replicas>9223372036854775806', { replicas: '9223372036854775807' }, true],
    // as the API server parses them: `()` and stray commas mean the empty value
    ['a in ()', { a: '' }, true],
    ['a in ()', { a: 'b' }, false],
    ['a in (b,)', { a: '' }, true],
    ['a notin (,b)', { a: '' }, false],
    // the keywords are plain words where a key or a value stands
    ['in in (notin)', { in: 'notin' }, true],
  ])('%s against %j → %s', (selector, labels, expected) => {
    expect(matchesLabelSelector(labels, parseLabelSelector(selector))).toBe(
      expected,
    );
  });

  it.each([
    'a in b',
    'a=b,',
    '=b',
    'a b',
    'a=b c',
    '-a=b',
    'a=b/c',
    'a in (b c)',
    'a>-1',
    'a>9223372036854775808',
    'a,,b',
    '!a=b',
  ])('rejects %j', selector => {
    expect(() => parseLabelSelector(selector)).toThrow();
  });
});
