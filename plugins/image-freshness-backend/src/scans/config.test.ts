import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { Duration } from 'luxon';
import { readBaseImagesConfig } from '../baseImages/config';
import { readScansConfig, scanSettings } from './config';

function scans(imageFreshness: JsonObject) {
  const config = new ConfigReader({ imageFreshness });
  return readScansConfig(config, {
    baseImages: readBaseImagesConfig(config),
    baseImageInterval: Duration.fromObject({ hours: 2 }),
  }).targets;
}

describe('imageFreshness.scans', () => {
  it('reads scans, and adds each tracked base repository once, with its policy', () => {
    const node = {
      repository: 'node',
      strategy: 'SemVer',
      constraint: '^22',
      allowTags: ['-bookworm-slim$'],
    };
    const targets = scans({
      baseImages: {
        tracking: [
          node,
          // the tracker uses the first policy of a repository: this one never applies
          { repository: 'node', strategy: 'Lexical' },
          // Digest lists no tags
          { repository: 'ghcr.io/acme/base', strategy: 'Digest' },
          { repository: 'ghcr.io/acme/base', strategy: 'Lexical' },
          { repository: 'ghcr.io/acme/tools', strategy: 'NewestBuild' },
        ],
      },
      scans: [
        { repository: 'ghcr.io/acme/api', sort: 'semver', exclude: ['-rc'] },
        // the same settings as the node policy: scanned once, as the base
        {
          repository: 'docker.io/library/node',
          sort: 'semver',
          constraint: '^22',
          include: ['-bookworm-slim$'],
        },
        {
          repository: 'ghcr.io/acme/api',
          sort: 'lexical',
          limit: 5,
          interval: '10m',
          concurrency: 2,
        },
      ],
    });
    expect(
      targets.map(t => [
        t.source,
        t.policy.repository,
        t.sort,
        t.interval.toMillis(),
        t.concurrency,
      ]),
    ).toEqual([
      ['base-image', 'docker.io/library/node', 'semver', 7_200_000, 4],
      ['base-image', 'ghcr.io/acme/tools', 'newest-build', 7_200_000, 4],
      ['config', 'ghcr.io/acme/api', 'semver', 3_600_000, 4],
      ['config', 'ghcr.io/acme/api', 'lexical', 600_000, 2],
    ]);
    expect(scanSettings(targets[0])).toEqual({
      sort: 'semver',
      constraint: '^22',
      include: ['-bookworm-slim$'],
      exclude: [],
      limit: 20,
    });
    expect(targets[0].policy).toEqual(
      readBaseImagesConfig(
        new ConfigReader({
          imageFreshness: { baseImages: { tracking: [node] } },
        }),
      ).tracking[0],
    );
    expect(scanSettings(targets[3]).limit).toBe(5);
  });

  it.each([
    [
      { sort: 'newest' },
      'Invalid imageFreshness.scans[0].sort "newest": use one of semver, lexical, newest-build',
    ],
    [
      { sort: 'semver', include: ['ok', '(unclosed'] },
      'Invalid regular expression at imageFreshness.scans[0].include[1] "(unclosed"',
    ],
    [
      { sort: 'lexical', exclude: ['['] },
      'Invalid regular expression at imageFreshness.scans[0].exclude[0] "["',
    ],
    [
      { sort: 'lexical', constraint: '^1' },
      'imageFreshness.scans[0].constraint is only used by sort: semver',
    ],
    [
      { sort: 'semver', constraint: 'newest please' },
      'Invalid imageFreshness.scans[0].constraint "newest please"',
    ],
    [
      { sort: 'semver', limit: 0 },
      'Invalid imageFreshness.scans[0].limit 0: use a whole number of at least 1',
    ],
    [
      { sort: 'semver', concurrency: 1.5 },
      'Invalid imageFreshness.scans[0].concurrency 1.5',
    ],
    [
      { sort: 'semver', interval: 'soon' },
      'Invalid imageFreshness.scans[0].interval "soon"',
    ],
  ])('refuses %j, naming the key', (settings, message) => {
    expect(() =>
      scans({ scans: [{ repository: 'ghcr.io/acme/api', ...settings }] }),
    ).toThrow(message);
  });

  it('refuses a repository that is not one', () => {
    expect(() =>
      scans({ scans: [{ repository: 'ghcr.io/Acme/API', sort: 'semver' }] }),
    ).toThrow(
      /^Invalid imageFreshness.scans\[0\].repository "ghcr.io\/Acme\/API"/,
    );
  });
});
