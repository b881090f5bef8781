import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  clusterConfig,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '@internal/test/harness/kubernetes';
import { fakeDigest } from '@internal/test/harness/kubernetes-fixtures';
import {
  CHECKOUT,
  CHECKOUT_RC,
  CHECKOUT_RUNNING,
  entities,
  euWestObjects,
  loadKubernetesBackendPlugin,
  REGISTRY,
  usEastObjects,
} from '@internal/test/harness/kubernetes-scenarios';
import { KubernetesWorkloadSource } from './KubernetesWorkloadSource';
import type { FoundContainer } from 'backstage-plugin-image-freshness-node';

jest.setTimeout(60_000);

const PLATFORM = 'linux/amd64';
const EU_TOKEN = 'eu-west-service-account-token';
const US_TOKEN = 'us-east-service-account-token';

/** Everything the Kubernetes backend lists per cluster and entity, by default. */
const DEFAULT_OBJECT_PATHS = [
  '/api/v1/pods',
  '/api/v1/services',
  '/api/v1/configmaps',
  '/api/v1/limitranges',
  '/api/v1/resourcequotas',
  '/apis/apps/v1/deployments',
  '/apis/apps/v1/replicasets',
  '/apis/autoscaling/v2/horizontalpodautoscalers',
  '/apis/batch/v1/jobs',
  '/apis/batch/v1/cronjobs',
  '/apis/networking.k8s.io/v1/ingresses',
  '/apis/apps/v1/statefulsets',
  '/apis/apps/v1/daemonsets',
];

