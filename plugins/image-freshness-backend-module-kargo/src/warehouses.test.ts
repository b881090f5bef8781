import type {
  ImageUse,
  TrackingPolicyFacts,
} from 'backstage-plugin-image-freshness-node';
import { parseAllDocuments } from 'yaml';
import {
  DNS_LABEL,
  KARGO_INTERVAL,
  kargoImageSubscriptionValidator,
} from './__testUtils__/kargoSchema';
import { buildWarehouses, warehouseName } from './warehouses';
import { warehousesYaml } from './yaml';

const validate = kargoImageSubscriptionValidator();

/** The policies of a config with one of each kind; Digest for the rest, as the core does. */
const POLICIES: TrackingPolicyFacts[] = [
  {
    repository: 'docker.io/library/node',
    strategy: 'SemVer',
    constraint: '^22',
    allowTags: ['-bookworm-slim$'],
    ignoreTags: ['-rc', '^22\\.0\\.'],
    discoveryLimit: 20,
  },
  {
    repository: 'ghcr.io/acme/runtime',
    strategy: 'Lexical',
    allowTags: ['^nightly-\\d{8}$'],
    ignoreTags: [],
    discoveryLimit: 5,
  },
  {
    repository: 'quay.io/acme/jre',
    strategy: 'NewestBuild',
    allowTags: [],
    ignoreTags: ['^latest$'],
    discoveryLimit: 500,
  },
];
const policyFor = (repository: string): TrackingPolicyFacts =>
  POLICIES.find(p => p.repository === repository) ?? {
    repository,
    strategy: 'Digest',
    allowTags: [],
    ignoreTags: [],
    discoveryLimit: 20,
  };

const use = (
  entity: string,
  image: string,
  extra: Partial<ImageUse> = {},
): ImageUse => ({
  entityRef: `component:default/${entity}`,
  image,
  platform: 'linux/amd64',
  managed: false,
  ...extra,
});

/** A portal: two managed services on bases of every policy kind, an external image, a sidecar. */
const USES: ImageUse[] = [
  use('payments', 'registry.acme.io/payments/api:1.4.0', {
    managed: true,
    base: {
      reference: 'docker.io/library/node:22-bookworm-slim',
      tag: '22-bookworm-slim',
    },
  }),
  use('payments', 'registry.acme.io/payments/worker:1.4.0', {
    managed: true,
    base: {
      reference: 'ghcr.io/acme/runtime:nightly-20261101',
      tag: 'nightly-20261101',
    },
  }),
  use('checkout', 'registry.acme.io/checkout/web:2.0.1', {
    managed: true,
    platform: 'linux/arm64/v8',
    base: { reference: 'quay.io/acme/jre:21', tag: '21' },
  }),
  use('checkout', 'registry.acme.io/checkout/web:2.0.1', {
    managed: true,
    base: { reference: 'quay.io/acme/jre:21', tag: '21' },
  }),
  // external, and the base of nothing we know: watched by its tag's digest
  use('checkout', 'docker.io/library/redis:7.2', {
    base: { reference: 'docker.io/library/debian:bookworm', tag: 'bookworm' },
  }),
  use('storefront', 'docker.io/library/redis:7.4'),
  use('storefront', 'docker.io/library/nginx'),
];

const OPTIONS = {
  namespace: 'image-factory',
  interval: '10m0s',
  freightCreationPolicy: 'Automatic' as const,
};

function build(uses: readonly ImageUse[] = USES) {
  return buildWarehouses({ uses, policyFor, ...OPTIONS });
}

const summary = (uses: readonly ImageUse[] = USES) =>
  build(uses).warehouses.map(w => ({
    watches: w.metadata.annotations['image-freshness/repository'],
    monitors: w.metadata.annotations['image-freshness/monitors'],
    image: w.spec.subscriptions[0].image,
  }));

