import { pushImage } from '@internal/test/harness/images';
import { startRegistry, TestRegistry } from '@internal/test/harness/registry';
import { skopeoInspect } from '@internal/test/harness/skopeo';
import { createHash, randomBytes } from 'node:crypto';
import { OciClient } from '../client';
import { OciError } from '../errors';
import { MEDIA_TYPES } from '../manifest';
import { lines, logMark, requestsSince } from '../testing/registryLog';

jest.setTimeout(60_000);

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url);
  return Buffer.from(await response.arrayBuffer());
}

const sha256 = (data: Buffer) =>
  `sha256:${createHash('sha256').update(data).digest('hex')}`;

describe('writing to a real registry', () => {
  let registry: TestRegistry;
  let client: OciClient;

  beforeAll(async () => {
    registry = await startRegistry();
    client = new OciClient();
    await requestsSince(registry, 0); // let the start-up check's access line arrive
  });
  afterAll(() => registry?.stop());

  it('uploads a blob monolithically (POST, PUT), and not again when it is there', async () => {
    const data = randomBytes(3000);
    const ref = `${registry.host}/w/mono`;
    const mark = await logMark(registry);
    const first = await client.uploadBlob(ref, data);
    const again = await client.uploadBlob(ref, data);
    const requests = lines(await requestsSince(registry, mark)).map(l =>
      l.replace(/uploads\/[^ ]+/, 'uploads/UUID'),
    );

    expect(first).toEqual({ digest: sha256(data), size: 3000, existed: false });
    expect(again.existed).toBe(true);
    expect(requests).toEqual([
      'GET /v2/ 200',
      `HEAD /v2/w/mono/blobs/${sha256(data)} 404`,
      'POST /v2/w/mono/blobs/uploads/ 202',
      'PUT /v2/w/mono/blobs/uploads/UUID 201',
      `HEAD /v2/w/mono/blobs/${sha256(data)} 200`,
    ]);
    const stored = await download(
      `${registry.url}/v2/w/mono/blobs/${sha256(data)}`,
    );
    expect(stored.equals(data)).toBe(true);
  });

  it('uploads a blob in PATCH chunks with Content-Range, then a closing PUT', async () => {
    const data = randomBytes(2500);
    const mark = await logMark(registry);
    const result = await client.uploadBlob(`${registry.host}/w/chunked`, data, {
      chunkSize: 1000,
    });
    const requests = await requestsSince(registry, mark);

    expect(result.digest).toBe(sha256(data));
    expect(requests.map(r => `${r.method} ${r.status}`)).toEqual([
      'HEAD 404',
      'POST 202',
      'PATCH 202',
      'PATCH 202',
      'PATCH 202',
      'PUT 201',
    ]);
    const stored = await download(
      `${registry.url}/v2/w/chunked/blobs/${sha256(data)}`,
    );
    expect(stored.equals(data)).toBe(true);
  });

  it('mounts a blob from another repository without sending it, and says when it cannot', async () => {
    const data = randomBytes(500);
    await client.uploadBlob(`${registry.host}/w/source`, data);
    const mark = await logMark(registry);
    expect(
      await client.mountBlob(
        `${registry.host}/w/target`,
        sha256(data),
        'w/source',
      ),
    ).toBe(true);
    const unknown = sha256(Buffer.from('never uploaded'));
    expect(
      await client.mountBlob(`${registry.host}/w/target`, unknown, 'w/source'),
    ).toBe(false);
    const requests = lines(await requestsSince(registry, mark));

    expect(requests[0]).toBe(
      `POST /v2/w/target/blobs/uploads/?mount=${encodeURIComponent(
        sha256(data),
      )}&from=w%2Fsource 201`,
    );
    expect(requests[1]).toMatch(
      /^POST \/v2\/w\/target\/blobs\/uploads\/\?mount=.* 202$/,
    );
    expect(requests[2]).toMatch(
      /^DELETE \/v2\/w\/target\/blobs\/uploads\/\S+ 204$/,
    );
    expect(
      await client.blobExists(`${registry.host}/w/target`, sha256(data)),
    ).toBe(true);
  });

  it('puts a manifest, tags it by re-putting its bytes, and deletes it by digest', async () => {
    const source = await pushImage(registry.url, 'w/image', 'v1', {
      created: '2024-09-09T09:09:09Z',
      labels: { written: 'yes' },
    });
    const manifest = Buffer.from(source.manifest);
    const put = await client.putManifest(
      `${registry.host}/w/image:v2`,
      manifest,
    );
    expect(put.digest).toBe(source.digest);
    expect((await skopeoInspect(`${registry.host}/w/image:v2`)).Digest).toBe(
      source.digest,
    );

    const mark = await logMark(registry);
    const tagged = await client.tagManifest(
      `${registry.host}/w/image:v1`,
      'stable',
    );
    const requests = lines(await requestsSince(registry, mark));
    expect(tagged.digest).toBe(source.digest);
    expect(requests).toEqual([
      'GET /v2/w/image/manifests/v1 200',
      'PUT /v2/w/image/manifests/stable 201',
    ]);
    const inspect = await skopeoInspect(`${registry.host}/w/image:stable`);
    expect(inspect).toMatchObject({
      Digest: source.digest,
      Labels: { written: 'yes' },
    });
    expect((await client.listTags(`${registry.host}/w/image`)).sort()).toEqual([
      'stable',
      'v1',
      'v2',
    ]);

    await client.deleteManifest(`${registry.host}/w/image@${source.digest}`);
    expect(await client.listTags(`${registry.host}/w/image`)).toEqual([]);
    await expect(
      client.headManifest(`${registry.host}/w/image:v1`),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 404,
    });
  });

  it('refuses a delete by tag before asking the registry, and a manifest without a media type', async () => {
    const mark = await logMark(registry);
    const byTag: OciError = await client
      .deleteManifest(`${registry.host}/w/image:v1`)
      .catch(e => e);
    expect(byTag).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(byTag.message).toContain(
      'registries delete manifests by digest only',
    );

    const untyped: OciError = await client
      .putManifest(`${registry.host}/w/image:x`, { schemaVersion: 2 })
      .catch(e => e);
    expect(untyped).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await requestsSince(registry, mark)).toEqual([]);
  });

  it('reports the registry code when a manifest refers to blobs it does not have', async () => {
    const error: OciError = await client
      .putManifest(`${registry.host}/w/broken:v1`, {
        schemaVersion: 2,
        mediaType: MEDIA_TYPES.ociManifest,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(Buffer.from('missing')),
          size: 7,
        },
        layers: [],
      })
      .catch(e => e);
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      status: 400,
      registryCode: 'MANIFEST_BLOB_UNKNOWN',
    });
  });
});