describe('KubernetesWorkloadSource (real Kubernetes backend, two stand-in clusters)', () => {
  let euWest: KubernetesStandIn;
  let usEast: KubernetesStandIn;
  let source: KubernetesWorkloadSource;
  let stopBackend: () => Promise<void>;

  beforeAll(async () => {
    euWest = await startKubernetesStandIn({
      token: EU_TOKEN,
      objects: euWestObjects,
    });
    usEast = await startKubernetesStandIn({
      token: US_TOKEN,
      objects: usEastObjects,
      failWith: 500,
    });
    // Builds the source from the discovery and auth services an
    // image-freshness plugin gets, as plugin.ts does.
    const sourceProbe = createBackendModule({
      pluginId: 'image-freshness',
      moduleId: 'kubernetes-source-probe',
      register(env) {
        env.registerInit({
          deps: {
            discovery: coreServices.discovery,
            auth: coreServices.auth,
            logger: coreServices.logger,
          },
          async init({ discovery, auth, logger }) {
            source = new KubernetesWorkloadSource({ discovery, auth, logger });
          },
        });
      },
    });
    const backend = await startTestBackend({
      features: [
        loadKubernetesBackendPlugin(),
        sourceProbe,
        catalogServiceMock.factory({
          entities: Object.values(entities).filter(e => e !== entities.ghost),
        }),
        mockServices.rootConfig.factory({
          data: {
            kubernetes: {
              serviceLocatorMethod: { type: 'multiTenant' },
              clusterLocatorMethods: [
                {
                  type: 'config',
                  clusters: [
                    clusterConfig('eu-west', euWest, EU_TOKEN),
                    clusterConfig('us-east', usEast, US_TOKEN),
                  ],
                },
              ],
            },
          },
        }),
      ],
    });
    stopBackend = () => backend.stop();
  });

  afterAll(async () => {
    await stopBackend?.();
    await euWest?.stop();
    await usEast?.stop();
  });

  beforeEach(() => {
    euWest.clearRequests();
    usEast.clearRequests();
    usEast.setFailWith(500);
  });

  it('finds every container of every workload kind, with jsonpaths and running digests, beside the failing cluster', async () => {
    const found = await source.find(entities.checkout, PLATFORM);

    // The healthy cluster: both namespaces, every kind, every container list.
    expect(rows(found.containers, 'shop')).toEqual(expectedShopCheckoutRows());
    expect(rows(found.containers, 'staging')).toEqual(
      expectedStagingCheckoutRows(),
    );
    expect(found.containers).toHaveLength(52);
    expect(found.containers.every(c => c.platform === PLATFORM)).toBe(true);
    expect(new Set(found.containers.map(c => c.key)).size).toBe(52);
    expect(found.containers).toContainEqual({
      key: 'eu-west/shop/CronJob/checkout-nightly-report/{.spec.jobTemplate.spec.template.spec.containers[0]}',
      container: 'report',
      workload: {
        cluster: 'eu-west',
        namespace: 'shop',
        kind: 'CronJob',
        name: 'checkout-nightly-report',
        jsonpath: '{.spec.jobTemplate.spec.template.spec.containers[0]}',
      },
      image: 'registry.example.com/platform/report-runner:2.3.0',
      platform: PLATFORM,
    });

    // The failing cluster: one classified error naming it, nothing thrown.
    expect(found.errors).toEqual([
      {
        source: 'kubernetes:us-east',
        class: 'SERVER_ERROR',
        message: expect.stringContaining(
          'Kubernetes cluster "us-east" answered 500 (SYSTEM_ERROR) for /api/v1/pods',
        ),
        advice:
          'The cluster API server failed; it is retried on the next refresh.',
        at: expect.any(String),
      },
    ]);
    expect(found.errors[0].message).toContain('and 4 more');
    expect(found.containers.some(c => c.workload.cluster === 'us-east')).toBe(
      false,
    );
    // ...and its containers are marked unread, so their last answers are kept
    const euWestContainer = found.containers[0];
    expect(found.unread?.(euWestContainer)).toBe(false);
    expect(
      found.unread?.({
        ...euWestContainer,
        workload: { ...euWestContainer.workload, cluster: 'us-east' },
      }),
    ).toBe(true);

    // What the real Kubernetes backend asked each cluster: every default
    // object type once, across namespaces, selected by the entity's id, with
    // the cluster's own token. No metrics (skipMetricsLookup).
    for (const cluster of [euWest, usEast]) {
      const requests = cluster.requests();
      expect(requests.map(r => r.path).sort()).toEqual(
        [...DEFAULT_OBJECT_PATHS].sort(),
      );
      expect(
        requests.every(
          r =>
            r.method === 'GET' &&
            r.authenticated &&
            r.query.labelSelector === 'backstage.io/kubernetes-id=checkout',
        ),
      ).toBe(true);
    }
    expect(usEast.requests().every(r => r.status === 500)).toBe(true);
  });

  it('keeps a 401 cluster as an AUTHENTICATION error, and finds its containers once it recovers', async () => {
    usEast.setFailWith(401);
    const failing = await source.find(entities.checkoutShop, PLATFORM);
    expect(failing.errors).toEqual([
      {
        source: 'kubernetes:us-east',
        class: 'AUTHENTICATION',
        message: expect.stringMatching(
          /^Kubernetes cluster "us-east" answered 401 \(UNAUTHORIZED_ERROR\) for \/api\/v1\/namespaces\/shop\/pods, .* and 4 more$/,
        ),
        advice: expect.stringMatching(
          /^Check the credentials the Kubernetes backend uses for this cluster .* and their RBAC permissions\.$/,
        ),
        at: expect.any(String),
      },
    ]);
    expect(rows(failing.containers, 'shop')).toEqual(
      expectedShopCheckoutRows(),
    );

    usEast.setFailWith(undefined);
    const recovered = await source.find(entities.checkoutShop, PLATFORM);
    expect(recovered.errors).toEqual([]);
    expect(recovered.unread).toBeUndefined();
    const us = recovered.containers.filter(
      c => c.workload.cluster === 'us-east',
    );
    // Same namespace, kinds and names in both clusters, yet distinct keys.
    // 3 replicas: the 26 containers of a 2-replica checkout plus 4 of one more pod.
    expect(us).toHaveLength(30);
    expect(new Set(recovered.containers.map(c => c.key)).size).toBe(
      recovered.containers.length,
    );
    expect(
      us.find(
        c =>
          c.key ===
          'us-east/shop/Deployment/checkout/{.spec.template.spec.containers[0]}',
      ),
    ).toMatchObject({ container: 'checkout', image: CHECKOUT });
    // containerd's plain REPO@sha256: imageID form
    const usPods = us.filter(
      c => c.workload.kind === 'Pod' && c.container === 'checkout',
    );
    expect(usPods).toHaveLength(3);
    expect(usPods.every(c => c.runningDigest === fakeDigest(CHECKOUT))).toBe(
      true,
    );
  });

  it('asks only the annotated namespace', async () => {
    const found = await source.find(entities.checkoutShop, PLATFORM);
    expect(
      found.containers.filter(c => c.workload.cluster === 'eu-west'),
    ).toHaveLength(26);
    expect(found.containers.every(c => c.workload.namespace === 'shop')).toBe(
      true,
    );
    expect(
      euWest
        .requests()
        .map(r => r.path)
        .sort(),
    ).toEqual(
      DEFAULT_OBJECT_PATHS.map(p =>
        p.replace(/\/([a-z]+)$/, '/namespaces/shop/$1'),
      ).sort(),
    );
  });

  it('passes a label selector through and finds only what it selects', async () => {
    const found = await source.find(entities.shopFrontline, PLATFORM);
    expect(euWest.requests()[0].query).toEqual({
      labelSelector:
        'app.kubernetes.io/part-of=shop,app.kubernetes.io/component in (server,cache),environment notin (staging),!canary',
    });
    const workloads = [
      ...new Set(
        found.containers.map(
          c => `${c.workload.namespace} ${c.workload.kind} ${c.workload.name}`,
        ),
      ),
    ];
    // shop's servers and caches of checkout and payments: no staging, no
    // canary, no log agents, no batch jobs.
    expect(
      workloads.map(w => w.replace(/-[a-z0-9]{10}(-[a-z0-9]{5})?$/, '-…')),
    ).toEqual(
      expect.arrayContaining([
        'shop Deployment checkout',
        'shop ReplicaSet checkout-…',
        'shop Pod checkout-…',
        'shop StatefulSet checkout-cache',
        'shop Pod checkout-cache-0',
        'shop Deployment payments',
        'shop ReplicaSet payments-…',
        'shop Pod payments-…',
        'shop StatefulSet payments-cache',
        'shop Pod payments-cache-0',
      ]),
    );
    expect(workloads).toHaveLength(2 * (1 + 1 + 2 + 1 + 1));
    expect(found.containers.some(c => c.image.includes('canary'))).toBe(false);
    expect(found.errors.map(e => e.source)).toEqual(['kubernetes:us-east']);
  });

  it('takes a running digest only from a pinned imageID, and reads every jsonpath form', async () => {
    const found = await source.find(entities.legacyBatch, PLATFORM);
    expect(rows(found.containers, 'batch')).toEqual([
      `eu-west batch Job legacy-import {.spec.template.spec.containers[0]} importer ${REGISTRY}/batch/importer:0.9 -`,
      `eu-west batch Job legacy-import {.spec.template.spec.ephemeralContainers[0]} debugger ${REGISTRY}/tools/netshoot:v0.12 -`,
      `eu-west batch Job legacy-import {.spec.template.spec.initContainers[0]} fetch-input ${REGISTRY}/batch/fetcher:1.0 -`,
      `eu-west batch Pod legacy-shell {.spec.containers[0]} shell ${REGISTRY}/tools/shell:dev -`,
      `eu-west batch Pod legacy-shell {.spec.containers[1]} proxy ${REGISTRY}/tools/proxy:1.2 -`,
      `eu-west batch Pod legacy-shell {.spec.initContainers[0]} setup ${REGISTRY}/tools/setup:1.0 ${fakeDigest(
        'setup',
      )}`,
    ]);
  });

  it('asks nothing for an entity without a Kubernetes annotation', async () => {
    expect(await source.find(entities.docsSite, PLATFORM)).toEqual({
      containers: [],
      errors: [],
    });
    expect(euWest.requests()).toEqual([]);
    expect(usEast.requests()).toEqual([]);
  });

  it('turns a failing call to the Kubernetes backend into one source error', async () => {
    const found = await source.find(entities.ghost, PLATFORM);
    expect(found).toEqual({
      unread: expect.any(Function),
      containers: [],
      errors: [
        {
          source: 'kubernetes',
          class: 'INVALID_REQUEST',
          message: expect.stringContaining(
            'The Kubernetes backend answered 400 Bad Request to the workloads query for component:default/ghost: Entity ref missing',
          ),
          advice: expect.stringContaining(
            "check the entity's Kubernetes annotations",
          ),
          at: expect.any(String),
        },
      ],
    });
    expect(euWest.requests()).toEqual([]);
    // every container found on a cluster before is kept; annotation ones are not this source's
    const onCluster: FoundContainer = {
      key: 'eu-west/shop/Pod/a/{.spec.containers[0]}',
      container: 'a',
      workload: {
        cluster: 'eu-west',
        namespace: 'shop',
        kind: 'Pod',
        name: 'a',
      },
      image: CHECKOUT,
      platform: PLATFORM,
    };
    expect(found.unread?.(onCluster)).toBe(true);
    expect(
      found.unread?.({
        ...onCluster,
        key: `annotation/${CHECKOUT}`,
        workload: { kind: 'Annotation', name: 'ghost' },
      }),
    ).toBe(false);
  });
});

