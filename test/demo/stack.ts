/*
 * The full local stack with demo data, shared by `yarn demo` and the frontend
 * end-to-end test: a real OCI registry holding images of different ages (and
 * a base image whose tag moved after the apps were built on it), two
 * Kubernetes API stand-ins running realistic workloads of those images (one
 * cluster still runs an older build: drift), and the real backend serving
 * the built app, with a catalog of demo entities.
 */
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  guestToken,
  ROOT,
  startBackend,
  TestBackend,
} from '../harness/backend';
import { pushImage, pushIndex } from '../harness/images';
import {
  clusterConfig,
  KubernetesStandIn,
  startKubernetesStandIn,
} from '../harness/kubernetes';
import { AppImages, buildAppObjects } from '../harness/kubernetes-fixtures';
import { startRegistry, TestRegistry } from '../harness/registry';

const CLUSTER_TOKEN = 'demo-service-account-token';
const DAY_MS = 24 * 60 * 60 * 1000;

/** Options for {@link startDemoStack}. */
export interface DemoStackOptions {
  /**
   * `scheduled`: the backend's refresh task reads the images soon after start
   * and every few minutes; `manual`: it never runs while the stack is up, so
   * only the Refresh button (POST .../refresh) reads them.
   */
  refresh: 'scheduled' | 'manual';
  /** The time the image ages count from (default: now). */
  now?: Date;
  /** Progress messages. */
  log?: (message: string) => void;
  /** The backend's port (default: a free one). */
  port?: number;
}

/** One demo image as the registry holds it. */
export interface DemoImage {
  ref: string;
  /** Manifest digest the tag points at now (the index digest for multi-arch). */
  digest: string;
  created?: string;
}

/** A running demo stack. */
export interface DemoStack {
  backend: TestBackend;
  registry: TestRegistry;
  clusters: KubernetesStandIn[];
  /** The demo entities, as `kind:namespace/name`. */
  entities: string[];
  /** The checkout service's images, for assertions. */
  checkout: {
    app: DemoImage;
    /** The build us-east-1 still runs. */
    previousAppDigest: string;
    missing: string;
  };
  /** The app images' base: the digest they were built on, and where its tag points now. */
  nodeBase: { name: string; builtOnDigest: string; currentDigest: string };
  /** The backend's log so far. */
  logs(): string;
  stop(): Promise<void>;
}

/** Deterministic filler of about `megabytes` MB, so images have realistic sizes (half of it once gzipped). */
function payload(seed: string, megabytes: number): string {
  const chunks: string[] = [];
  let hash = seed;
  for (let size = 0; size < megabytes * 1_000_000; size += 64) {
    hash = createHash('sha256').update(hash).digest('hex');
    chunks.push(hash);
  }
  return chunks.join('');
}

function ago(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

function ociLabels(
  title: string,
  version: string,
  created?: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    'org.opencontainers.image.title': title,
    'org.opencontainers.image.version': version,
    'org.opencontainers.image.vendor': 'Acme Shop',
    'org.opencontainers.image.source': `https://git.example.com/acme/${title}`,
    'org.opencontainers.image.revision': `${title}-${version}`.replace(
      /[^a-z0-9]/g,
      '',
    ),
    ...(created ? { 'org.opencontainers.image.created': created } : {}),
    ...extra,
  };
}

