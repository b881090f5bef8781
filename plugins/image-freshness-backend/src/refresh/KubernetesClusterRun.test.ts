/**
 * The cluster-wide Kubernetes source against the per-entity one, through the
 * real Backstage backend with the real Kubernetes backend plugin, over the
 * same stand-in clusters: the fixture clusters plus a generated set (many
 * selectors, namespaces and decoys, ids that are no label values, a
 * malformed selector), for each service locator the Kubernetes backend
 * ships. Per entity both must give the same containers, the same errors and
 * keep the same containers unread; the cluster-wide run must ask each
 * cluster only for the workload lists, a page at a time. Then the fallback:
 * which clusters are read per entity, and why, in the log and the metric.
 */
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import type { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import permissionBackend from '@backstage/plugin-permission-backend';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import type { JsonObject } from '@backstage/types';
import type { AddressInfo } from 'node:net';
import {
  clusterConfig,
  type KubernetesObject,
  type KubernetesStandIn,
  startKubernetesStandIn,
} from '@internal/test/harness/kubernetes';
import {
  entities as fixtureEntities,
  euWestObjects,
  generatedScenario,
  loadKubernetesBackendPlugin,
  usEastObjects,
} from '@internal/test/harness/kubernetes-scenarios';
import type {
  FoundContainer,
  FoundContainers,
} from 'backstage-plugin-image-freshness-node';
import { readKubernetesSourceSettings } from './kubernetesConfig';
import { KubernetesWorkloadSource } from './KubernetesWorkloadSource';
import { resourcePath } from './kubernetesObjects';

jest.setTimeout(120_000);

const PLATFORM = 'linux/amd64';
const TOKEN = 'stand-in-token';
const CLUSTERS = ['eu-west', 'us-east', 'gen-3'] as const;
const PAGE_SIZE = 7;
/** The list paths the cluster-wide source may ask (the workload types, all namespaces; kubernetesConfig.test.ts names them). */
const WORKLOAD_PATHS = readKubernetesSourceSettings(
  new ConfigReader({}),
).workloadTypes.map(t => resourcePath(t));

const scenario = generatedScenario({ seed: 16, clusters: CLUSTERS, apps: 40 });
const clusterObjects: Record<string, KubernetesObject[]> = {
  'eu-west': [...euWestObjects, ...scenario.clusters['eu-west']],
  'us-east': [...usEastObjects, ...scenario.clusters['us-east']],
  'gen-3': scenario.clusters['gen-3'],
};
const catalogEntities: Entity[] = [
  ...Object.values(fixtureEntities).filter(e => e !== fixtureEntities.ghost),
  ...scenario.entities,
];

/** A backend with the real Kubernetes plugin and a source built as core.ts builds it. */
async function startSource(options: {
  standIns: Record<string, KubernetesStandIn>;
  kubernetes: JsonObject;
  imageFreshness?: JsonObject;
  clusters?: JsonObject[];
  /** More root config (e.g. `permission`). */
  root?: JsonObject;
  features?: Parameters<typeof startTestBackend>[0]['features'];
}) {
  let source: KubernetesWorkloadSource | undefined;
  const logs: Array<{ message: string; meta?: Record<string, unknown> }> = [];
  const data: JsonObject = {
    kubernetes: {
      ...options.kubernetes,
      clusterLocatorMethods: [
        {
          type: 'config',
          clusters:
            options.clusters ??
            Object.entries(options.standIns).map(([name, standIn]) =>
              clusterConfig(name, standIn, TOKEN),
            ),
        },
      ],
    },
    imageFreshness: {
      kubernetes: { pageSize: PAGE_SIZE },
      ...options.imageFreshness,
    },
    ...options.root,
  };
  const probe = createBackendModule({
    pluginId: 'image-freshness',
    moduleId: 'cluster-run-probe',
    register(env) {
      env.registerInit({
        deps: { discovery: coreServices.discovery, auth: coreServices.auth },
        async init({ discovery, auth }) {
          const capture = (message: string, meta?: unknown) =>
            logs.push({ message, meta: meta as Record<string, unknown> });
          const logger = {
            info: capture,
            warn: capture,
            error: capture,
            debug: () => {},
            child: () => logger,
          };
          source = new KubernetesWorkloadSource({
            discovery,
            auth,
            logger: logger as any,
            settings: readKubernetesSourceSettings(new ConfigReader(data)),
          });
        },
      });
    },
  });
  const backend = await startTestBackend({
    features: [
      loadKubernetesBackendPlugin(),
      probe,
      catalogServiceMock.factory({ entities: catalogEntities }),
      mockServices.rootConfig.factory({ data }),
      ...(options.features ?? []),
    ],
  });
  return {
    source: source!,
    logs,
    port: (backend.server.address() as AddressInfo).port,
    stop: () => backend.stop(),
  };
}

/** What a user of the result notices: containers, errors (without their time), what is kept unread. */
function normalized(found: FoundContainers) {
  const probes: FoundContainer[] = [...CLUSTERS, 'other'].map(cluster => ({
    key: `${cluster}/x/Pod/p/{.spec.containers[0]}`,
    container: 'c',
    workload: { cluster, namespace: 'x', kind: 'Pod', name: 'p' },
    image: 'i',
    platform: PLATFORM,
  }));
  probes.push({
    key: 'annotation/i',
    container: 'i',
    workload: { kind: 'Annotation', name: 'e' },
    image: 'i',
    platform: PLATFORM,
  });
  return {
    containers: [...found.containers].sort((a, b) =>
      a.key.localeCompare(b.key),
    ),
    errors: found.errors
      .map(({ at: _at, ...e }) => e)
      .sort((a, b) =>
        `${a.source} ${a.message}`.localeCompare(`${b.source} ${b.message}`),
      ),
    unread: probes.map(p => found.unread?.(p) ?? false),
  };
}

async function startStandIns(): Promise<Record<string, KubernetesStandIn>> {
  const standIns: Record<string, KubernetesStandIn> = {};
  for (const name of CLUSTERS) {
    standIns[name] = await startKubernetesStandIn({
      token: TOKEN,
      objects: clusterObjects[name],
    });
  }
  return standIns;
}

describe.each([
  { locator: 'multiTenant' },
  {
    locator: 'singleTenant',
    // no Jobs: neither source may return them
    objectTypes: [
      'pods',
      'services',
      'deployments',
      'replicasets',
      'cronjobs',
      'statefulsets',
      'daemonsets',
    ],
  },
  { locator: 'catalogRelation' },
])('both Kubernetes sources, $locator locator', ({ locator, objectTypes }) => {
  let standIns: Record<string, KubernetesStandIn>;
  let started: Awaited<ReturnType<typeof startSource>>;

  beforeAll(async () => {
    standIns = await startStandIns();
    started = await startSource({
      standIns,
      kubernetes: {
        serviceLocatorMethod: { type: locator },
        ...(objectTypes ? { objectTypes } : {}),
      },
    });
  });
  afterAll(async () => {
    await started?.stop();
    for (const s of Object.values(standIns ?? {})) await s.stop();
  });

  it('find the same containers, errors and unread containers for every entity', async () => {
    const { source } = started;
    const perEntity = new Map<string, ReturnType<typeof normalized>>();
    for (const entity of catalogEntities) {
      perEntity.set(
        entity.metadata.name,
        normalized(await source.find(entity, PLATFORM)),
      );
    }
    for (const s of Object.values(standIns)) s.clearRequests();
    // a continue token expires in the middle of the run: that list starts again
    standIns['eu-west'].expireContinueTokensAfter(3);

    const run = await source.startRun({
      signal: new AbortController().signal,
    });
    let compared = 0;
    let withContainers = 0;
    for (const entity of catalogEntities) {
      const clusterWide = normalized(await run.find(entity, PLATFORM));
      expect({ entity: entity.metadata.name, ...clusterWide }).toEqual({
        entity: entity.metadata.name,
        ...perEntity.get(entity.metadata.name),
      });
      compared++;
      if (clusterWide.containers.length > 0) withContainers++;
    }
    await run.end?.();
    expect(compared).toBe(catalogEntities.length);
    // the comparison means something: most entities have containers, and
    // the malformed selector and the id that is no label value are errors
    expect(withContainers).toBeGreaterThan(
      locator === 'catalogRelation' ? 5 : 20,
    );
    // (on every cluster with multiTenant; with the other locators on the
    // clusters the entity is located on, compared above)
    const refused = ['gen-malformed', 'gen-bad-id'].map(
      name => perEntity.get(name)!.errors,
    );
    expect(
      refused.map(errors =>
        locator === 'multiTenant' ? errors.length : CLUSTERS.length,
      ),
    ).toEqual([CLUSTERS.length, CLUSTERS.length]);
    expect(
      refused
        .filter(errors => errors.length > 0)
        .every(errors =>
          errors.every(
            e =>
              e.class === 'INVALID_REQUEST' &&
              /^Kubernetes cluster "[a-z0-9-]+" answered 400 \(BAD_REQUEST\) for \/api\/v1\/pods, \/apis\/apps\/v1\/deployments, \/apis\/apps\/v1\/replicasets and \d more$/.test(
                e.message,
              ),
          ),
        ),
    ).toBe(true);
    expect(
      perEntity
        .get('checkout')!
        .containers.some(c => c.workload.kind === 'Job'),
    ).toBe(!objectTypes && locator === 'multiTenant');

    // What the run asked each cluster: only GETs of the workload lists, all
    // namespaces, no selector, a page of 7 at a time; one list per type,
    // pages chained by continue tokens (eu-west's expired one: a 410, then
    // that type again from the start).
    for (const [name, standIn] of Object.entries(standIns)) {
      const requests = standIn.requests();
      const paths = WORKLOAD_PATHS.filter(
        p => !objectTypes || objectTypes.includes(p.split('/').pop()!),
      );
      expect(requests.every(r => r.method === 'GET' && r.authenticated)).toBe(
        true,
      );
      expect([...new Set(requests.map(r => r.path))].sort()).toEqual(
        [...paths].sort(),
      );
      expect(
        requests.every(
          r => r.query.limit === String(PAGE_SIZE) && !r.query.labelSelector,
        ),
      ).toBe(true);
      const firstPages = requests.filter(r => !r.query.continue).length;
      const expired = requests.filter(r => r.status === 410).length;
      expect(firstPages).toBe(paths.length + expired);
      expect(expired > 0).toBe(name === 'eu-west');
      // pages: what each type's objects need, and nothing more
      const objectsOf = (path: string) =>
        clusterObjects[name].filter(o =>
          path.endsWith(`/${o.kind.toLowerCase()}s`),
        ).length;
      const needed = paths.reduce(
        (n, p) => n + Math.max(1, Math.ceil(objectsOf(p) / PAGE_SIZE)),
        0,
      );
      const answered = requests.filter(r => r.status === 200).length;
      // eu-west's lists that started again re-read their first pages
      expect(name === 'eu-west' ? answered > needed : answered === needed).toBe(
        true,
      );
    }
  });
});

describe('the Kubernetes source falls back per cluster, and says so', () => {
  let standIns: Record<string, KubernetesStandIn>;
  beforeAll(async () => {
    standIns = await startStandIns();
  });
  afterAll(async () => {
    for (const s of Object.values(standIns ?? {})) await s.stop();
  });
  beforeEach(() => Object.values(standIns).forEach(s => s.clearRequests()));

  const checkout = fixtureEntities.checkout;

  it('reads a cluster with a client-side auth provider per entity, the others cluster-wide', async () => {
    const started = await startSource({
      standIns,
      kubernetes: { serviceLocatorMethod: { type: 'multiTenant' } },
      clusters: [
        clusterConfig('eu-west', standIns['eu-west'], TOKEN),
        {
          name: 'us-east',
          url: standIns['us-east'].url,
          authProvider: 'oidc',
          oidcTokenProvider: 'okta',
          skipTLSVerify: true,
          skipMetricsLookup: true,
        },
      ],
    });
    try {
      const run = await started.source.startRun({
        signal: new AbortController().signal,
      });
      const found = await run.find(checkout, PLATFORM);
      await run.end?.();
      const metrics = await started.source.metrics.metrics();
      expect(metrics).toContain(
        'image_freshness_kubernetes_source_info{cluster="eu-west",source="clusterWide",reason="server-side-auth"} 1',
      );
      expect(metrics).toContain(
        'image_freshness_kubernetes_source_info{cluster="us-east",source="perEntity",reason="client-side-auth"} 1',
      );
      expect(
        started.logs.filter(l => l.message === 'Kubernetes source for cluster'),
      ).toEqual([
        {
          message: 'Kubernetes source for cluster',
          meta: expect.objectContaining({
            cluster: 'eu-west',
            source: 'clusterWide',
            reason: 'server-side-auth',
          }),
        },
        {
          message: 'Kubernetes source for cluster',
          meta: {
            cluster: 'us-east',
            source: 'perEntity',
            reason: 'client-side-auth',
          },
        },
      ]);
      // eu-west's containers from its lists; the workloads query the oidc
      // cluster needs fails without a user's token, and that is said too
      expect(
        found.containers.filter(c => c.workload.cluster === 'eu-west').length,
      ).toBeGreaterThan(20);
      expect(standIns['us-east'].requests()).toEqual([]);
      expect(found.errors.map(e => e.source)).toEqual(['kubernetes']);
      expect(
        found.unread?.({
          ...found.containers[0],
          workload: { ...found.containers[0].workload, cluster: 'us-east' },
        }),
      ).toBe(true);
      expect(found.unread?.(found.containers[0])).toBe(false);
    } finally {
      await started.stop();
    }
  });

  it.each([
    ['auto', 'perEntity', 'proxy-forbidden'],
    ['clusterWide', 'clusterWide', 'configured'],
  ])(
    'with imageFreshness.kubernetes.source %s, a proxy answering 403 makes the cluster %s (%s)',
    async (mode, source, reason) => {
      // The Kubernetes backend's proxy checks kubernetes.proxy; a plugin's
      // token passes it whatever the policy (see the next test), so the 403
      // comes from a permissions service that denies it outright.
      const started = await startSource({
        standIns,
        kubernetes: { serviceLocatorMethod: { type: 'multiTenant' } },
        imageFreshness: { kubernetes: { source: mode, pageSize: PAGE_SIZE } },
        clusters: [clusterConfig('eu-west', standIns['eu-west'], TOKEN)],
        features: [
          mockServices.permissions.mock({
            authorize: async requests =>
              requests.map(r => ({
                result:
                  r.permission.name === 'kubernetes.proxy'
                    ? AuthorizeResult.DENY
                    : AuthorizeResult.ALLOW,
              })),
          }).factory,
        ],
      });
      try {
        const run = await started.source.startRun({
          signal: new AbortController().signal,
        });
        const found = await run.find(checkout, PLATFORM);
        await run.end?.();
        expect(await started.source.metrics.metrics()).toContain(
          `image_freshness_kubernetes_source_info{cluster="eu-west",source="${source}",reason="${reason}"} 1`,
        );
        const query = await started.source.find(checkout, PLATFORM);
        // auto: the workloads query answered instead, as outside a run;
        // clusterWide: the refusal is the cluster's error
        const refusal = {
          containers: [],
          errors: [
            expect.objectContaining({
              source: 'kubernetes:eu-west',
              class: 'AUTHENTICATION',
            }),
          ],
          unread: [true, false, false, false, false],
        };
        expect(normalized(found)).toEqual(
          mode === 'auto' ? normalized(query) : refusal,
        );
        expect(query.containers.length).toBeGreaterThan(20);
      } finally {
        await started.stop();
      }
    },
  );
});

describe('the kubernetes.proxy permission and a plugin token', () => {
  let standIn: KubernetesStandIn;
  beforeAll(async () => {
    standIn = await startKubernetesStandIn({
      token: TOKEN,
      objects: euWestObjects,
    });
  });
  afterAll(() => standIn?.stop());

  it.each([
    ['allows everything (permission framework off)', false],
    ['denies kubernetes.proxy to everyone', true],
  ])(
    'a plugin token passes it when the policy %s; a user is refused by the denying one',
    async (_, deny) => {
      // The real permission backend with a policy of its own, and the real
      // permissions service (which decides service principals itself).
      const denyProxyPolicy = createBackendModule({
        pluginId: 'permission',
        moduleId: 'deny-kubernetes-proxy',
        register(env) {
          env.registerInit({
            deps: { policy: policyExtensionPoint },
            async init({ policy }) {
              policy.setPolicy({
                async handle(request) {
                  return {
                    result:
                      request.permission.name === 'kubernetes.proxy'
                        ? AuthorizeResult.DENY
                        : AuthorizeResult.ALLOW,
                  };
                },
              });
            },
          });
        },
      });
      standIn.clearRequests();
      const started = await startSource({
        standIns: { 'eu-west': standIn },
        kubernetes: { serviceLocatorMethod: { type: 'multiTenant' } },
        root: { permission: { enabled: deny } },
        features: deny ? [permissionBackend, denyProxyPolicy] : [],
      });
      try {
        const run = await started.source.startRun({
          signal: new AbortController().signal,
        });
        const found = await run.find(fixtureEntities.checkout, PLATFORM);
        await run.end?.();
        expect(await started.source.metrics.metrics()).toContain(
          'image_freshness_kubernetes_source_info{cluster="eu-west",source="clusterWide",reason="server-side-auth"} 1',
        );
        expect(found.errors).toEqual([]);
        expect(found.containers.length).toBeGreaterThan(20);
        expect(standIn.requests().every(r => r.status === 200)).toBe(true);

        const asUser = await fetch(
          `http://127.0.0.1:${started.port}/api/kubernetes/proxy/api/v1/pods`,
          {
            headers: {
              authorization: mockCredentials.user.header(),
              'backstage-kubernetes-cluster': 'eu-west',
            },
          },
        );
        expect(asUser.status).toBe(deny ? 403 : 200);
      } finally {
        await started.stop();
      }
    },
  );
});
