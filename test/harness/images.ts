/*
 * Builds OCI images in memory and pushes them over the distribution API, without Docker.
 * The same spec always gives the same bytes, hence the same digests.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/** What to put in a test image. */
export interface ImageSpec {
  /** config.created (ISO); omitted from config when undefined */
  created?: string;
  /** config.config.Labels (keys sorted, like Go writes them) */
  labels?: Record<string, string>;
  /** manifest annotations (keys sorted) */
  annotations?: Record<string, string>;
  /** layer content: path -> text; default one small file; deterministic (fixed mtimes) so the same spec gives the same digest */
  files?: Record<string, string>;
  /** default linux/amd64 */
  platform?: Platform;
}

/** An OCI platform, as in an image config and an index entry. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** An image manifest that was pushed. */
export interface PushedImage {
  /** digest of the manifest, `sha256:...` */
  digest: string;
  configDigest: string;
  /** config + layers bytes */
  size: number;
  /** raw JSON pushed */
  manifest: string;
}

/** An image index that was pushed. */
export interface PushedIndex {
  digest: string;
  /** the index's entries in order: one per child, then (with `attestation`) one attestation per child */
  manifests: Array<PushedImage & { platform: Platform }>;
}

/** Basic-auth credentials. */
export interface PushAuth {
  username: string;
  password: string;
}

export const MEDIA_TYPES = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  inToto: 'application/vnd.in-toto+json',
};

const DEFAULT_FILES = { 'hello.txt': 'hello from the test harness\n' };

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/** A manifest and its blobs, built in memory and not pushed yet. */
export interface BuiltImage {
  manifest: Buffer;
  digest: string;
  configDigest: string;
  blobs: Array<{ digest: string; data: Buffer }>;
}

/**
 * Builds an image (one gzip'd tar layer, an OCI config, an OCI manifest) and pushes it as
 * `repository:tag`.
 */
export async function pushImage(
  registryUrl: string,
  repository: string,
  tag: string,
  spec: ImageSpec = {},
  auth?: PushAuth,
): Promise<PushedImage> {
  const image = buildImage(spec);
  await pushBuilt(registryUrl, repository, tag, image, auth);
  return toPushed(image);
}

/**
 * Pushes a multi-arch OCI image index (application/vnd.oci.image.index.v1+json): each child by
 * digest, then the index under `tag`. With `attestation`, each child also gets an attestation
 * manifest with platform unknown/unknown, the way BuildKit writes provenance.
 */
export async function pushIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  children: ImageSpec[],
  options: {
    annotations?: Record<string, string>;
    attestation?: boolean;
    auth?: PushAuth;
  } = {},
): Promise<PushedIndex> {
  const entries: object[] = [];
  const manifests: PushedIndex['manifests'] = [];
  const add = (image: BuiltImage, platform: Platform, annotations?: object) => {
    entries.push({
      mediaType: MEDIA_TYPES.manifest,
      digest: image.digest,
      size: image.manifest.length,
      platform,
      ...(annotations ? { annotations } : {}),
    });
    manifests.push({ ...toPushed(image), platform });
  };

  const images = children.map(buildImage);
  for (const [i, image] of images.entries()) {
    await pushBuilt(registryUrl, repository, image.digest, image, options.auth);
    add(image, children[i].platform ?? DEFAULT_PLATFORM);
  }
  if (options.attestation) {
    for (const image of images) {
      const attestation = buildAttestation(repository, image.digest);
      await pushBuilt(
        registryUrl,
        repository,
        attestation.digest,
        attestation,
        options.auth,
      );
      add(
        attestation,
        { os: 'unknown', architecture: 'unknown' },
        {
          'vnd.docker.reference.digest': image.digest,
          'vnd.docker.reference.type': 'attestation-manifest',
        },
      );
    }
  }

  const digest = await putIndex(
    registryUrl,
    repository,
    tag,
    entries,
    options.annotations,
    options.auth,
  );
  return { digest, manifests };
}

