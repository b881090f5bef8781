import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { deleteManifest, pushImage, pushIndex } from './images';
import { requireBinaries, startRegistry, TestRegistry } from './registry';
import { skopeoInspect } from './skopeo';

jest.setTimeout(60_000);

describe('a registry without auth', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(() => registry?.stop());

  it('serves a pushed image that skopeo reads with the same digest, created and labels', async () => {
    const pushed = await pushImage(registry.url, 'team/app', 'v1', {
      created: '2024-05-01T10:00:00Z',
      labels: { 'org.opencontainers.image.version': '1.2.3', a: 'first' },
      annotations: { 'org.opencontainers.image.base.name': 'debian:12' },
    });

    const inspect = await skopeoInspect(`${registry.host}/team/app:v1`);
    expect(inspect.Digest).toBe(pushed.digest);
    expect(inspect.Created).toBe('2024-05-01T10:00:00Z');
    expect(inspect.Labels).toEqual({
      a: 'first',
      'org.opencontainers.image.version': '1.2.3',
    });
    expect(inspect).toMatchObject({ Architecture: 'amd64', Os: 'linux' });

    const config = await skopeoInspect(`${registry.host}/team/app:v1`, {
      config: true,
    });
    expect(config.created).toBe('2024-05-01T10:00:00Z');
    expect(config.rootfs.diff_ids).toHaveLength(1);

    const raw = await skopeoInspect(`${registry.host}/team/app:v1`, {
      raw: true,
    });
    expect(raw).toEqual(JSON.parse(pushed.manifest));
    expect(raw.config.digest).toBe(pushed.configDigest);
    expect(raw.annotations).toEqual({
      'org.opencontainers.image.base.name': 'debian:12',
    });

    expect(registry.logs()).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"PUT /v2/team/app/manifests/v1 HTTP/1.1" 201'),
      ]),
    );
  });

  it('omits created from the config when the spec has none', async () => {
    await pushImage(registry.url, 'plain', 'latest');
    const config = await skopeoInspect(`${registry.host}/plain:latest`, {
      config: true,
    });
    expect(config).not.toHaveProperty('created');
    expect(config).toMatchObject({ os: 'linux', architecture: 'amd64' });
  });

  it('writes a gzip tar layer that tar lists and whose diff_id is its uncompressed digest', async () => {
    const pushed = await pushImage(registry.url, 'layered', 'v1', {
      files: { 'etc/motd': 'hi\n', 'app/big.txt': 'x'.repeat(600) },
    });
    const manifest = JSON.parse(pushed.manifest);
    const res = await fetch(
      `${registry.url}/v2/layered/blobs/${manifest.layers[0].digest}`,
    );
    const layer = Buffer.from(await res.arrayBuffer());

    const listing = execFileSync('tar', ['-tvzf', '-'], { input: layer });
    expect(listing.toString()).toMatch(
      /-rw-r--r-- root\/root +600 1970-01-01 00:00 app\/big.txt\n-rw-r--r-- root\/root +3 1970-01-01 00:00 etc\/motd\n/,
    );
    const config = await skopeoInspect(`${registry.host}/layered:v1`, {
      config: true,
    });
    const tar = gunzipSync(layer);
    expect(config.rootfs.diff_ids).toEqual([
      `sha256:${createHash('sha256').update(tar).digest('hex')}`,
    ]);
    expect(pushed.size).toBe(manifest.config.size + layer.length);
  });

  it('gives the same digest for the same spec and uploads no blob twice', async () => {
    const spec = {
      created: '2024-01-01T00:00:00Z',
      files: { 'etc/os-release': 'ID=test\n', 'app/main.js': 'run()\n' },
    };
    const first = await pushImage(registry.url, 'same', 'a', spec);
    const logged = registry.logs().length;
    const second = await pushImage(registry.url, 'same', 'b', spec);
    const other = await pushImage(registry.url, 'same', 'c', {
      ...spec,
      created: '2024-01-02T00:00:00Z',
    });

    expect(second).toEqual(first);
    expect(other.digest).not.toBe(first.digest);
    const secondPush = registry.logs().slice(logged);
    expect(secondPush.some(l => l.includes('"HEAD /v2/same/blobs/'))).toBe(
      true,
    );
    expect(
      secondPush.filter(l => l.includes('"POST /v2/same/blobs/uploads/')),
    ).toHaveLength(1); // only the config of `other` is new; its layer is the same
  });

  it('serves an index whose arm64 child skopeo picks with --override-arch arm64', async () => {
    const index = await pushIndex(
      registry.url,
      'multi',
      'latest',
      [
        { created: '2024-03-01T00:00:00Z', labels: { arch: 'amd64' } },
        {
          created: '2024-03-02T00:00:00Z',
          labels: { arch: 'arm64' },
          platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        },
      ],
      { annotations: { 'org.example.index': 'yes' }, attestation: true },
    );
    const ref = `${registry.host}/multi:latest`;

    const raw = await skopeoInspect(ref, { raw: true });
    expect(raw.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(raw.annotations).toEqual({ 'org.example.index': 'yes' });
    expect(raw.manifests.map((m: any) => m.platform)).toEqual([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'unknown', architecture: 'unknown' },
      { os: 'unknown', architecture: 'unknown' },
    ]);
    expect(raw.manifests.map((m: any) => m.digest)).toEqual(
      index.manifests.map(m => m.digest),
    );

    const arm = await skopeoInspect(ref, { arch: 'arm64' });
    expect(arm.Digest).toBe(index.digest); // skopeo reports the index's digest
    expect(arm).toMatchObject({
      Architecture: 'arm64',
      Created: '2024-03-02T00:00:00Z',
      Labels: { arch: 'arm64' },
    });
    const armConfig = await skopeoInspect(ref, { arch: 'arm64', config: true });
    expect(armConfig.created).toBe('2024-03-02T00:00:00Z');

    const amd = await skopeoInspect(ref, { arch: 'amd64' });
    expect(amd.Labels).toEqual({ arch: 'amd64' });

    const child = await skopeoInspect(
      `${registry.host}/multi@${index.manifests[1].digest}`,
    );
    expect(child.Digest).toBe(index.manifests[1].digest);
  });

  it('deletes a manifest by digest', async () => {
    const pushed = await pushImage(registry.url, 'doomed', 'v1');
    await deleteManifest(registry.url, 'doomed', pushed.digest);
    await expect(
      skopeoInspect(`${registry.host}/doomed@${pushed.digest}`),
    ).rejects.toThrow(/manifest unknown/);
    await expect(deleteManifest(registry.url, 'doomed', 'v1')).rejects.toThrow(
      /DELETE \/v2\/doomed\/manifests\/v1 failed: 400/,
    );
  });
});

