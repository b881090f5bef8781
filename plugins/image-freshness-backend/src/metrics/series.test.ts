import type { BaseImageReport } from 'backstage-plugin-image-freshness-common';
import {
  baseInfo,
  rebuildDue,
  redactImage,
  SnapshotEntity,
  SnapshotSeries,
  unixSeconds,
} from './series';

describe('redactImage', () => {
  it.each([
    ['ghcr.io/acme/api:1.0', 'ghcr.io/acme/api:1.0'],
    [
      `ghcr.io/acme/api@sha256:${'1'.repeat(64)}`,
      `ghcr.io/acme/api@sha256:${'1'.repeat(64)}`,
    ],
    [`nginx@sha256:${'1'.repeat(64)}`, `nginx@sha256:${'1'.repeat(64)}`],
    [
      'deploy:s3cret@registry.example.com/a/b:1',
      '***@registry.example.com/a/b:1',
    ],
    [
      'https://deploy:s3cret@registry.example.com/a/b:1',
      'https://***@registry.example.com/a/b:1',
    ],
    [
      'https://deploy:s3cret@registry.example.com',
      'https://***@registry.example.com',
    ],
    [
      `deploy:s3cret@registry.example.com/a/b@sha256:${'1'.repeat(64)}`,
      `***@registry.example.com/a/b@sha256:${'1'.repeat(64)}`,
    ],
  ])('%s → %s', (image, exported) => {
    expect(redactImage(image)).toBe(exported);
    expect(redactImage(image)).not.toContain('s3cret');
  });
});

describe('unixSeconds', () => {
  it('gives whole seconds, and nothing for missing, unparsable or pre-1970 times', () => {
    expect(unixSeconds('2026-10-01T12:00:00.900Z')).toBe(
      Date.parse('2026-10-01T12:00:00Z') / 1000,
    );
    expect(unixSeconds(undefined)).toBeUndefined();
    expect(unixSeconds('')).toBeUndefined();
    expect(unixSeconds('yesterday')).toBeUndefined();
    expect(unixSeconds('0001-01-01T00:00:00Z')).toBeUndefined();
    expect(unixSeconds('1970-01-01T00:00:00Z')).toBeUndefined();
  });
});

describe('base-image series', () => {
  const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
  const report = (
    imageDigest: string | undefined,
    verdict: BaseImageReport['verdict']['verdict'],
    base = true,
  ): BaseImageReport => ({
    image: 'ghcr.io/acme/api:1',
    imageDigest,
    managed: true,
    base: base
      ? {
          name: 'docker.io/library/node:22',
          builtOnDigest: digest(9),
          strategy: 'Digest',
          source: { kind: 'dockerfile' },
        }
      : undefined,
    verdict: { verdict, reason: 'r' },
  });
  const entity = (
    entityRef: string,
    baseImages: BaseImageReport[],
  ): SnapshotEntity => ({
    entityRef,
    info: {},
    refreshedAt: new Date(),
    containers: [],
    errors: [],
    baseImages,
  });
  const collect = (series: SnapshotSeries, entities: SnapshotEntity[]) => {
    return [
      ...series.samples(entities, {
        labelKeyAllowed: () => true,
        annotationKeyAllowed: () => true,
        value: v => v,
      }),
    ];
  };

  const entities = [
    entity('component:default/a', [
      report(digest(1), 'rebuild-due'),
      report(digest(2), 'updated'),
      report(digest(3), 'unknown', false),
      report(undefined, 'current'),
    ]),
    entity('component:default/b', [report(digest(1), 'rebuild-due')]),
  ];

  it('exports each image base once, with the digest it was built on and the source', () => {
    expect(collect(baseInfo, entities)).toEqual([
      [
        {
          digest: digest(1),
          base_name: 'docker.io/library/node:22',
          base_digest: digest(9),
          source: 'dockerfile',
        },
        1,
      ],
      [
        {
          digest: digest(2),
          base_name: 'docker.io/library/node:22',
          base_digest: digest(9),
          source: 'dockerfile',
        },
        1,
      ],
    ]);
  });

  it('exports rebuild-due per entity and image: 1 when due, 0 otherwise, nothing when unknown', () => {
    expect(collect(rebuildDue, entities)).toEqual([
      [{ entity: 'component:default/a', digest: digest(1) }, 1],
      [{ entity: 'component:default/a', digest: digest(2) }, 0],
      [{ entity: 'component:default/b', digest: digest(1) }, 1],
    ]);
  });
});