/** PUTs an OCI index of `entries` (descriptors) under `tag`; returns its digest. */
export async function putIndex(
  registryUrl: string,
  repository: string,
  tag: string,
  entries: object[],
  annotations?: Record<string, string>,
  auth?: PushAuth,
): Promise<string> {
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.index,
      manifests: entries,
      ...(annotations ? { annotations: sorted(annotations) } : {}),
    }),
  );
  const digest = sha256(index);
  await putManifest(
    registryUrl,
    repository,
    tag,
    MEDIA_TYPES.index,
    index,
    digest,
    auth,
  );
  return digest;
}

/** Deletes a manifest by digest (the registry refuses deletes by tag). */
export async function deleteManifest(
  registryUrl: string,
  repository: string,
  digest: string,
  auth?: PushAuth,
): Promise<void> {
  await send(registryUrl, 'DELETE', `/v2/${repository}/manifests/${digest}`, {
    auth,
    expect: [202],
  });
}

export function buildImage(spec: ImageSpec): BuiltImage {
  const platform = spec.platform ?? DEFAULT_PLATFORM;
  const tar = makeTar(spec.files ?? DEFAULT_FILES);
  const created = spec.created !== undefined ? { created: spec.created } : {};
  const config = {
    ...created,
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: spec.labels ? { Labels: sorted(spec.labels) } : {},
    rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
    history: [{ ...created, created_by: 'test harness: add files' }],
  };
  return buildManifest(
    config,
    [{ mediaType: MEDIA_TYPES.layer, data: gzipSync(tar) }],
    spec.annotations,
  );
}

/** An in-toto provenance statement about `subjectDigest`, packaged the way BuildKit does. */
function buildAttestation(
  repository: string,
  subjectDigest: string,
): BuiltImage {
  const predicateType = 'https://slsa.dev/provenance/v0.2';
  const statement = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType,
      subject: [
        {
          name: `pkg:docker/${repository}`,
          digest: { sha256: subjectDigest.slice('sha256:'.length) },
        },
      ],
      predicate: {
        buildType: 'https://mobyproject.org/buildkit@v1',
        builder: { id: '' },
      },
    }),
  );
  const config = {
    architecture: 'unknown',
    os: 'unknown',
    config: {},
    rootfs: { type: 'layers', diff_ids: [sha256(statement)] },
  };
  return buildManifest(config, [
    {
      mediaType: MEDIA_TYPES.inToto,
      data: statement,
      annotations: { 'in-toto.io/predicate-type': predicateType },
    },
  ]);
}

function buildManifest(
  config: object,
  layers: Array<{
    mediaType: string;
    data: Buffer;
    annotations?: Record<string, string>;
  }>,
  annotations?: Record<string, string>,
): BuiltImage {
  const configData = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configData);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.manifest,
      config: {
        mediaType: MEDIA_TYPES.config,
        digest: configDigest,
        size: configData.length,
      },
      layers: layers.map(l => ({
        mediaType: l.mediaType,
        digest: sha256(l.data),
        size: l.data.length,
        ...(l.annotations ? { annotations: l.annotations } : {}),
      })),
      ...(annotations ? { annotations: sorted(annotations) } : {}),
    }),
  );
  return {
    manifest,
    digest: sha256(manifest),
    configDigest,
    blobs: [configData, ...layers.map(l => l.data)].map(data => ({
      digest: sha256(data),
      data,
    })),
  };
}

function toPushed(image: BuiltImage): PushedImage {
  return {
    digest: image.digest,
    configDigest: image.configDigest,
    size: image.blobs.reduce((sum, blob) => sum + blob.data.length, 0),
    manifest: image.manifest.toString('utf8'),
  };
}

export async function pushBuilt(
  registryUrl: string,
  repository: string,
  reference: string,
  image: BuiltImage,
  auth?: PushAuth,
): Promise<void> {
  for (const blob of image.blobs) {
    await pushBlob(registryUrl, repository, blob.digest, blob.data, auth);
  }
  await putManifest(
    registryUrl,
    repository,
    reference,
    MEDIA_TYPES.manifest,
    image.manifest,
    image.digest,
    auth,
  );
}

