/*
 * Kubernetes scenarios shared by the tests of both Kubernetes sources: the
 * fixture clusters (eu-west with checkout in two namespaces, payments and its
 * canary, a legacy batch namespace; us-east with checkout), the entities that
 * point at them, a generated scenario with many selectors, namespaces and
 * decoys, and the real Kubernetes backend plugin loaded for jest.
 */
import type { BackendFeature } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import Module from 'node:module';
import type { KubernetesObject } from './kubernetes';
import { buildAppObjects, fakeDigest } from './kubernetes-fixtures';

/**
 * The real Kubernetes backend plugin, loaded by Node's own module loader.
 * Under jest it cannot be imported normally: on every cluster request it runs
 * `await import('@kubernetes/client-node')` (ServiceAccountStrategy,
 * KubernetesConnection), which Node refuses inside jest's VM without
 * --experimental-vm-modules, and that flag breaks other CommonJS modules the
 * backend loads under jest. Jest hands tests its own `node:module`, a subclass
 * of Node's; its parent's createRequire loads outside jest's sandbox.
 */
export function loadKubernetesBackendPlugin(): BackendFeature {
  const nodeModule = Object.getPrototypeOf(Module) as typeof Module;
  const load = nodeModule.createRequire(__filename);
  return load('@backstage/plugin-kubernetes-backend').default;
}

export const REGISTRY = '127.0.0.1:5000';
export const CHECKOUT = `${REGISTRY}/shop/checkout:1.4.2`;
export const CHECKOUT_RC = `${REGISTRY}/shop/checkout:1.5.0-rc.1`;
export const PAYMENTS = `${REGISTRY}/shop/payments:2.0.1`;
/** What the checkout pods in eu-west really run: an earlier build of 1.4.2. */
export const CHECKOUT_RUNNING = fakeDigest(
  'checkout 1.4.2, the build before the tag moved',
);

export function component(
  name: string,
  annotations: Record<string, string>,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-shop' },
  };
}

/** The fixture entities; `ghost` has the annotation but is not in the catalog. */
export const entities = {
  checkout: component('checkout', { 'backstage.io/kubernetes-id': 'checkout' }),
  checkoutShop: component('checkout-shop', {
    'backstage.io/kubernetes-id': 'checkout',
    'backstage.io/kubernetes-namespace': 'shop',
  }),
  shopFrontline: component('shop-frontline', {
    'backstage.io/kubernetes-label-selector':
      'app.kubernetes.io/part-of=shop,app.kubernetes.io/component in (server,cache),environment notin (staging),!canary',
  }),
  legacyBatch: component('legacy-batch', {
    'backstage.io/kubernetes-id': 'legacy-batch',
  }),
  docsSite: component('docs-site', {
    'image-freshness/images': `${REGISTRY}/docs/site:3.1`,
  }),
  /** Has the annotation, but the catalog does not know it. */
  ghost: component('ghost', { 'backstage.io/kubernetes-id': 'ghost' }),
};

export const euWestObjects: KubernetesObject[] = [
  ...buildAppObjects({
    name: 'checkout',
    namespace: 'shop',
    partOf: 'shop',
    images: { app: CHECKOUT },
    running: { [CHECKOUT]: CHECKOUT_RUNNING },
    runtime: 'docker',
  }),
  ...buildAppObjects({
    name: 'checkout',
    namespace: 'staging',
    partOf: 'shop',
    images: { app: CHECKOUT_RC },
    previousAppImage: CHECKOUT,
    labels: { environment: 'staging' },
    replicas: 1,
  }),
  ...buildAppObjects({
    name: 'payments',
    namespace: 'shop',
    partOf: 'shop',
    images: { app: PAYMENTS },
  }),
  ...buildAppObjects({
    name: 'payments-canary',
    kubernetesId: 'payments',
    namespace: 'shop',
    partOf: 'shop',
    images: { app: `${REGISTRY}/shop/payments:2.1.0-canary` },
    labels: { canary: 'true' },
    replicas: 1,
  }),
  ...legacyBatchObjects(),
];

export const usEastObjects: KubernetesObject[] = buildAppObjects({
  name: 'checkout',
  namespace: 'shop',
  partOf: 'shop',
  images: { app: CHECKOUT },
  replicas: 3,
  nodeName: 'ip-10-1-7-201.us-east-1.compute.internal',
});