/** One readable, sorted line per container of one namespace. */
function rows(containers: FoundContainer[], namespace: string): string[] {
  return containers
    .filter(
      c =>
        c.workload.namespace === namespace && c.workload.cluster === 'eu-west',
    )
    .map(
      c =>
        `${c.workload.cluster} ${c.workload.namespace} ${c.workload.kind} ${
          c.workload.name
        } ${c.workload.jsonpath} ${c.container} ${c.image} ${
          c.runningDigest ?? '-'
        }`,
    )
    .sort();
}

const SIDECAR = 'registry.example.com/platform/envoy:v1.30.1';
const INIT = 'registry.example.com/platform/busybox:1.36.1';
const MIGRATE = 'registry.example.com/platform/migrate:v4.17.0';
const CACHE = 'registry.example.com/platform/redis:7.2.4-alpine';
const AGENT = 'registry.example.com/platform/fluent-bit:3.0.4';
const JOB = 'registry.example.com/platform/report-runner:2.3.0';
const DEBUG = 'registry.example.com/platform/netshoot:v0.12';

/** Names the fixtures generated (ReplicaSet hashes, pod suffixes), read back from them. */
function generatedNames(namespace: string, app: string) {
  const inNamespace = euWestObjects.filter(
    o => o.metadata.namespace === namespace,
  );
  const named = (kind: string, prefix: string) =>
    inNamespace
      .filter(o => o.kind === kind && o.metadata.name.startsWith(prefix))
      .map(o => o.metadata.name);
  const replicaSets = inNamespace.filter(
    o => o.kind === 'ReplicaSet' && o.metadata.name.startsWith(`${app}-`),
  );
  const currentRs = replicaSets.find(
    o => (o.spec as { replicas: number }).replicas > 0,
  )!.metadata.name;
  const oldRs = replicaSets.find(
    o => (o.spec as { replicas: number }).replicas === 0,
  )?.metadata.name;
  return {
    currentRs,
    oldRs,
    appPods: named('Pod', `${currentRs}-`),
    agentPod: named('Pod', `${app}-log-agent-`)[0],
    jobPod: named('Pod', `${app}-nightly-report-`)[0],
    debugger: (
      inNamespace.find(
        o => o.metadata.name === named('Pod', `${currentRs}-`)[0],
      )!.spec as { ephemeralContainers: Array<{ name: string }> }
    ).ephemeralContainers[0].name,
  };
}