/** Starts registry, clusters and backend, and pushes the demo images. */
export async function startDemoStack(
  options: DemoStackOptions,
): Promise<DemoStack> {
  const log = options.log ?? (() => {});
  const now = options.now ?? new Date();
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) {
      await cleanup().catch(() => {});
    }
  };
  try {
    log('Starting the OCI registry (docker-registry)…');
    const registry = await startRegistry();
    cleanups.push(() => registry.stop());
    const host = registry.host;
    const ref = (repository: string, tag: string) =>
      `${host}/${repository}:${tag}`;

    // A base image whose tag moves after the apps were built on it.
    const nodeBase = ref('library/node', '22-bookworm-slim');
    const nodeBuiltOn = await pushImage(
      registry.url,
      'library/node',
      '22-bookworm-slim',
      {
        created: ago(now, 48),
        labels: ociLabels('node', '22.11.0', ago(now, 48)),
        files: { 'usr/local/bin/node': 'node 22.11.0\n' },
      },
    );
    const alpineBase = ref('library/alpine', '3.20');
    const alpine = await pushImage(registry.url, 'library/alpine', '3.20', {
      created: ago(now, 25),
      labels: ociLabels('alpine', '3.20.3', ago(now, 25)),
      files: { 'etc/alpine-release': '3.20.3\n' },
    });
    const onNode = {
      'org.opencontainers.image.base.name': nodeBase,
      'org.opencontainers.image.base.digest': nodeBuiltOn.digest,
    };
    const onAlpine = {
      'org.opencontainers.image.base.name': alpineBase,
      'org.opencontainers.image.base.digest': alpine.digest,
    };

    const images: Record<string, DemoImage> = {};
    const push = async (
      key: string,
      repository: string,
      tag: string,
      days: number | undefined,
      megabytes: number,
      extra: {
        annotations?: Record<string, string>;
        labels?: Record<string, string>;
      } = {},
    ) => {
      const created = days === undefined ? undefined : ago(now, days);
      const pushed = await pushImage(registry.url, repository, tag, {
        created,
        labels: {
          ...ociLabels(repository.split('/').pop()!, tag, created),
          ...extra.labels,
        },
        annotations: extra.annotations,
        files: {
          [`app/${repository.split('/').pop()}`]: payload(
            `${repository}:${tag}:${days}`,
            megabytes,
          ),
        },
      });
      images[key] = {
        ref: ref(repository, tag),
        digest: pushed.digest,
        created,
      };
    };

    log('Pushing demo images of different ages…');
    // checkout 1.4.2 was first built 41 days ago, then rebuilt under the same tag
    await push('checkoutPrevious', 'shop/checkout', '1.4.2', 41, 9, {
      annotations: onNode,
    });
    const previousAppDigest = images.checkoutPrevious.digest;
    await push('checkout', 'shop/checkout', '1.4.2', 3, 9, {
      annotations: onNode,
    });
    await push('payments', 'shop/payments', '3.0.1', 1, 7, {
      annotations: onNode,
    });
    await push('reconcile', 'shop/payments-reconcile', '1.2.0', 33, 5, {
      annotations: onNode,
    });
    await push('envoy', 'platform/envoy', 'v1.30.1', 20, 16, {
      annotations: onAlpine,
    });
    await push('busybox', 'platform/busybox', '1.36.1', 45, 2, {
      labels: onAlpine,
    });
    await push('migrate', 'platform/migrate', 'v4.17.0', 9, 6, {
      annotations: onAlpine,
    });
    await push('fluentBit', 'platform/fluent-bit', '3.0.4', 18, 12);
    await push('reportRunner', 'shop/report-runner', '2.3.0', undefined, 4);
    await push('storefront', 'shop/storefront', '5.2.0', 2, 10, {
      annotations: onNode,
    });
    await push('storefrontSsr', 'shop/storefront-ssr', '5.1.7', 26, 14, {
      labels: onNode,
    });
    // redis: a multi-arch index; pods run it under the index digest
    const redisCreated = ago(now, 120);
    const redis = await pushIndex(
      registry.url,
      'platform/redis',
      '7.2.4-alpine',
      [
        {
          created: redisCreated,
          labels: ociLabels('redis', '7.2.4', redisCreated),
          files: { 'usr/local/bin/redis-server': payload('redis-amd64', 8) },
          platform: { os: 'linux', architecture: 'amd64' },
        },
        {
          created: redisCreated,
          labels: ociLabels('redis', '7.2.4', redisCreated),
          files: { 'usr/local/bin/redis-server': payload('redis-arm64', 8) },
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
      { attestation: true },
    );
    images.redis = {
      ref: ref('platform/redis', '7.2.4-alpine'),
      digest: redis.digest,
      created: redisCreated,
    };
    // never pushed: the registry answers 404
    const missing = ref('platform/netshoot', 'v0.12');

    // The base tag moves on: images built on the old digest are now behind.
    const nodeMoved = await pushImage(
      registry.url,
      'library/node',
      '22-bookworm-slim',
      {
        created: ago(now, 12),
        labels: ociLabels('node', '22.12.0', ago(now, 12)),
        files: { 'usr/local/bin/node': 'node 22.12.0\n' },
      },
    );

    const platformImages = (app: string, job: string): AppImages => ({
      app,
      sidecar: images.envoy.ref,
      init: images.busybox.ref,
      migrate: images.migrate.ref,
      cache: images.redis.ref,
      agent: images.fluentBit.ref,
      job,
      debug: missing,
    });
    const runningNow = Object.fromEntries(
      Object.values(images).map(i => [i.ref, i.digest]),
    );

    log('Starting the Kubernetes API stand-ins (eu-west-1, us-east-1)…');
    const euWest = await startKubernetesStandIn({
      token: CLUSTER_TOKEN,
      objects: [
        ...buildAppObjects({
          name: 'checkout',
          namespace: 'shop',
          images: platformImages(images.checkout.ref, images.reportRunner.ref),
          running: runningNow,
          createdAt: ago(now, 3),
        }),
        ...buildAppObjects({
          name: 'payments',
          namespace: 'shop',
          images: platformImages(images.payments.ref, images.reconcile.ref),
          running: runningNow,
          replicas: 3,
          createdAt: ago(now, 1),
        }),
      ],
    });
    cleanups.push(() => euWest.stop());
    const usEast = await startKubernetesStandIn({
      token: CLUSTER_TOKEN,
      objects: buildAppObjects({
        name: 'checkout',
        namespace: 'shop',
        images: platformImages(images.checkout.ref, images.reportRunner.ref),
        // this cluster was not rolled: its pods still run the previous build
        running: { ...runningNow, [images.checkout.ref]: previousAppDigest },
        replicas: 1,
        createdAt: ago(now, 41),
        nodeName: 'ip-10-1-4-17.us-east-1.compute.internal',
      }),
    });
    cleanups.push(() => usEast.stop());

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-demo-'));
    cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    const catalogFile = path.join(dir, 'demo-entities.yaml');
    const component = (
      name: string,
      description: string,
      annotations: Record<string, string>,
    ) => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name, description, annotations },
      spec: {
        type: 'service',
        lifecycle: 'production',
        owner: 'guests',
        system: 'shop',
      },
    });
    const entities = [
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'System',
        metadata: { name: 'shop', description: 'The demo web shop' },
        spec: { owner: 'guests' },
      },
      component(
        'checkout',
        'Checkout service, deployed to eu-west-1 and us-east-1',
        {
          'backstage.io/kubernetes-id': 'checkout',
          'image-freshness/max-age': '30d',
        },
      ),
      component(
        'payments',
        'Payments service, deployed to eu-west-1; rebuilt as soon as a base moves',
        {
          'backstage.io/kubernetes-id': 'payments',
          'image-freshness/rebuild-delay': '0d',
        },
      ),
      component(
        'storefront',
        'Storefront, its images declared in an annotation, with a 14 day limit',
        {
          'image-freshness/images': `${images.storefront.ref}, ${images.storefrontSsr.ref}`,
          'image-freshness/max-age': '14d',
        },
      ),
      component('newsletter', 'A service with no image annotations', {}),
    ];
    fs.writeFileSync(
      catalogFile,
      entities.map(e => JSON.stringify(e, null, 2)).join('\n---\n'),
    );

    log('Starting the backend (catalog, Kubernetes, auth, image-freshness)…');
    const backend = await startBackend({
      port: options.port,
      config: () => ({
        catalog: {
          locations: [
            { type: 'file', target: catalogFile },
            {
              type: 'file',
              target: path.join(ROOT, 'examples/org.yaml'),
              rules: [{ allow: ['User', 'Group'] }],
            },
          ],
        },
        kubernetes: {
          serviceLocatorMethod: { type: 'multiTenant' },
          clusterLocatorMethods: [
            {
              type: 'config',
              clusters: [
                clusterConfig('eu-west-1', euWest, CLUSTER_TOKEN),
                clusterConfig('us-east-1', usEast, CLUSTER_TOKEN),
              ],
            },
          ],
        },
        imageFreshness: {
          allowedHosts: [host],
          schedule:
            options.refresh === 'scheduled'
              ? {
                  frequency: { minutes: 5 },
                  timeout: { minutes: 2 },
                  initialDelay: { seconds: 5 },
                }
              : {
                  frequency: { hours: 24 },
                  timeout: { minutes: 2 },
                  initialDelay: { hours: 12 },
                },
        },
      }),
    });
    cleanups.push(() => backend.stop());

    return {
      backend,
      registry,
      clusters: [euWest, usEast],
      entities: [
        'component:default/checkout',
        'component:default/payments',
        'component:default/storefront',
      ],
      checkout: { app: images.checkout, previousAppDigest, missing },
      nodeBase: {
        name: nodeBase,
        builtOnDigest: nodeBuiltOn.digest,
        currentDigest: nodeMoved.digest,
      },
      logs: () => backend.logs(),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** GETs an entity's report with a guest token; undefined while the catalog does not know it yet. */
export async function fetchReport(
  backendUrl: string,
  entityRef: string,
  token?: string,
): Promise<EntityImageReport | undefined> {
  const [kind, rest] = entityRef.split(':');
  const [namespace, name] = rest.split('/');
  const res = await fetch(
    `${backendUrl}/api/image-freshness/entities/${kind}/${namespace}/${name}`,
    {
      headers: {
        authorization: `Bearer ${token ?? (await guestToken(backendUrl))}`,
      },
    },
  );
  if (res.status === 404) {
    await res.arrayBuffer();
    return undefined;
  }
  if (!res.ok) {
    throw new Error(
      `GET report ${entityRef}: ${res.status} ${await res.text()}`,
    );
  }
  return res.json();
}

/** Waits until the catalog serves every entity (the report route answers 200). */
export async function waitForEntities(
  backendUrl: string,
  entityRefs: string[],
  timeoutMs = 90_000,
): Promise<void> {
  const token = await guestToken(backendUrl);
  const deadline = Date.now() + timeoutMs;
  for (const entityRef of entityRefs) {
    while (!(await fetchReport(backendUrl, entityRef, token))) {
      if (Date.now() > deadline) {
        throw new Error(`The catalog did not serve ${entityRef} in time`);
      }
      await new Promise(r => setTimeout(r, 500));
    }
  }
}

/** Asks the backend to refresh an entity now (POST .../refresh); returns the status (202, or 429 within a minute of the last). */
export async function requestRefresh(
  backendUrl: string,
  entityRef: string,
  token?: string,
): Promise<number> {
  const [kind, rest] = entityRef.split(':');
  const [namespace, name] = rest.split('/');
  const res = await fetch(
    `${backendUrl}/api/image-freshness/entities/${kind}/${namespace}/${name}/refresh`,
    {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token ?? (await guestToken(backendUrl))}`,
      },
    },
  );
  await res.arrayBuffer();
  return res.status;
}
