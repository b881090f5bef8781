import {
  deleteManifest,
  pushImage,
  pushIndex,
} from '@internal/test/harness/images';
import { startFaultProxy } from '@internal/test/harness/fault-proxy';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { skopeoInspect } from '@internal/test/harness/skopeo';
import { skopeoCopy } from '@internal/test/harness/skopeo-copy';
import { OciClient } from '../client';
import { OciError } from '../errors';
import { MEDIA_TYPES } from '../manifest';
import { parsePlatform } from '../platform';
import { lines, logMark, requestsSince } from '../testing/registryLog';

jest.setTimeout(60_000);

/** What skopeo says about an image, in the client's terms. */
async function skopeoFacts(reference: string, arch?: string) {
  const inspect = await skopeoInspect(reference, { arch });
  const raw = await skopeoInspect(reference, { raw: true });
  let manifest = raw;
  let digest = inspect.Digest;
  if (raw.manifests) {
    const entry = raw.manifests.find(
      (m: { platform?: { architecture: string } }) =>
        m.platform?.architecture === (arch ?? 'amd64'),
    );
    digest = entry.digest;
    manifest = await skopeoInspect(
      `${reference.replace(/:[^:/]+$/, '')}@${digest}`,
      {
        raw: true,
      },
    );
  }
  return {
    reportedDigest: inspect.Digest as string,
    digest: digest as string,
    created: inspect.Created as string,
    labels: (inspect.Labels ?? {}) as Record<string, string>,
    architecture: inspect.Architecture as string,
    size:
      manifest.config.size +
      manifest.layers.reduce(
        (sum: number, l: { size: number }) => sum + l.size,
        0,
      ),
    mediaType: manifest.mediaType as string,
  };
}

