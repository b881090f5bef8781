import { ConfigReader } from '@backstage/config';
import {
  readBaseImagesConfig,
  repositoryKey,
  trackingPolicyFor,
} from './config';

const read = (imageFreshness: object) =>
  readBaseImagesConfig(new ConfigReader({ imageFreshness }));

describe('readBaseImagesConfig', () => {
  it('defaults to a 7 day rebuild delay and no policies (Digest for every base)', () => {
    const config = readBaseImagesConfig(new ConfigReader({}));
    expect(config.rebuildDelay.as('days')).toBe(7);
    expect(config.tracking).toEqual([]);
    expect(trackingPolicyFor(config, repositoryKey('node:22'))).toMatchObject({
      strategy: 'Digest',
      discoveryLimit: 20,
    });
  });

  it('reads the rebuild delay as 3d, ISO 8601 or an object', () => {
    expect(read({ rebuildDelay: '3d' }).rebuildDelay.as('days')).toBe(3);
    expect(read({ rebuildDelay: 'PT36H' }).rebuildDelay.as('hours')).toBe(36);
    expect(read({ rebuildDelay: { days: 2 } }).rebuildDelay.as('days')).toBe(2);
  });

  it('normalises repositories and matches bases by them', () => {
    const config = read({
      baseImages: {
        tracking: [
          {
            repository: 'node',
            strategy: 'SemVer',
            constraint: '^22',
            allowTags: ['-bookworm-slim$'],
            ignoreTags: ['-rc'],
            discoveryLimit: 5,
          },
          { repository: '127.0.0.1:5000/base/app', strategy: 'Lexical' },
        ],
      },
    });
    // `node` in config and `library/node:22` in a FROM line are the same repository
    const node = trackingPolicyFor(config, repositoryKey('library/node:22'));
    expect(node).toMatchObject({
      repository: repositoryKey('node'),
      strategy: 'SemVer',
      constraint: '^22',
      discoveryLimit: 5,
    });
    expect(node.repository).toMatch(/^[^/]+\/library\/node$/);
    expect(node.allowTags.map(r => r.source)).toEqual(['-bookworm-slim$']);
    expect(node.ignoreTags.map(r => r.source)).toEqual(['-rc']);
    expect(trackingPolicyFor(config, '127.0.0.1:5000/base/app').strategy).toBe(
      'Lexical',
    );
    expect(
      trackingPolicyFor(config, '127.0.0.1:5000/base/other').strategy,
    ).toBe('Digest');
    // settings change the key under which discoveries are cached
    const other = read({
      baseImages: {
        tracking: [
          { repository: 'node', strategy: 'SemVer', constraint: '^23' },
        ],
      },
    });
    expect(other.tracking[0].key).not.toBe(node.key);
  });

  it.each([
    [{ rebuildDelay: 'soon' }, 'Invalid imageFreshness.rebuildDelay "soon"'],
    [
      {
        baseImages: { tracking: [{ repository: 'node', strategy: 'Newest' }] },
      },
      'Invalid imageFreshness.baseImages.tracking[0].strategy "Newest": use one of SemVer, Lexical, NewestBuild, Digest',
    ],
    [
      {
        baseImages: {
          tracking: [
            {
              repository: 'node',
              strategy: 'SemVer',
              constraint: 'twenty-two',
            },
          ],
        },
      },
      'Invalid imageFreshness.baseImages.tracking[0].constraint "twenty-two"',
    ],
    [
      {
        baseImages: {
          tracking: [
            { repository: 'node', strategy: 'Lexical', constraint: '^1' },
          ],
        },
      },
      'tracking[0].constraint is only used by the SemVer strategy, not Lexical',
    ],
    [
      {
        baseImages: {
          tracking: [
            { repository: 'node', strategy: 'Lexical', allowTags: ['(['] },
          ],
        },
      },
      'Invalid regular expression at imageFreshness.baseImages.tracking[0].allowTags[0] "(["',
    ],
    [
      {
        baseImages: { tracking: [{ repository: 'Node', strategy: 'Digest' }] },
      },
      'Invalid imageFreshness.baseImages.tracking[0].repository "Node"',
    ],
    [
      {
        baseImages: {
          tracking: [
            { repository: 'node', strategy: 'Lexical', discoveryLimit: 0 },
          ],
        },
      },
      'Invalid imageFreshness.baseImages.tracking[0].discoveryLimit 0',
    ],
  ])('rejects %j', (config, message) => {
    expect(() => read(config)).toThrow(message);
  });
});