describe('buildWarehouses', () => {
  it('gives every monitored repository a Warehouse whose subscription Kargo 1.11 accepts, for every policy kind', () => {
    const { warehouses, skipped } = build();
    expect(skipped).toEqual([]);
    for (const w of warehouses) {
      expect(w.spec.subscriptions).toHaveLength(1);
      expect([
        w.metadata.name,
        validate(w.spec.subscriptions[0].image),
      ]).toEqual([w.metadata.name, []]);
      expect(w.metadata.name).toMatch(DNS_LABEL);
      expect(w.spec.interval).toMatch(KARGO_INTERVAL);
      expect(w).toMatchObject({
        apiVersion: 'kargo.akuity.io/v1alpha1',
        kind: 'Warehouse',
        metadata: {
          namespace: 'image-factory',
          labels: {
            'app.kubernetes.io/managed-by': 'backstage-image-freshness',
          },
        },
        spec: { interval: '10m0s', freightCreationPolicy: 'Automatic' },
      });
    }
    expect(
      summary().sort((a, b) => a.watches.localeCompare(b.watches)),
    ).toEqual([
      {
        watches: 'docker.io/library/debian:bookworm',
        monitors: 'base',
        image: {
          repoURL: 'docker.io/library/debian',
          imageSelectionStrategy: 'Digest',
          constraint: 'bookworm',
          discoveryLimit: 20,
          platform: 'linux/amd64',
        },
      },
      {
        watches: 'docker.io/library/nginx:latest',
        monitors: 'external',
        image: {
          repoURL: 'docker.io/library/nginx',
          imageSelectionStrategy: 'Digest',
          constraint: 'latest',
          discoveryLimit: 20,
          platform: 'linux/amd64',
        },
      },
      {
        watches: 'docker.io/library/node',
        monitors: 'base',
        image: {
          repoURL: 'docker.io/library/node',
          imageSelectionStrategy: 'SemVer',
          constraint: '^22',
          allowTagsRegexes: ['-bookworm-slim$'],
          ignoreTagsRegexes: ['-rc', '^22\\.0\\.'],
          discoveryLimit: 20,
          platform: 'linux/amd64',
        },
      },
      // Digest watches a tag: one Warehouse per tag in use
      {
        watches: 'docker.io/library/redis:7.2',
        monitors: 'external',
        image: expect.objectContaining({ constraint: '7.2' }),
      },
      {
        watches: 'docker.io/library/redis:7.4',
        monitors: 'external',
        image: expect.objectContaining({ constraint: '7.4' }),
      },
      {
        watches: 'ghcr.io/acme/runtime',
        monitors: 'base',
        image: {
          repoURL: 'ghcr.io/acme/runtime',
          imageSelectionStrategy: 'Lexical',
          allowTagsRegexes: ['^nightly-\\d{8}$'],
          discoveryLimit: 5,
          platform: 'linux/amd64',
        },
      },
      // one subscription per repository in a Warehouse: one per platform;
      // Kargo's platform has no variant, its discoveryLimit is at most 100
      {
        watches: 'quay.io/acme/jre',
        monitors: 'base',
        image: {
          repoURL: 'quay.io/acme/jre',
          imageSelectionStrategy: 'NewestBuild',
          ignoreTagsRegexes: ['^latest$'],
          discoveryLimit: 100,
          platform: 'linux/amd64',
        },
      },
      {
        watches: 'quay.io/acme/jre',
        monitors: 'base',
        image: expect.objectContaining({ platform: 'linux/arm64' }),
      },
    ]);
  });

  it('never gives a managed image a Warehouse: it is recorded among the dependents of its base', () => {
    const { warehouses } = build();
    expect(
      warehouses.some(w =>
        w.spec.subscriptions[0].image.repoURL.startsWith('registry.acme.io/'),
      ),
    ).toBe(false);
    const jre = warehouses.filter(
      w => w.spec.subscriptions[0].image.repoURL === 'quay.io/acme/jre',
    );
    expect(
      jre.map(w => w.metadata.annotations['image-freshness/dependents']),
    ).toEqual([
      'component:default/checkout registry.acme.io/checkout/web:2.0.1',
      'component:default/checkout registry.acme.io/checkout/web:2.0.1',
    ]);
    const node = warehouses.find(
      w => w.spec.subscriptions[0].image.repoURL === 'docker.io/library/node',
    );
    expect(node?.metadata.annotations['image-freshness/dependents']).toBe(
      'component:default/payments registry.acme.io/payments/api:1.4.0',
    );
  });

  it('follows the lifecycle: an image that becomes managed drops its Warehouse, one that loses its Dockerfile gains one', () => {
    const external = [use('storefront', 'registry.acme.io/store/web:3')];
    const managed = [
      use('storefront', 'registry.acme.io/store/web:3', {
        managed: true,
        base: { reference: 'docker.io/library/node:22.11.0', tag: '22.11.0' },
      }),
    ];
    const names = (uses: ImageUse[]) =>
      build(uses).warehouses.map(
        w => w.metadata.annotations['image-freshness/repository'],
      );
    expect(names(external)).toEqual(['registry.acme.io/store/web:3']);
    expect(names(managed)).toEqual(['docker.io/library/node']);
    expect(names(external)).toEqual(['registry.acme.io/store/web:3']);
    // built by one entity's CI, run by another: still CI's, not watched
    expect(
      names([...managed, use('checkout', 'registry.acme.io/store/web:3')]),
    ).toEqual(['docker.io/library/node']);
  });

  it('monitors a repository that is both an external image and a base in one Warehouse', () => {
    const { warehouses } = build([
      use('a', 'docker.io/library/debian:bookworm'),
      use('b', 'registry.acme.io/b:1', {
        managed: true,
        base: {
          reference: 'docker.io/library/debian:bookworm',
          tag: 'bookworm',
        },
      }),
    ]);
    expect(warehouses).toHaveLength(1);
    expect(warehouses[0].metadata.annotations).toEqual({
      'image-freshness/repository': 'docker.io/library/debian:bookworm',
      'image-freshness/monitors': 'base,external',
      'image-freshness/dependents': 'component:default/b registry.acme.io/b:1',
    });
  });

  it('skips, with the reason, what Kargo cannot watch: a Digest-tracked image pinned by digest alone, an unparsable reference', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const { warehouses, skipped } = build([
      use('a', `docker.io/library/busybox@${digest}`),
      use('b', 'Not A Reference!'),
      // a configured policy needs no tag: the repository is watched
      use('c', `docker.io/library/node@${digest}`),
    ]);
    expect(warehouses.map(w => w.spec.subscriptions[0].image.repoURL)).toEqual([
      'docker.io/library/node',
    ]);
    expect(skipped).toEqual([
      {
        reference: `docker.io/library/busybox@${digest}`,
        entityRef: 'component:default/a',
        reason: expect.stringContaining('pinned by digest alone'),
      },
      {
        reference: 'Not A Reference!',
        entityRef: 'component:default/b',
        reason: expect.any(String),
      },
    ]);
  });

  it('names Warehouses with valid, stable Kubernetes names, the same in any order of input and distinct when slugs collide', () => {
    const names = build().warehouses.map(w => w.metadata.name);
    expect(
      build([...USES].reverse()).warehouses.map(w => w.metadata.name),
    ).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain(
      warehouseName({
        repository: 'docker.io/library/node',
        platform: 'linux/amd64',
      }),
    );
    // pinned: a name is a contract with the GitOps repository
    expect(
      warehouseName({
        repository: 'docker.io/library/node',
        platform: 'linux/amd64',
      }),
    ).toBe('docker-io-library-node-8ecb660a');
    const a = warehouseName({
      repository: 'ghcr.io/a/b-c',
      platform: 'linux/amd64',
    });
    const b = warehouseName({
      repository: 'ghcr.io/a/b/c',
      platform: 'linux/amd64',
    });
    expect(a).not.toBe(b);
    const long = warehouseName({
      repository: `registry.example.com:5000/${'team/'.repeat(30)}service`,
      platform: 'linux/amd64',
      tag: `${'x'.repeat(100)}-`,
    });
    expect(long.length).toBeLessThanOrEqual(63);
    for (const name of [...names, a, b, long]) expect(name).toMatch(DNS_LABEL);
  });
});

