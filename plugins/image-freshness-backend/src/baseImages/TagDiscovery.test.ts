import { ConfigReader } from '@backstage/config';
import type { JsonObject } from '@backstage/types';
import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { Duration } from 'luxon';
import { OciError } from 'oci-client';
import { createTestParts, HOUR, testClock } from './__testUtils__/parts';
import { readBaseImagesConfig } from './config';
import { newerCandidates, OciTagLister, TagDiscovery } from './TagDiscovery';

jest.setTimeout(60_000);

function policy(tracking: JsonObject) {
  return readBaseImagesConfig(
    new ConfigReader({
      imageFreshness: { baseImages: { tracking: [tracking] } },
    }),
  ).tracking[0];
}

const tags = (candidates: Array<{ tag: string }>) => candidates.map(c => c.tag);

describe('TagDiscovery (real registry)', () => {
  let registry: TestRegistry;
  let parts: Awaited<ReturnType<typeof createTestParts>>;
  const clock = testClock('2026-11-01T00:00:00Z');

  beforeAll(async () => {
    registry = await startRegistry();
    parts = await createTestParts({ registryHost: registry.host, clock });
  });
  afterAll(async () => {
    await parts?.close();
    await registry?.stop();
  });

  function discovery(
    options: { cacheDuration?: string; concurrency?: number } = {},
  ) {
    return new TagDiscovery({
      tags: new OciTagLister({
        client: { listTags: ref => parts.client.listTags(ref) },
        hosts: parts.hosts,
      }),
      resolver: parts.resolver,
      store: parts.store,
      cacheDuration: Duration.fromISO(options.cacheDuration ?? 'PT0S'),
      concurrency: options.concurrency,
      now: () => clock.now,
    });
  }

  async function push(repository: string, tagList: string[]) {
    for (const tag of tagList) {
      await pushImage(registry.url, repository, tag, { files: { tag } });
    }
  }

  /** Registry access-log lines that mention `text`. */
  const requests = (text: string) =>
    registry.logs().filter(line => line.includes(text));

  /** The registry logs a request just after answering it: wait for the count. */
  async function expectRequests(text: string, count: number) {
    for (let i = 0; i < 40 && requests(text).length < count; i++) {
      await new Promise(r => setTimeout(r, 50));
    }
    expect(requests(text)).toHaveLength(count);
  }

  it('SemVer: full versions within the constraint, allow and ignore regexes, floating tags, newest first', async () => {
    await push('sv/node', [
      '21.7.3-bookworm-slim',
      '22.11.0-bookworm-slim',
      '22.12.0-bookworm-slim',
      '22.12.0-alpine',
      '22.13.0-rc.1-bookworm-slim',
      '23.1.0-bookworm-slim',
      '22-bookworm-slim',
      'latest',
    ]);
    const repository = `${registry.host}/sv/node`;
    const caret22 = policy({
      repository,
      strategy: 'SemVer',
      constraint: '^22',
      allowTags: ['-bookworm-slim$'],
      ignoreTags: ['-rc\\.'],
    });
    const found = await discovery().discover(caret22, 'linux/amd64');
    expect(found.error).toBeUndefined();
    expect(tags(found.candidates)).toEqual([
      '22.12.0-bookworm-slim',
      '22.11.0-bookworm-slim',
    ]);
    const newer = (
      p: typeof caret22,
      tag: string,
      candidates = found.candidates,
    ) => tags(newerCandidates({ policy: p, tag, candidates }));
    expect(newer(caret22, '22.11.0-bookworm-slim')).toEqual([
      '22.12.0-bookworm-slim',
    ]);
    expect(newer(caret22, '22.12.0-bookworm-slim')).toEqual([]);
    // a floating tag already follows every 22.x release
    expect(newer(caret22, '22-bookworm-slim')).toEqual([]);
    // a tag the policy does not allow is not compared
    expect(newer(caret22, '22.11.0-alpine')).toEqual([]);
    expect(newer(caret22, 'latest')).toEqual([]);

    const anyMajor = policy({
      repository,
      strategy: 'SemVer',
      constraint: '>=22',
      allowTags: ['-bookworm-slim$'],
      ignoreTags: ['-rc\\.'],
    });
    const all = await discovery().discover(anyMajor, 'linux/amd64');
    expect(tags(all.candidates)).toEqual([
      '23.1.0-bookworm-slim',
      '22.12.0-bookworm-slim',
      '22.11.0-bookworm-slim',
    ]);
    expect(newer(anyMajor, '22-bookworm-slim', all.candidates)).toEqual([
      '23.1.0-bookworm-slim',
    ]);

    const limited = policy({
      ...caret22Settings(repository),
      discoveryLimit: 1,
    });
    expect(
      tags((await discovery().discover(limited, 'linux/amd64')).candidates),
    ).toEqual(['22.12.0-bookworm-slim']);
  });

  function caret22Settings(repository: string) {
    return {
      repository,
      strategy: 'SemVer',
      constraint: '^22',
      allowTags: ['-bookworm-slim$'],
      ignoreTags: ['-rc\\.'],
    };
  }

  it('Lexical: allowed tags greatest first; newer means after the tag in use', async () => {
    await push('lex/tool', [
      'nightly-20261101',
      'nightly-20261115',
      'nightly-20261120',
      'nightly-20261120-debug',
      'stable',
    ]);
    const lexical = policy({
      repository: `${registry.host}/lex/tool`,
      strategy: 'Lexical',
      allowTags: ['^nightly-\\d{8}'],
      ignoreTags: ['-debug$'],
    });
    const found = await discovery().discover(lexical, 'linux/amd64');
    expect(tags(found.candidates)).toEqual([
      'nightly-20261120',
      'nightly-20261115',
      'nightly-20261101',
    ]);
    expect(
      tags(
        newerCandidates({
          policy: lexical,
          tag: 'nightly-20261101',
          candidates: found.candidates,
        }),
      ),
    ).toEqual(['nightly-20261120', 'nightly-20261115']);
    expect(
      newerCandidates({
        policy: lexical,
        tag: 'stable',
        candidates: found.candidates,
      }),
    ).toEqual([]);
  });

  it('NewestBuild: reads build times of at most discoveryLimit tags, a bounded number at a time, newest build first', async () => {
    const builds: Array<[string, string]> = [
      ['build-a', '2026-11-05T00:00:00Z'],
      ['build-b', '2026-11-01T00:00:00Z'],
      ['build-c', '2026-11-03T00:00:00Z'],
      ['build-d', '2026-11-02T00:00:00Z'],
      ['build-e', '2026-11-04T00:00:00Z'],
      ['other', '2026-11-06T00:00:00Z'],
    ];
    const digests: Record<string, string> = {};
    for (const [tag, created] of builds) {
      digests[tag] = (
        await pushImage(registry.url, 'nb/app', tag, {
          created,
          files: { tag },
        })
      ).digest;
    }
    const newest = policy({
      repository: `${registry.host}/nb/app`,
      strategy: 'NewestBuild',
      allowTags: ['^build-'],
      discoveryLimit: 3,
    });
    let inFlight = 0;
    let maxInFlight = 0;
    const counting = new TagDiscovery({
      tags: new OciTagLister({ client: parts.client, hosts: parts.hosts }),
      resolver: {
        resolve: async (image, platform) => {
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            return await parts.resolver.resolve(image, platform);
          } finally {
            inFlight--;
          }
        },
      },
      store: parts.store,
      cacheDuration: Duration.fromObject({ hours: 1 }),
      concurrency: 2,
      now: () => clock.now,
    });
    const found = await counting.discover(newest, 'linux/amd64');
    expect(found.error).toBeUndefined();
    // the lexically greatest 3 allowed tags (e, d, c), ordered by build time;
    // build-a, the newest build, is beyond the bound: the price of keeping the cost bounded
    expect(found.candidates).toEqual([
      {
        tag: 'build-e',
        firstSeen: '2026-11-01T00:00:00.000Z',
        digest: digests['build-e'],
        created: '2026-11-04T00:00:00.000Z',
      },
      {
        tag: 'build-c',
        firstSeen: '2026-11-01T00:00:00.000Z',
        digest: digests['build-c'],
        created: '2026-11-03T00:00:00.000Z',
      },
      {
        tag: 'build-d',
        firstSeen: '2026-11-01T00:00:00.000Z',
        digest: digests['build-d'],
        created: '2026-11-02T00:00:00.000Z',
      },
    ]);
    expect(maxInFlight).toBe(2);
    await expectRequests('"HEAD /v2/nb/app/manifests/build-', 3);
    for (const skipped of ['build-a', 'build-b', 'other']) {
      expect(requests(`"HEAD /v2/nb/app/manifests/${skipped}`)).toEqual([]);
      expect(requests(`"GET /v2/nb/app/manifests/${skipped}`)).toEqual([]);
    }
    expect(
      tags(
        newerCandidates({
          policy: newest,
          candidates: found.candidates,
          builtOn: {
            digest: digests['build-d'],
            created: '2026-11-02T00:00:00Z',
          },
        }),
      ),
    ).toEqual(['build-e', 'build-c']);

    // Within the cache duration: no tag listing, no manifest request.
    const listed = requests('"GET /v2/nb/app/tags/list').length;
    const heads = requests('"HEAD /v2/nb/app/manifests/').length;
    clock.advance(HOUR / 2);
    expect((await counting.discover(newest, 'linux/amd64')).candidates).toEqual(
      found.candidates,
    );
    expect(requests('"GET /v2/nb/app/tags/list').length).toBe(listed);
    expect(requests('"HEAD /v2/nb/app/manifests/').length).toBe(heads);
  });

  it('Digest: lists no tags at all', async () => {
    await push('dg/base', ['1']);
    const digest = policy({
      repository: `${registry.host}/dg/base`,
      strategy: 'Digest',
    });
    expect(await discovery().discover(digest, 'linux/amd64')).toEqual({
      candidates: [],
    });
    expect(requests('"GET /v2/dg/base/tags/list')).toEqual([]);
  });

  it('remembers when each tag was first seen across discoveries', async () => {
    await push('seen/base', ['1.0.0']);
    const semver = policy({
      repository: `${registry.host}/seen/base`,
      strategy: 'SemVer',
    });
    clock.set('2026-11-10T00:00:00Z');
    await discovery().discover(semver, 'linux/amd64');
    clock.set('2026-11-11T00:00:00Z');
    await push('seen/base', ['1.1.0']);
    expect(
      (await discovery().discover(semver, 'linux/amd64')).candidates,
    ).toEqual([
      { tag: '1.1.0', firstSeen: '2026-11-11T00:00:00.000Z' },
      { tag: '1.0.0', firstSeen: '2026-11-10T00:00:00.000Z' },
    ]);
  });

  it('keeps the last good candidates beside a classified error when the registry fails, and checks the host first', async () => {
    const other = await startRegistry();
    try {
      const otherParts = await createTestParts({
        registryHost: other.host,
        clock,
      });
      try {
        await pushImage(other.url, 'gone/base', '1.0.0');
        const semver = policy({
          repository: `${other.host}/gone/base`,
          strategy: 'SemVer',
        });
        const d = new TagDiscovery({
          tags: new OciTagLister({
            client: otherParts.client,
            hosts: otherParts.hosts,
          }),
          resolver: otherParts.resolver,
          store: otherParts.store,
          cacheDuration: Duration.fromISO('PT0S'),
          now: () => clock.now,
        });
        const good = await d.discover(semver, 'linux/amd64');
        expect(tags(good.candidates)).toEqual(['1.0.0']);
        const missing = await d.discover(
          policy({
            repository: `${other.host}/never/pushed`,
            strategy: 'Lexical',
          }),
          'linux/amd64',
        );
        expect(missing.candidates).toEqual([]);
        expect((missing.error as OciError).code).toBe('NOT_FOUND');

        await other.stop();
        const failed = await d.discover(semver, 'linux/amd64');
        expect(failed.candidates).toEqual(good.candidates);
        expect(failed.error).toBeInstanceOf(OciError);
        expect((failed.error as OciError).message).toContain(other.host);
      } finally {
        await otherParts.close();
      }
    } finally {
      await other.stop();
    }
    // A loopback host not in allowedHosts is refused before any request.
    const blocked = await discovery().discover(
      policy({ repository: '127.0.0.2:5000/x/y', strategy: 'Lexical' }),
      'linux/amd64',
    );
    expect((blocked.error as OciError).code).toBe('BLOCKED_HOST');
  });
});
