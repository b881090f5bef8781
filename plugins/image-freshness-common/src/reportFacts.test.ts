import type {
  BaseImageReport,
  ContainerReport,
  EntityImageReport,
} from './api';
import { reportFacts } from './reportFacts';

const NOW = new Date('2026-11-22T12:00:00Z');

function container(
  overrides: Partial<ContainerReport> & { image: string },
): ContainerReport {
  return {
    container: 'app',
    workload: { cluster: 'eu', namespace: 'shop', kind: 'Pod', name: 'p' },
    freshness: { verdict: 'fresh', reason: 'Built 2 days ago' },
    ...overrides,
  };
}

function metadata(digest: string, created?: string) {
  return {
    digest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...(created ? { created } : {}),
    labels: {},
    annotations: {},
    size: 1000,
  };
}

function base(
  image: string,
  verdict: BaseImageReport['verdict']['verdict'],
): BaseImageReport {
  return {
    image,
    managed: true,
    verdict: { verdict, reason: verdict },
  };
}

function report(overrides: Partial<EntityImageReport>): EntityImageReport {
  return {
    entityRef: 'component:default/checkout',
    refreshedAt: '2026-11-22T11:30:00.000Z',
    containers: [],
    baseImages: [],
    errors: [],
    ...overrides,
  };
}

describe('reportFacts', () => {
  it('counts each image once, however many workloads repeat it', () => {
    const stale = {
      image: 'registry.test/shop/checkout:2.0',
      metadata: metadata('sha256:old', '2026-08-01T00:00:00Z'),
      freshness: { verdict: 'stale' as const, reason: 'Built 113 days ago' },
      vulnerabilities: {
        counts: { CRITICAL: 2, HIGH: 5 },
        total: 7,
        scannedAt: '2026-11-22T10:00:00Z',
      },
    };
    const facts = reportFacts(
      report({
        containers: [
          // a Deployment, its ReplicaSet and two Pods: one image
          container({
            ...stale,
            workload: { kind: 'Deployment', name: 'checkout' },
          }),
          container({
            ...stale,
            workload: { kind: 'ReplicaSet', name: 'checkout-1' },
          }),
          container({ ...stale, runningDigest: 'sha256:old' }),
          // this pod still runs the build before
          container({ ...stale, runningDigest: 'sha256:older' }),
          container({
            image: 'registry.test/shop/worker:1.0',
            metadata: metadata('sha256:w', '2026-11-10T12:00:00Z'),
            freshness: { verdict: 'aging', reason: 'Built 12 days ago' },
            vulnerabilities: {
              counts: { HIGH: 1 },
              total: 1,
              scannedAt: '2026-11-22T10:00:00Z',
            },
          }),
          container({
            image: 'registry.test/shop/sidecar:1.0',
            metadata: metadata('sha256:s'),
            freshness: { verdict: 'unknown', reason: 'Build time unknown' },
          }),
          container({
            image: 'registry.test/shop/missing:1.0',
            freshness: {
              verdict: 'unknown',
              reason: 'Cannot be resolved: the image or tag does not exist',
            },
            error: {
              class: 'NOT_FOUND',
              message: 'not found',
              advice: 'push it',
              at: '2026-11-22T11:30:00Z',
            },
          }),
        ],
        baseImages: [
          base('registry.test/shop/checkout:2.0', 'rebuild-due'),
          base('registry.test/shop/worker:1.0', 'updated'),
          base('registry.test/shop/sidecar:1.0', 'current'),
        ],
      }),
      NOW,
    );
    expect(facts).toEqual({
      images: 4,
      staleImages: 1,
      agingImages: 1,
      imagesWithUnknownBuildTime: 1,
      imagesWithErrors: 1,
      oldestImageAgeDays: 113,
      rebuildsDue: 1,
      basesUpdated: 1,
      criticalVulnerabilities: 2,
      highVulnerabilities: 6,
      // the sidecar has no scan; the missing image was never resolved
      imagesNotScanned: 1,
      driftingContainers: 1,
      refreshedAt: '2026-11-22T11:30:00.000Z',
    });
  });

  it('gives a fresh entity zero counts and the age of its oldest image', () => {
    const facts = reportFacts(
      report({
        containers: [
          container({
            image: 'registry.test/shop/api:3.1',
            metadata: metadata('sha256:a', '2026-11-20T13:00:00Z'),
          }),
        ],
        baseImages: [base('registry.test/shop/api:3.1', 'current')],
      }),
      NOW,
    );
    expect(facts).toMatchObject({
      images: 1,
      staleImages: 0,
      rebuildsDue: 0,
      criticalVulnerabilities: 0,
      oldestImageAgeDays: 1,
    });
  });

  it('leaves the oldest age out when no image records a build time', () => {
    const facts = reportFacts(
      report({
        containers: [
          container({
            image: 'registry.test/shop/distroless:1',
            metadata: metadata('sha256:d'),
            freshness: { verdict: 'unknown', reason: 'Build time unknown' },
          }),
        ],
      }),
      NOW,
    );
    expect(facts).not.toHaveProperty('oldestImageAgeDays');
    expect(facts?.imagesWithUnknownBuildTime).toBe(1);
  });

  it('gives no facts for a report that was never refreshed', () => {
    expect(reportFacts(report({ refreshedAt: undefined }), NOW)).toBe(
      undefined,
    );
  });
});