describe('the schema check itself', () => {
  it('refuses what Kargo refuses, so a passing subscription means something', () => {
    const ok = { repoURL: 'docker.io/library/node', discoveryLimit: 20 };
    expect(validate(ok)).toEqual([]);
    expect(
      validate({ ...ok, repoURL: 'docker.io/library/node:22' }),
    ).not.toEqual([]);
    expect(validate({ ...ok, discoveryLimit: 101 })).not.toEqual([]);
    expect(validate({ ...ok, platform: 'linux/arm64/v8' })).not.toEqual([]);
    expect(validate({ ...ok, imageSelectionStrategy: 'Newest' })).not.toEqual(
      [],
    );
    expect(validate({ ...ok, allowTagRegexes: ['x'] })).not.toEqual([]);
    expect(
      'allowTags' in
        (build().warehouses[0].spec.subscriptions[0].image as object),
    ).toBe(false);
  });
});

describe('warehousesYaml', () => {
  it('writes one YAML document per Warehouse, parsed back unchanged, after a comment naming what was skipped', () => {
    const { warehouses } = build();
    const text = warehousesYaml(warehouses, [
      {
        reference: 'x@sha256:1',
        entityRef: 'component:default/a',
        reason: 'pinned\nby digest',
      },
    ]);
    expect(text.split('\n').slice(0, 2)).toEqual([
      '# Kargo Warehouses generated by Backstage Image Freshness; do not edit.',
      '# skipped x@sha256:1 (component:default/a): pinned by digest',
    ]);
    const docs = parseAllDocuments(text);
    expect(docs.map(d => d.errors)).toEqual(warehouses.map(() => []));
    expect(docs.map(d => d.toJS())).toEqual(warehouses);
    expect(warehousesYaml([])).toBe(
      '# Kargo Warehouses generated by Backstage Image Freshness; do not edit.\n',
    );
  });
});