/** Monolithic upload: POST to start, PUT the bytes with `digest=`; skipped when HEAD finds the blob. */
async function pushBlob(
  registryUrl: string,
  repository: string,
  digest: string,
  data: Buffer,
  auth?: PushAuth,
): Promise<void> {
  const head = await send(
    registryUrl,
    'HEAD',
    `/v2/${repository}/blobs/${digest}`,
    { auth, expect: [200, 404] },
  );
  if (head.status === 200) {
    return;
  }
  const started = await send(
    registryUrl,
    'POST',
    `/v2/${repository}/blobs/uploads/`,
    { auth, expect: [202] },
  );
  const location = new URL(started.headers.get('location') ?? '', registryUrl);
  location.searchParams.set('digest', digest);
  await send(registryUrl, 'PUT', location.href, {
    auth,
    expect: [201],
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
}

async function putManifest(
  registryUrl: string,
  repository: string,
  reference: string,
  mediaType: string,
  body: Buffer,
  digest: string,
  auth?: PushAuth,
): Promise<void> {
  const res = await send(
    registryUrl,
    'PUT',
    `/v2/${repository}/manifests/${reference}`,
    {
      auth,
      expect: [201],
      body,
      headers: { 'content-type': mediaType },
    },
  );
  const stored = res.headers.get('docker-content-digest');
  if (stored !== digest) {
    throw new Error(
      `registry stored ${repository}@${stored}, expected ${digest}`,
    );
  }
}

/** One request; throws with method, URL, status and body unless the status is expected. */
async function send(
  registryUrl: string,
  method: string,
  pathOrUrl: string,
  options: {
    auth?: PushAuth;
    expect: number[];
    body?: Buffer;
    headers?: Record<string, string>;
  },
): Promise<Response> {
  const url = new URL(pathOrUrl, registryUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth) {
    const { username, password } = options.auth;
    headers.authorization = `Basic ${Buffer.from(
      `${username}:${password}`,
    ).toString('base64')}`;
  }
  const res = await fetch(url, { method, headers, body: options.body });
  if (!options.expect.includes(res.status)) {
    const body = await res.text();
    throw new Error(
      `${method} ${url.pathname} failed: ${res.status} ${res.statusText} ${body}`.trim(),
    );
  }
  await res.arrayBuffer();
  return res;
}

/** A ustar archive of regular files, sorted by path, owned by root, mode 0644, mtime 0. */
function makeTar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const name of Object.keys(files).sort()) {
    const path = name.replace(/^\/+/, '');
    const content = Buffer.from(files[name], 'utf8');
    if (Buffer.byteLength(path) > 100) {
      throw new Error(`tar path longer than 100 bytes: ${path}`);
    }
    const header = Buffer.alloc(512);
    header.write(path, 0, 100, 'utf8');
    header.write('0000644\0', 100); // mode
    header.write('0000000\0', 108); // uid
    header.write('0000000\0', 116); // gid
    header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124); // size
    header.write('00000000000\0', 136); // mtime: fixed, so digests are stable
    header.write('        ', 148); // checksum placeholder: 8 spaces
    header.write('0', 156); // typeflag: regular file
    header.write('ustar\0', 257); // magic
    header.write('00', 263); // version
    header.write('root', 265); // uname
    header.write('root', 297); // gname
    let checksum = 0;
    for (const byte of header) {
      checksum += byte;
    }
    header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148);
    const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
    blocks.push(header, content, padding);
  }
  blocks.push(Buffer.alloc(1024)); // end of archive: two zero blocks
  return Buffer.concat(blocks);
}

export function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A copy with keys in sorted order, as Go's encoding/json writes maps. */
function sorted(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map(key => [key, record[key]]),
  );
}