function templateRows(prefix: string, kind: string, name: string, app: string) {
  return [
    `${prefix} ${kind} ${name} {.spec.template.spec.containers[0]} checkout ${app} -`,
    `${prefix} ${kind} ${name} {.spec.template.spec.containers[1]} envoy ${SIDECAR} -`,
    `${prefix} ${kind} ${name} {.spec.template.spec.initContainers[0]} wait-for-db ${INIT} -`,
    `${prefix} ${kind} ${name} {.spec.template.spec.initContainers[1]} migrate ${MIGRATE} -`,
  ];
}

function podRows(
  prefix: string,
  name: string,
  app: string,
  running: string,
  debuggerName?: string,
) {
  return [
    `${prefix} Pod ${name} {.spec.containers[0]} checkout ${app} ${running}`,
    `${prefix} Pod ${name} {.spec.containers[1]} envoy ${SIDECAR} ${fakeDigest(
      SIDECAR,
    )}`,
    `${prefix} Pod ${name} {.spec.initContainers[0]} wait-for-db ${INIT} ${fakeDigest(
      INIT,
    )}`,
    `${prefix} Pod ${name} {.spec.initContainers[1]} migrate ${MIGRATE} ${fakeDigest(
      MIGRATE,
    )}`,
    ...(debuggerName
      ? [
          `${prefix} Pod ${name} {.spec.ephemeralContainers[0]} ${debuggerName} ${DEBUG} ${fakeDigest(
            DEBUG,
          )}`,
        ]
      : []),
  ];
}