describe('reading from a real registry', () => {
  let registry: TestRegistry;
  let client: OciClient;

  beforeAll(async () => {
    registry = await startRegistry();
    client = new OciClient();
    await pushImage(registry.url, 'oci/app', 'v1', {
      created: '2024-05-01T10:00:00Z',
      labels: { 'org.opencontainers.image.version': '1.2.3', team: 'core' },
      annotations: { 'org.opencontainers.image.base.name': 'debian:12' },
    });
    await pushImage(registry.url, 'oci/annotated', 'v1', {
      created: '2024-01-01T00:00:00Z',
      annotations: {
        'org.opencontainers.image.created': '2024-06-01T00:00:00Z',
      },
    });
    await pushIndex(
      registry.url,
      'oci/multi',
      'v1',
      [
        { created: '2024-03-01T00:00:00Z', labels: { arch: 'amd64' } },
        {
          created: '2024-03-02T00:00:00Z',
          labels: { arch: 'arm64' },
          files: { 'arm.txt': 'arm\n' },
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
      {
        annotations: {
          'org.opencontainers.image.created': '2024-07-01T00:00:00Z',
        },
        attestation: true,
      },
    );
    await pushIndex(
      registry.url,
      'oci/armonly',
      'v1',
      [
        {
          created: '2024-02-02T00:00:00Z',
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
      { attestation: true },
    );
    await skopeoCopy(
      `${registry.host}/oci/app:v1`,
      `${registry.host}/docker/app:v1`,
      {
        format: 'v2s2',
      },
    );
    // skopeo cannot convert attestation manifests, so the Docker manifest list is made from a plain index
    await pushIndex(registry.url, 'oci/multi-plain', 'v1', [
      { created: '2024-04-01T00:00:00Z', labels: { arch: 'amd64' } },
      {
        created: '2024-04-02T00:00:00Z',
        labels: { arch: 'arm64' },
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
      },
    ]);
    await skopeoCopy(
      `${registry.host}/oci/multi-plain:v1`,
      `${registry.host}/docker/multi:v1`,
      {
        format: 'v2s2',
        all: true,
      },
    );
    await client.headManifest(`${registry.host}/oci/app:v1`); // the client's one ping
  });
  afterAll(() => registry?.stop());

  it('learns the auth scheme with one GET /v2/ shared by concurrent first requests', async () => {
    const fresh = new OciClient();
    const mark = await logMark(registry);
    await Promise.all(
      ['oci/app:v1', 'docker/app:v1', 'oci/multi:v1'].map(image =>
        fresh.headManifest(`${registry.host}/${image}`),
      ),
    );
    const requests = lines(await requestsSince(registry, mark));
    expect(requests.filter(line => line.startsWith('GET /v2/ '))).toEqual([
      'GET /v2/ 200',
    ]);
    expect(requests.filter(line => line.startsWith('HEAD '))).toHaveLength(3);
  });

  it.each([
    ['oci/app:v1', MEDIA_TYPES.ociManifest],
    ['docker/app:v1', MEDIA_TYPES.dockerManifest],
    ['oci/multi:v1', MEDIA_TYPES.ociIndex],
    ['docker/multi:v1', MEDIA_TYPES.dockerManifestList],
  ])(
    'HEADs %s for the digest skopeo reports, with one HEAD',
    async (image, mediaType) => {
      const ref = `${registry.host}/${image}`;
      const mark = await logMark(registry);
      const head = await client.headManifest(ref);
      const requests = await requestsSince(registry, mark);

      expect(head.digest).toBe((await skopeoInspect(ref)).Digest);
      expect(head.mediaType).toBe(mediaType);
      const [repo, tag] = image.split(':');
      expect(lines(requests)).toEqual([
        `HEAD /v2/${repo}/manifests/${tag} 200`,
      ]);
    },
  );

  it.each([
    ['oci/app:v1', undefined, MEDIA_TYPES.ociManifest],
    ['docker/app:v1', undefined, MEDIA_TYPES.dockerManifest],
    ['oci/multi:v1', 'arm64', MEDIA_TYPES.ociManifest],
    ['oci/multi:v1', 'amd64', MEDIA_TYPES.ociManifest],
    ['docker/multi:v1', 'arm64', MEDIA_TYPES.dockerManifest],
    ['docker/multi:v1', undefined, MEDIA_TYPES.dockerManifest],
  ])(
    'inspects %s (%s) with the digest, created, labels and size skopeo reports',
    async (image, arch, mediaType) => {
      const ref = `${registry.host}/${image}`;
      const facts = await skopeoFacts(ref, arch);
      const details = await client.inspect(ref, {
        platform: arch ? parsePlatform(`linux/${arch}`) : undefined,
      });

      expect(details.digest).toBe(facts.digest);
      expect(details.indexDigest).toBe(
        facts.digest === facts.reportedDigest
          ? undefined
          : facts.reportedDigest,
      );
      expect(details.labels).toEqual(facts.labels);
      expect(details.size).toBe(facts.size);
      expect(details.mediaType).toBe(mediaType);
      expect(details.mediaType).toBe(facts.mediaType);
      expect(details.platform?.architecture).toBe(facts.architecture);
      // skopeo reports the config's created; oci/multi carries an index annotation that wins
      expect(details.created).toBe(
        image === 'oci/multi:v1'
          ? '2024-07-01T00:00:00.000Z'
          : new Date(facts.created).toISOString(),
      );
    },
  );

  it('reads an index as index, chosen manifest and config: three GETs, attestations skipped', async () => {
    const ref = `${registry.host}/oci/multi:v1`;
    const raw = await skopeoInspect(ref, { raw: true });
    const mark = await logMark(registry);
    const details = await client.inspect(ref, {
      platform: parsePlatform('linux/arm64'),
    });
    const requests = await requestsSince(registry, mark);

    const arm = raw.manifests[1];
    expect(arm.platform).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
    expect(details.digest).toBe(arm.digest);
    expect(details.platform).toEqual({
      os: 'linux',
      architecture: 'arm64',
      variant: 'v8',
    });
    expect(details.annotations).toEqual({
      'org.opencontainers.image.created': '2024-07-01T00:00:00Z',
    });
    expect(details.created).toBe('2024-07-01T00:00:00.000Z');
    expect(lines(requests)).toEqual([
      'GET /v2/oci/multi/manifests/v1 200',
      `GET /v2/oci/multi/manifests/${arm.digest} 200`,
      `GET /v2/oci/multi/blobs/${details.configDigest} 200`,
    ]);
  });

  it('falls back to linux/amd64, then to the first entry that is not an attestation', async () => {
    const multi = await client.inspect(`${registry.host}/oci/multi:v1`, {
      platform: parsePlatform('linux/s390x'),
    });
    expect(multi.labels).toEqual({ arch: 'amd64' });

    const armOnly = await client.inspect(`${registry.host}/oci/armonly:v1`);
    const raw = await skopeoInspect(`${registry.host}/oci/armonly:v1`, {
      raw: true,
    });
    expect(raw.manifests[1].platform).toEqual({
      os: 'unknown',
      architecture: 'unknown',
    });
    expect(armOnly.digest).toBe(raw.manifests[0].digest);
    expect(armOnly.created).toBe('2024-02-02T00:00:00.000Z');
  });

  it('takes created from the manifest annotation before the config', async () => {
    const details = await client.inspect(`${registry.host}/oci/annotated:v1`);
    const config = await skopeoInspect(`${registry.host}/oci/annotated:v1`, {
      config: true,
    });
    expect(config.created).toBe('2024-01-01T00:00:00Z');
    expect(details.created).toBe('2024-06-01T00:00:00.000Z');
  });

  it('shares identical requests in flight: ten HEADs and five inspects cost one of each', async () => {
    const ref = `${registry.host}/oci/app:v1`;
    const mark = await logMark(registry);
    const heads = await Promise.all(
      Array.from({ length: 10 }, () => client.headManifest(ref)),
    );
    const details = await Promise.all(
      Array.from({ length: 5 }, () => client.inspect(ref)),
    );
    const requests = await requestsSince(registry, mark);

    expect(new Set(heads.map(h => h.digest)).size).toBe(1);
    expect(new Set(details.map(d => d.digest))).toEqual(
      new Set([heads[0].digest]),
    );
    expect(lines(requests)).toEqual([
      'HEAD /v2/oci/app/manifests/v1 200',
      'GET /v2/oci/app/manifests/v1 200',
      `GET /v2/oci/app/blobs/${details[0].configDigest} 200`,
    ]);
  });

  it('fetches a manifest by digest and a layer blob, both verified', async () => {
    const head = await client.headManifest(`${registry.host}/docker/app:v1`);
    const fetched = await client.getManifest(
      `${registry.host}/docker/app@${head.digest}`,
    );
    expect(fetched.digest).toBe(head.digest);
    expect(fetched.mediaType).toBe(MEDIA_TYPES.dockerManifest);
    const layer = (
      fetched.body as { layers: Array<{ digest: string; size: number }> }
    ).layers[0];
    const blob = await client.getBlob(
      `${registry.host}/docker/app`,
      layer.digest,
    );
    expect(blob.length).toBe(layer.size);
    expect(blob.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b])); // gzip
  });

  it('names the image and the registry code when a tag or repository does not exist', async () => {
    const error: OciError = await client
      .inspect(`${registry.host}/oci/app:nope`)
      .catch(e => e);
    expect(error).toBeInstanceOf(OciError);
    expect(error).toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
      registryCode: 'MANIFEST_UNKNOWN',
      host: registry.host,
    });
    expect(error.message).toBe(
      `${registry.host} answered 404 (MANIFEST_UNKNOWN: manifest unknown) to GET the manifest of ${registry.host}/oci/app:nope; check the repository and tag, or push the image.`,
    );
    await expect(
      client.listTags(`${registry.host}/no/such`),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      registryCode: 'NAME_UNKNOWN',
    });
  });

  it('lists tags, and an empty list once every tagged manifest is deleted (tags: null)', async () => {
    const first = await pushImage(registry.url, 'tags/app', 'a', {
      labels: { n: '1' },
    });
    await pushImage(registry.url, 'tags/app', 'b', { labels: { n: '1' } });
    await pushImage(registry.url, 'tags/app', 'c', { labels: { n: '2' } });
    expect((await client.listTags(`${registry.host}/tags/app`)).sort()).toEqual(
      ['a', 'b', 'c'],
    );

    const second = await client.headManifest(`${registry.host}/tags/app:c`);
    await deleteManifest(registry.url, 'tags/app', first.digest);
    await deleteManifest(registry.url, 'tags/app', second.digest);
    const raw = await fetch(`${registry.url}/v2/tags/app/tags/list`).then(r =>
      r.json(),
    );
    expect(raw).toEqual({ name: 'tags/app', tags: null });
    expect(await client.listTags(`${registry.host}/tags/app`)).toEqual([]);
  });

  it('lists every repository through _catalog pages linked with a relative Link', async () => {
    const mark = await logMark(registry);
    const repositories = await client.listRepositories(registry.host, {
      pageSize: 2,
    });
    const requests = await requestsSince(registry, mark);

    expect(repositories).toEqual(
      expect.arrayContaining([
        'docker/app',
        'docker/multi',
        'oci/app',
        'oci/multi',
      ]),
    );
    const raw = await fetch(`${registry.url}/v2/_catalog?n=1000`).then(r =>
      r.json(),
    );
    expect([...repositories].sort()).toEqual([...raw.repositories].sort());
    expect(requests.length).toBe(Math.ceil(repositories.length / 2));
    expect(requests[0].path).toBe('/v2/_catalog?n=2');
    expect(requests[1].path).toMatch(/^\/v2\/_catalog\?last=.+&n=2$/);
  });

  describe('tag pages from servers that paginate', () => {
    const tags = Array.from({ length: 7 }, (_, i) => `t${i}`);
    beforeAll(async () => {
      for (const tag of tags) {
        await pushImage(registry.url, 'paged/app', tag);
      }
    });

    /** A proxy that pages tags/list itself, the way registries with tag pagination do. */
    async function pagingProxy(options: {
      absolute: boolean;
      ignoreN?: boolean;
    }) {
      const proxy = await startFaultProxy(registry.url);
      proxy.addFault({
        path: /^\/v2\/paged\/app\/tags\/list/,
        fault: {
          respond: async ctx => {
            const upstream = await ctx.forward({
              path: '/v2/paged/app/tags/list',
            });
            const all: string[] = JSON.parse(String(upstream.body)).tags.sort();
            const query = new URL(ctx.path, 'http://x').searchParams;
            const n = options.ignoreN ? 3 : Number(query.get('n') ?? 100);
            const last = query.get('last');
            const start = last ? all.indexOf(last) + 1 : 0;
            const page = all.slice(start, start + n);
            const headers: Record<string, string> = {
              'content-type': 'application/json',
            };
            if (start + n < all.length) {
              const next = `/v2/paged/app/tags/list?n=${n}&last=${
                page[page.length - 1]
              }`;
              headers.link = `<${
                options.absolute ? proxy.url : ''
              }${next}>; rel="next"`;
            }
            return {
              status: 200,
              headers,
              body: JSON.stringify({ name: 'paged/app', tags: page }),
            };
          },
        },
      });
      return proxy;
    }

    it.each([
      ['relative', false],
      ['absolute', true],
    ])('follows %s Link headers across pages', async (_, absolute) => {
      const proxy = await pagingProxy({ absolute });
      try {
        const listed = await client.listTags(`${proxy.host}/paged/app`, {
          pageSize: 2,
        });
        expect(listed).toEqual(tags);
        expect(proxy.requests().map(r => r.path)).toEqual([
          '/v2/',
          '/v2/paged/app/tags/list?n=2',
          '/v2/paged/app/tags/list?n=2&last=t1',
          '/v2/paged/app/tags/list?n=2&last=t3',
          '/v2/paged/app/tags/list?n=2&last=t5',
        ]);
      } finally {
        await proxy.stop();
      }
    });

    it('tolerates a server that ignores n', async () => {
      const proxy = await pagingProxy({ absolute: false, ignoreN: true });
      try {
        expect(
          await client.listTags(`${proxy.host}/paged/app`, { pageSize: 2 }),
        ).toEqual(tags);
        expect(proxy.requests()).toHaveLength(4); // ping + pages of 3, 3, 1
      } finally {
        await proxy.stop();
      }
    });

    it('stops when a server keeps linking to pages with nothing new', async () => {
      const proxy = await startFaultProxy(registry.url);
      proxy.addFault({
        path: '/tags/list',
        fault: {
          setHeaders: {
            link: '</v2/paged/app/tags/list?last=t0&n=100>; rel="next"',
          },
        },
      });
      try {
        expect(
          (await client.listTags(`${proxy.host}/paged/app`)).sort(),
        ).toEqual(tags);
        expect(
          proxy.requests().filter(r => r.path.includes('tags/list')),
        ).toHaveLength(2);
      } finally {
        await proxy.stop();
      }
    });
  });
});
