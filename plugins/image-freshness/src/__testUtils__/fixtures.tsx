/*
 * Reports shaped exactly like the backend's answers (EntityImageReport from
 * -common), at a fixed clock, and a way to render a component as an entity
 * page would.
 */
import { Entity } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  renderInTestApp,
  TestApiProvider,
} from '@backstage/frontend-test-utils';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import { MockPermissionApi } from '@backstage/test-utils';
import type {
  BaseImageReport,
  ContainerReport,
  EntityImageReport,
  ImageFreshnessOverview,
  OverviewRow,
} from 'backstage-plugin-image-freshness-common';
import userEvent from '@testing-library/user-event';
import { Settings } from 'luxon';
import { ImageFreshnessApi, imageFreshnessApiRef } from '../api';

/** The clock every test runs at. */
export const NOW = new Date('2026-11-22T12:00:00.000Z');

/** Fixes luxon's clock (relative times, ages) at {@link NOW}. */
export function fixClock() {
  const original = Settings.now;
  beforeEach(() => {
    Settings.now = () => NOW.getTime();
  });
  afterEach(() => {
    Settings.now = original;
  });
}

/**
 * Jest's fake timers at {@link NOW}, for tests that wait on timers (polling,
 * countdowns). luxon's clock follows `Date`, so the clock, `Date` and the
 * timers move together and only as far as the test, or Testing Library's
 * waits, advance them: the same steps on any date and at any machine speed.
 * Returns the user-event instance to click with (it advances them too).
 */
export function fakeTimersAt(now: Date = NOW) {
  const user = userEvent.setup({ advanceTimers: jest.advanceTimersByTime });
  beforeEach(() => {
    jest.useFakeTimers({ now });
  });
  afterEach(() => {
    jest.clearAllTimers();
    jest.useRealTimers();
  });
  return user;
}

export function daysAgo(days: number): string {
  return new Date(NOW.getTime() - days * 86_400_000).toISOString();
}

export const digest = (seed: string) =>
  `sha256:${seed.repeat(64).slice(0, 64)}`;

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'checkout',
    namespace: 'default',
    annotations: {
      'backstage.io/kubernetes-id': 'checkout',
      'image-freshness/max-age': '30d',
    },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'guests' },
};

export const plainEntity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'newsletter', namespace: 'default' },
  spec: { type: 'service', lifecycle: 'production', owner: 'guests' },
};

const REGISTRY = 'registry.acme.test';

function container(
  partial: Partial<ContainerReport> &
    Pick<ContainerReport, 'container' | 'image'>,
): ContainerReport {
  return {
    workload: {
      cluster: 'eu-west-1',
      namespace: 'shop',
      kind: 'Deployment',
      name: 'checkout',
      jsonpath: '{.spec.template.spec.containers[0]}',
    },
    freshness: { verdict: 'unknown', reason: 'Not resolved yet' },
    ...partial,
  };
}

/** checkout:1.4.2, built 3 days ago; the us-east-1 pod still runs the previous build. */
export const APP_DIGEST = digest('a1');
export const PREVIOUS_APP_DIGEST = digest('b2');
export const REDIS_INDEX = digest('c3');
export const REDIS_AMD64 = digest('d4');

const appMetadata = {
  digest: APP_DIGEST,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  created: daysAgo(3),
  labels: {
    'org.opencontainers.image.title': 'checkout',
    'org.opencontainers.image.version': '1.4.2',
  },
  annotations: {
    'org.opencontainers.image.base.name': 'docker.io/library/node:22',
  },
  size: 48_300_000,
  platform: { os: 'linux', architecture: 'amd64' },
};