/**
 * Hand-written objects for the edges: a bare pod (`kubectl run`) whose
 * runtime reports a local image ID (`docker://sha256:...`, no repository
 * digest) for one container and no imageID yet for another that is still
 * being created; and a Job whose template carries an ephemeral container.
 * The API server's validation forbids that in pod templates; it is here only
 * so the seed exporter's `{.spec.template.spec.ephemeralContainers[0]}` form
 * is covered should a cluster ever serve it.
 */
export function legacyBatchObjects(): KubernetesObject[] {
  const labels = { 'backstage.io/kubernetes-id': 'legacy-batch' };
  return [
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'legacy-shell',
        namespace: 'batch',
        labels: { ...labels, run: 'legacy-shell' },
        uid: '0c6f2a0e-61a4-4f0a-9d55-6e1f1c2b7a10',
        creationTimestamp: '2026-02-11T16:02:41Z',
      },
      spec: {
        initContainers: [
          { name: 'setup', image: `${REGISTRY}/tools/setup:1.0` },
        ],
        containers: [
          { name: 'shell', image: `${REGISTRY}/tools/shell:dev` },
          { name: 'proxy', image: `${REGISTRY}/tools/proxy:1.2` },
        ],
        restartPolicy: 'Always',
        nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal',
      },
      status: {
        phase: 'Pending',
        initContainerStatuses: [
          {
            name: 'setup',
            image: `${REGISTRY}/tools/setup:1.0`,
            imageID: `docker-pullable://${REGISTRY}/tools/setup@${fakeDigest(
              'setup',
            )}`,
            ready: true,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
        containerStatuses: [
          {
            name: 'shell',
            image: `${REGISTRY}/tools/shell:dev`,
            imageID: `docker://${fakeDigest('a locally built image config')}`,
            ready: false,
            restartCount: 4,
            state: { waiting: { reason: 'CrashLoopBackOff' } },
          },
          {
            name: 'proxy',
            image: `${REGISTRY}/tools/proxy:1.2`,
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'legacy-import',
        namespace: 'batch',
        labels,
        uid: '5b0e0f64-2d6c-4b8e-a1a4-0f3c9b1de2a7',
        creationTimestamp: '2026-02-11T16:05:00Z',
      },
      spec: {
        template: {
          metadata: { labels },
          spec: {
            initContainers: [
              { name: 'fetch-input', image: `${REGISTRY}/batch/fetcher:1.0` },
            ],
            containers: [
              { name: 'importer', image: `${REGISTRY}/batch/importer:0.9` },
            ],
            ephemeralContainers: [
              { name: 'debugger', image: `${REGISTRY}/tools/netshoot:v0.12` },
            ],
            restartPolicy: 'Never',
          },
        },
      },
      status: { active: 1 },
    },
  ];
}

/** A small deterministic random source (mulberry32), so a scenario is the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generated scenario: clusters of objects and the entities that point into them. */
export interface GeneratedScenario {
  clusters: Record<string, KubernetesObject[]>;
  entities: Entity[];
}

/**
 * Many applications over several namespaces and clusters, with labels
 * (`tier`, `env`, `team`, `rank`, `canary`) that generated selectors pick
 * from, and decoys: objects with an id one character off, in another
 * namespace, without labels, Services and ConfigMaps that match every
 * selector but hold no containers. The entities use `kubernetes-id`
 * (with and without a namespace), every selector operator and
 * conjunctions, an id that is not a valid label value, a malformed selector,
 * `backstage.io/kubernetes-cluster` (singleTenant) and `dependsOn` relations
 * to clusters (catalogRelation).
 */
export function generatedScenario(options: {
  seed: number;
  clusters: readonly string[];
  apps: number;
}): GeneratedScenario {
  const rnd = random(options.seed);
  const pick = <T>(items: readonly T[]): T =>
    items[Math.floor(rnd() * items.length)];
  const namespaces = ['ns-a', 'ns-b', 'ns-c', 'team-x'];
  const tiers = ['web', 'api', 'batch'];
  const envs = ['prod', 'staging', 'dev'];
  const teams = ['a', 'b', 'c'];
  const clusters: Record<string, KubernetesObject[]> = {};
  for (const cluster of options.clusters) clusters[cluster] = [];
  for (let i = 0; i < options.apps; i++) {
    const id = `gen-${i}`;
    const labels: Record<string, string> = {
      tier: pick(tiers),
      env: pick(envs),
      team: pick(teams),
      rank: String(Math.floor(rnd() * 20)),
      ...(rnd() < 0.2 ? { canary: 'true' } : {}),
    };
    for (const cluster of options.clusters) {
      if (rnd() < 0.3) continue; // not deployed to every cluster
      const namespace = pick(namespaces);
      clusters[cluster].push(
        ...buildAppObjects({
          name: id,
          namespace,
          images: { app: `127.0.0.1:5000/gen/${id}:${1 + (i % 7)}.0` },
          labels,
          replicas: 1 + (i % 2),
          partOf: `part-${i % 5}`,
        }),
      );
      if (rnd() < 0.3) {
        // a decoy: same app name in another namespace, an id one off
        clusters[cluster].push(
          ...buildAppObjects({
            name: id,
            kubernetesId: `${id}x`,
            namespace: namespaces.find(n => n !== namespace)!,
            images: { app: `127.0.0.1:5000/gen/decoy-${i}:1.0` },
            labels: { ...labels, decoy: 'true' },
            replicas: 1,
          }),
        );
      }
    }
  }
  for (const cluster of options.clusters) {
    clusters[cluster].push({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unlabelled', namespace: 'ns-a' },
      spec: { containers: [{ name: 'c', image: '127.0.0.1:5000/gen/bare:1' }] },
    } as KubernetesObject);
  }

  const entity = (
    name: string,
    annotations: Record<string, string>,
    relations?: Entity['relations'],
  ): Entity => ({
    ...component(name, annotations),
    ...(relations ? { relations } : {}),
  });
  const entitiesOut: Entity[] = [];
  for (let i = 0; i < options.apps; i += 2) {
    const annotations: Record<string, string> = {
      'backstage.io/kubernetes-id': `gen-${i}`,
    };
    if (i % 3 === 0)
      annotations['backstage.io/kubernetes-namespace'] = pick(namespaces);
    if (i % 5 === 0)
      annotations['backstage.io/kubernetes-cluster'] = pick(options.clusters);
    const relations =
      i % 4 === 0
        ? [
            {
              type: 'dependsOn',
              targetRef: `resource:default/${pick(options.clusters)}`,
            },
          ]
        : undefined;
    entitiesOut.push(entity(`gen-entity-${i}`, annotations, relations));
  }
  // entities named like their objects, without an id annotation: the name is the id
  entitiesOut.push(
    entity('gen-1', { 'backstage.io/kubernetes-label-selector': '' }),
  );
  const requirement = (): string => {
    switch (Math.floor(rnd() * 8)) {
      case 0:
        return `tier=${pick(tiers)}`;
      case 1:
        return `env==${pick(envs)}`;
      case 2:
        return `team!=${pick(teams)}`;
      case 3:
        return `tier in (${pick(tiers)}, ${pick(tiers)})`;
      case 4:
        return `env notin (${pick(envs)})`;
      case 5:
        return pick(['canary', 'decoy']);
      case 6:
        return `!${pick(['canary', 'decoy'])}`;
      default:
        return `rank${pick(['>', '<'])}${Math.floor(rnd() * 20)}`;
    }
  };
  for (let s = 0; s < 24; s++) {
    const selector = Array.from({ length: 1 + (s % 3) }, requirement).join(',');
    const annotations: Record<string, string> = {
      'backstage.io/kubernetes-label-selector': `app.kubernetes.io/part-of=part-${
        s % 5
      },${selector}`,
    };
    if (s % 4 === 1)
      annotations['backstage.io/kubernetes-namespace'] = pick(namespaces);
    entitiesOut.push(entity(`gen-selector-${s}`, annotations));
  }
  entitiesOut.push(
    entity('gen-wide', {
      'backstage.io/kubernetes-label-selector': 'tier in (web,api),!canary',
    }),
    // what the API server refuses: a malformed selector, an id that is no label value
    entity('gen-malformed', {
      'backstage.io/kubernetes-label-selector': 'tier in web',
    }),
    entity('gen-bad-id', { 'backstage.io/kubernetes-id': 'not a label value' }),
    entity('gen-nowhere', { 'backstage.io/kubernetes-id': 'gen-none' }),
  );
  return { clusters, entities: entitiesOut };
}
