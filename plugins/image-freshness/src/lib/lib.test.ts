import { containers, entity, plainEntity } from '../__testUtils__/fixtures';
import {
  driftOf,
  formatBytes,
  formatPlatform,
  shortDigest,
  splitImage,
} from './format';
import { distinctImages, summarizeContainers } from './summary';
import { freshnessThreshold } from './threshold';

describe('format', () => {
  it('shortens digests and writes sizes and platforms for people', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
    expect(shortDigest(undefined)).toBe('');
    expect(formatBytes(950)).toBe('950 B');
    expect(formatBytes(48_300_000)).toBe('48.3 MB');
    expect(formatBytes(1_234_000_000)).toBe('1.2 GB');
    expect(formatBytes(undefined)).toBe('');
    expect(
      formatPlatform({ os: 'linux', architecture: 'arm64', variant: 'v8' }),
    ).toBe('linux/arm64/v8');
  });

  it('splits references with registry ports, tags and digests', () => {
    expect(splitImage('127.0.0.1:5000/shop/api:1.4')).toEqual({
      repository: '127.0.0.1:5000/shop/api',
      tag: '1.4',
      digest: undefined,
    });
    expect(splitImage('127.0.0.1:5000/shop/api@sha256:abc')).toEqual({
      repository: '127.0.0.1:5000/shop/api',
      digest: 'sha256:abc',
    });
  });

  it('calls a pod running its index digest in sync, another digest drift', () => {
    const metadata = { digest: 'sha256:child', indexDigest: 'sha256:index' };
    expect(driftOf('sha256:index', metadata)).toBe('in-sync');
    expect(driftOf('sha256:child', metadata)).toBe('in-sync');
    expect(driftOf('sha256:older', metadata)).toBe('drift');
    expect(driftOf(undefined, metadata)).toBe('not-reported');
    expect(driftOf('sha256:older', undefined)).toBe('unknown');
  });
});

describe('summary', () => {
  it('counts verdicts, errors and drift, and finds the oldest image', () => {
    expect(summarizeContainers(containers)).toEqual({
      containers: 7,
      counts: { fresh: 2, aging: 1, stale: 2, unknown: 2 },
      errors: 1,
      drift: 1,
      oldest: {
        image: 'registry.acme.test/platform/redis:7.2.4-alpine',
        created: '2026-07-25T12:00:00.000Z',
        verdict: 'stale',
      },
    });
    expect(summarizeContainers([]).oldest).toBeUndefined();
  });

  it('groups containers by image and digest', () => {
    const images = distinctImages(containers);
    expect(images.map(i => [i.image.split('/').pop(), i.containers])).toEqual([
      ['checkout:1.4.2', 2],
      ['envoy:v1.30.1', 1],
      ['redis:7.2.4-alpine', 2],
      ['report-runner:2.3.0', 1],
      ['netshoot:v0.12', 1],
    ]);
  });
});

describe('freshnessThreshold', () => {
  it('takes the limit the backend judged against, and says where it came from', () => {
    const fromConfig = freshnessThreshold(plainEntity, {
      maxAge: { duration: 'P14D', source: 'config' },
    });
    expect([fromConfig.source, fromConfig.maxAge.as('days')]).toEqual([
      'backend',
      14,
    ]);
    const fromAnnotation = freshnessThreshold(entity, {
      maxAge: { duration: 'PT12H', source: 'annotation' },
    });
    expect([fromAnnotation.source, fromAnnotation.maxAge.as('hours')]).toEqual([
      'annotation',
      12,
    ]);
  });

  it("else the entity's annotation, when the report has no limit", () => {
    const t = freshnessThreshold(entity, {});
    expect([t.source, t.maxAge.as('days')]).toEqual(['annotation', 30]);
  });

  it('else the documented default of 30 days', () => {
    const t = freshnessThreshold(plainEntity, undefined);
    expect([t.source, t.maxAge.as('days')]).toEqual(['default', 30]);
  });
});