export const containers: ContainerReport[] = [
  container({
    container: 'checkout',
    image: `${REGISTRY}/shop/checkout:1.4.2`,
    metadata: appMetadata,
    freshness: {
      verdict: 'fresh',
      reason: 'Built 3 days ago, within the 30 days limit',
    },
    resolvedAt: daysAgo(0),
  }),
  container({
    container: 'checkout',
    image: `${REGISTRY}/shop/checkout:1.4.2`,
    workload: {
      cluster: 'us-east-1',
      namespace: 'shop',
      kind: 'Pod',
      name: 'checkout-7d9f-abcde',
      jsonpath: '{.spec.containers[0]}',
    },
    runningDigest: PREVIOUS_APP_DIGEST,
    metadata: appMetadata,
    freshness: {
      verdict: 'fresh',
      reason: 'Built 3 days ago, within the 30 days limit',
    },
  }),
  container({
    container: 'envoy',
    image: `${REGISTRY}/platform/envoy:v1.30.1`,
    workload: {
      cluster: 'eu-west-1',
      namespace: 'shop',
      kind: 'Pod',
      name: 'checkout-7d9f-fghij',
      jsonpath: '{.spec.containers[1]}',
    },
    runningDigest: digest('e5'),
    metadata: {
      digest: digest('e5'),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      created: daysAgo(20),
      labels: {},
      annotations: {},
      size: 120_000_000,
      platform: { os: 'linux', architecture: 'amd64' },
    },
    freshness: {
      verdict: 'aging',
      reason: 'Built 20 days ago, past half of the 30 days limit',
    },
  }),
  container({
    container: 'redis',
    image: `${REGISTRY}/platform/redis:7.2.4-alpine`,
    workload: {
      cluster: 'eu-west-1',
      namespace: 'shop',
      kind: 'StatefulSet',
      name: 'checkout-cache',
      jsonpath: '{.spec.template.spec.containers[0]}',
    },
    metadata: {
      digest: REDIS_AMD64,
      indexDigest: REDIS_INDEX,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      created: daysAgo(120),
      labels: { 'org.opencontainers.image.version': '7.2.4' },
      annotations: {},
      size: 17_400_000,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    freshness: {
      verdict: 'stale',
      reason: 'Built 120 days ago, older than the 30 days limit',
    },
  }),
  container({
    container: 'redis',
    image: `${REGISTRY}/platform/redis:7.2.4-alpine`,
    workload: {
      cluster: 'eu-west-1',
      namespace: 'shop',
      kind: 'Pod',
      name: 'checkout-cache-0',
      jsonpath: '{.spec.containers[0]}',
    },
    // multi-arch: the pod runs the index digest, which is no drift
    runningDigest: REDIS_INDEX,
    metadata: {
      digest: REDIS_AMD64,
      indexDigest: REDIS_INDEX,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      created: daysAgo(120),
      labels: {},
      annotations: {},
      size: 17_400_000,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    freshness: {
      verdict: 'stale',
      reason: 'Built 120 days ago, older than the 30 days limit',
    },
  }),
  container({
    container: 'report',
    image: `${REGISTRY}/shop/report-runner:2.3.0`,
    workload: {
      cluster: 'eu-west-1',
      namespace: 'shop',
      kind: 'CronJob',
      name: 'checkout-nightly-report',
      jsonpath: '{.spec.jobTemplate.spec.template.spec.containers[0]}',
    },
    metadata: {
      digest: digest('f6'),
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      labels: {},
      annotations: {},
      size: 950,
    },
    freshness: {
      verdict: 'unknown',
      reason: 'Build time unknown: the image records no created time',
    },
  }),
  container({
    container: 'debugger-7z2zv',
    image: `${REGISTRY}/platform/netshoot:v0.12`,
    workload: {
      cluster: 'eu-west-1',
      namespace: 'shop',
      kind: 'Pod',
      name: 'checkout-7d9f-fghij',
      jsonpath: '{.spec.ephemeralContainers[0]}',
    },
    runningDigest: digest('99'),
    error: {
      class: 'NOT_FOUND',
      message: `${REGISTRY} answered 404 to HEAD the manifest of ${REGISTRY}/platform/netshoot:v0.12`,
      advice:
        'The image or tag does not exist in the registry; check the reference or push the image.',
      at: daysAgo(0),
      firstSeen: daysAgo(2),
    },
  }),
];

export const baseImages: BaseImageReport[] = [
  {
    image: `${REGISTRY}/shop/checkout:1.4.2`,
    imageDigest: APP_DIGEST,
    managed: true,
    base: {
      name: 'docker.io/library/node:22-bookworm-slim',
      builtOnDigest: digest('11'),
      currentDigest: digest('22'),
      newestTag: '22.12.0-bookworm-slim',
      strategy: 'SemVer',
      movedAt: daysAgo(9),
      rebuildDueAt: daysAgo(2),
      source: {
        kind: 'dockerfile',
        dockerfile: {
          path: 'Dockerfile',
          url: 'https://git.acme.test/shop/checkout/blob/main/Dockerfile#L12',
          line: 12,
          text: 'FROM node:22-bookworm-slim AS runtime',
        },
      },
    },
    verdict: {
      verdict: 'rebuild-due',
      reason:
        'Base docker.io/library/node:22-bookworm-slim moved 9 days ago; the rebuild was due 2 days ago',
    },
  },
  {
    image: `${REGISTRY}/platform/envoy:v1.30.1`,
    imageDigest: digest('e5'),
    managed: false,
    base: {
      name: 'docker.io/library/alpine:3.20',
      builtOnDigest: digest('33'),
      currentDigest: digest('44'),
      strategy: 'Digest',
      movedAt: daysAgo(1),
      rebuildDueAt: new Date(NOW.getTime() + 6 * 86_400_000).toISOString(),
      source: { kind: 'annotation' },
    },
    verdict: {
      verdict: 'updated',
      reason:
        'Base docker.io/library/alpine:3.20 moved 1 day ago; due in 6 days',
    },
  },
  {
    image: `${REGISTRY}/platform/busybox:1.36.1`,
    imageDigest: digest('55'),
    managed: false,
    base: {
      name: 'docker.io/library/alpine:3.20',
      builtOnDigest: digest('44'),
      currentDigest: digest('44'),
      strategy: 'Digest',
      source: { kind: 'label' },
    },
    verdict: {
      verdict: 'current',
      reason: 'Built on the digest docker.io/library/alpine:3.20 points to now',
    },
  },
  {
    image: `${REGISTRY}/platform/redis:7.2.4-alpine`,
    imageDigest: REDIS_AMD64,
    managed: false,
    verdict: {
      verdict: 'unknown',
      reason: 'The image records no org.opencontainers.image.base.name',
    },
    error: {
      class: 'AUTHENTICATION',
      message: 'docker.io answered 401 to GET the manifest of library/redis',
      advice:
        'Add or renew credentials for this registry in imageFreshness.registries or the pull secret.',
      at: daysAgo(0),
    },
  },
];

export const report: EntityImageReport = {
  entityRef: 'component:default/checkout',
  refreshedAt: new Date(NOW.getTime() - 5 * 60_000).toISOString(),
  containers,
  baseImages,
  errors: [],
};

/** `count` containers of ages spread over 0..89 days, for the large-table test. */
export function manyContainers(count: number): ContainerReport[] {
  return Array.from({ length: count }, (_, i) => {
    const days = i % 90;
    let verdict: 'fresh' | 'aging' | 'stale' = 'fresh';
    if (days > 30) verdict = 'stale';
    else if (days > 15) verdict = 'aging';
    return container({
      container: `container-${i}`,
      image: `${REGISTRY}/fleet/service-${i % 40}:1.${i}`,
      workload: {
        cluster: `cluster-${i % 3}`,
        namespace: 'fleet',
        kind: 'Pod',
        name: `service-${i}-pod`,
      },
      runningDigest: digest((i % 97).toString(16).padStart(2, '0')),
      metadata: {
        digest: digest((i % 97).toString(16).padStart(2, '0')),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        created: daysAgo(days),
        labels: { 'org.opencontainers.image.title': `service-${i}` },
        annotations: {},
        size: 10_000_000 + i,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      freshness: { verdict, reason: `Built ${days} days ago` },
    });
  });
}

/** A ResponseError as the client throws it for a backend answer. */
export async function responseError(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): Promise<ResponseError> {
  return ResponseError.fromResponse(
    new Response(
      JSON.stringify({
        error: { name: 'Error', message },
        response: { statusCode: status },
      }),
      {
        status,
        statusText: status === 429 ? 'Too Many Requests' : 'Error',
        headers: { 'content-type': 'application/json', ...headers },
      },
    ),
  );
}

/** An API answering with the given functions (refresh accepted by default). */
export function fakeApi(
  getEntityReport: ImageFreshnessApi['getEntityReport'],
  refreshEntity: ImageFreshnessApi['refreshEntity'] = async () => {},
  getOverview: ImageFreshnessApi['getOverview'] = async () => {
    throw new Error('The overview is not part of this test');
  },
): ImageFreshnessApi {
  return { getEntityReport, refreshEntity, getOverview };
}

/** Renders `element` inside an entity page's providers, with the catalog's entity route mounted. */
export function renderForEntity(
  element: JSX.Element,
  api: ImageFreshnessApi,
  subject: Entity = entity,
  /** What the permission policy answers the user (every permission). */
  permission:
    | AuthorizeResult.ALLOW
    | AuthorizeResult.DENY = AuthorizeResult.ALLOW,
) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [imageFreshnessApiRef, api],
        [permissionApiRef, new MockPermissionApi(() => permission)],
      ]}
    >
      <EntityProvider entity={subject}>{element}</EntityProvider>
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}