function otherWorkloadRows(
  prefix: string,
  names: ReturnType<typeof generatedNames>,
) {
  return [
    `${prefix} StatefulSet checkout-cache {.spec.template.spec.containers[0]} redis ${CACHE} -`,
    `${prefix} Pod checkout-cache-0 {.spec.containers[0]} redis ${CACHE} ${fakeDigest(
      CACHE,
    )}`,
    `${prefix} DaemonSet checkout-log-agent {.spec.template.spec.containers[0]} fluent-bit ${AGENT} -`,
    `${prefix} DaemonSet checkout-log-agent {.spec.template.spec.initContainers[0]} init-config ${INIT} -`,
    `${prefix} Pod ${
      names.agentPod
    } {.spec.containers[0]} fluent-bit ${AGENT} ${fakeDigest(AGENT)}`,
    `${prefix} Pod ${
      names.agentPod
    } {.spec.initContainers[0]} init-config ${INIT} ${fakeDigest(INIT)}`,
    `${prefix} CronJob checkout-nightly-report {.spec.jobTemplate.spec.template.spec.containers[0]} report ${JOB} -`,
    `${prefix} Job checkout-nightly-report-29542500 {.spec.template.spec.containers[0]} report ${JOB} -`,
    `${prefix} Pod ${
      names.jobPod
    } {.spec.containers[0]} report ${JOB} ${fakeDigest(JOB)}`,
  ];
}

/** shop/checkout: Docker nodes, 2 replicas, pods run an older build of the tag (drift). */
function expectedShopCheckoutRows(): string[] {
  const prefix = 'eu-west shop';
  const names = generatedNames('shop', 'checkout');
  return [
    ...templateRows(prefix, 'Deployment', 'checkout', CHECKOUT),
    ...templateRows(prefix, 'ReplicaSet', names.currentRs, CHECKOUT),
    ...podRows(
      prefix,
      names.appPods[0],
      CHECKOUT,
      CHECKOUT_RUNNING,
      names.debugger,
    ),
    ...podRows(prefix, names.appPods[1], CHECKOUT, CHECKOUT_RUNNING),
    ...otherWorkloadRows(prefix, names),
  ].sort();
}

/** staging/checkout: containerd nodes, 1 replica, the previous ReplicaSet scaled to zero. */
function expectedStagingCheckoutRows(): string[] {
  const prefix = 'eu-west staging';
  const names = generatedNames('staging', 'checkout');
  return [
    ...templateRows(prefix, 'Deployment', 'checkout', CHECKOUT_RC),
    ...templateRows(prefix, 'ReplicaSet', names.currentRs, CHECKOUT_RC),
    ...templateRows(prefix, 'ReplicaSet', names.oldRs!, CHECKOUT),
    ...podRows(
      prefix,
      names.appPods[0],
      CHECKOUT_RC,
      fakeDigest(CHECKOUT_RC),
      names.debugger,
    ),
    ...otherWorkloadRows(prefix, names),
  ].sort();
}