describe('a registry with basic auth', () => {
  const basicAuth = { username: 'pusher', password: 's3cret pass' };
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ basicAuth });
  });
  afterAll(() => registry?.stop());

  it('answers 401 without credentials and 200 with them', async () => {
    const anonymous = await fetch(`${registry.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe(
      'Basic realm="test-registry"',
    );

    const token = Buffer.from('pusher:s3cret pass').toString('base64');
    const authorized = await fetch(`${registry.url}/v2/`, {
      headers: { authorization: `Basic ${token}` },
    });
    expect(authorized.status).toBe(200);

    await expect(pushImage(registry.url, 'private', 'v1')).rejects.toThrow(
      /HEAD \/v2\/private\/blobs\/sha256:[0-9a-f]{64} failed: 401/,
    );
  });

  it('takes pushes and serves reads with credentials', async () => {
    const pushed = await pushImage(
      registry.url,
      'private',
      'v1',
      {},
      basicAuth,
    );
    const ref = `${registry.host}/private:v1`;
    const inspect = await skopeoInspect(ref, {
      creds: 'pusher:s3cret pass',
    });
    expect(inspect.Digest).toBe(pushed.digest);
    await expect(skopeoInspect(ref)).rejects.toThrow(/unauthorized/);
  });

  it('accepts only the newest password after acceptOnly (a minted token), at once', async () => {
    const status = async (password: string) =>
      (
        await fetch(`${registry.url}/v2/`, {
          headers: {
            authorization: `Basic ${Buffer.from(`pusher:${password}`).toString(
              'base64',
            )}`,
          },
        })
      ).status;
    await registry.acceptOnly({ username: 'pusher', password: 'minted-1' });
    expect(await status('minted-1')).toBe(200);
    expect(await status('s3cret pass')).toBe(401);
    await registry.acceptOnly({ username: 'pusher', password: 'minted-2' });
    expect(await status('minted-2')).toBe(200);
    expect(await status('minted-1')).toBe(401);
    // back to the first, so the other tests' credentials hold whatever the order
    await registry.acceptOnly(basicAuth);
    expect(await status('s3cret pass')).toBe(200);
  });
});

describe('requireBinaries', () => {
  it('names the missing binary and how to get it', () => {
    expect(() => requireBinaries('docker-registry', 'no-such-tool')).toThrow(
      "missing no-such-tool: run the README's test command, which installs Debian packages",
    );
  });
});