/** A row of the org-wide overview, as the backend answers it. */
export function overviewRow(
  row: Partial<OverviewRow> & Pick<OverviewRow, 'entityRef' | 'image'>,
): OverviewRow {
  return {
    registry: 'registry.acme.test',
    freshness: { verdict: 'fresh', reason: 'Built 3 days ago' },
    containers: 1,
    workloads: 1,
    clusters: [],
    ...row,
  };
}

/** The org-wide overview's first page: stale and due first, counts per owner. */
export const overview: ImageFreshnessOverview = {
  items: [
    overviewRow({
      entityRef: 'component:default/checkout',
      title: 'Checkout',
      owner: 'group:default/team-payments',
      system: 'system:default/shop',
      image: 'registry.acme.test/platform/redis:7.2.4-alpine',
      tag: '7.2.4-alpine',
      digest: REDIS_INDEX,
      created: daysAgo(120),
      freshness: {
        verdict: 'stale',
        reason: 'Built 4 months ago, older than the 30 days limit',
      },
      containers: 6,
      workloads: 3,
      clusters: ['eu-west', 'us-east'],
    }),
    overviewRow({
      entityRef: 'component:default/cart',
      owner: 'group:default/team-payments',
      system: 'system:default/shop',
      image: 'registry.acme.test/shop/cart:2.0.1',
      digest: APP_DIGEST,
      created: daysAgo(10),
      base: {
        name: 'docker.io/library/node:22-bookworm-slim',
        verdict: {
          verdict: 'rebuild-due',
          reason: 'The base moved 9 days ago; the rebuild was due 2 days ago',
        },
        rebuildDueAt: daysAgo(2),
      },
    }),
    overviewRow({
      entityRef: 'component:ops/search',
      owner: 'group:ops/team-search',
      image: 'ghcr.io/acme/search:1.0',
      registry: 'ghcr.io',
      freshness: { verdict: 'unknown', reason: 'Not found in the registry' },
      error: {
        class: 'NOT_FOUND',
        message: 'ghcr.io/acme/search:1.0 was not found',
        advice: 'Check the tag in the image-freshness/images annotation',
      },
    }),
  ],
  totalItems: 60,
  offset: 0,
  limit: 25,
  totals: {
    images: 60,
    stale: 1,
    aging: 0,
    fresh: 58,
    unknown: 1,
    rebuildDue: 1,
    updated: 0,
  },
  owners: [
    {
      owner: 'group:default/team-payments',
      images: 40,
      stale: 1,
      aging: 0,
      fresh: 39,
      unknown: 0,
      rebuildDue: 1,
      updated: 0,
    },
    {
      owner: 'group:ops/team-search',
      images: 20,
      stale: 0,
      aging: 0,
      fresh: 19,
      unknown: 1,
      rebuildDue: 0,
      updated: 0,
    },
  ],
  facets: {
    owners: ['group:default/team-payments', 'group:ops/team-search'],
    systems: ['system:default/shop'],
    registries: ['ghcr.io', 'registry.acme.test'],
  },
  computedAt: NOW.toISOString(),
};

/** Renders the org-wide page with `api` and the catalog's entity route mounted. */
export function renderPage(element: JSX.Element, api: ImageFreshnessApi) {
  return renderInTestApp(
    <TestApiProvider apis={[[imageFreshnessApiRef, api]]}>
      {element}
    </TestApiProvider>,
    {
      mountedRoutes: {
        '/catalog/:namespace/:kind/:name': entityRouteRef,
      },
    },
  );
}
