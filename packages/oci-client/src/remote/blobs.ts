import { OciError } from '../errors';
import { ImageReference } from '../reference';
import { sha256 } from '../transport/body';
import { RegistryResponse } from '../transport/Transport';
import {
  parseJson,
  RemoteContext,
  repositoryName,
  repositoryScope,
  RequestOptions,
} from './context';

/** Options for {@link uploadBlob}. @public */
export interface UploadOptions extends RequestOptions {
  /** Upload in PATCH chunks of this many bytes; default: one monolithic PUT. */
  chunkSize?: number;
}

/** The result of an upload. @public */
export interface UploadResult {
  digest: string;
  size: number;
  /** True when the registry already had the blob and nothing was sent. */
  existed: boolean;
}

const OCTET_STREAM = 'application/octet-stream';

/** GET a blob, verified against its digest, at most `maxBytes`. Redirects to blob storage are followed without credentials. */
export async function getBlob(
  ctx: RemoteContext,
  ref: ImageReference,
  digest: string,
  maxBytes: number,
  options: RequestOptions = {},
): Promise<Buffer> {
  const response = await ctx.transport.send({
    registry: ref.registry,
    repository: ref.repository,
    method: 'GET',
    url: `/v2/${ref.repository}/blobs/${digest}`,
    kind: 'blob',
    scopes: [repositoryScope(ref.repository, 'pull')],
    maxBytes,
    what: `GET the blob ${repositoryName(ref)}@${digest}`,
    signal: options.signal,
  });
  const actual = sha256(response.body);
  if (digest.startsWith('sha256:') && actual !== digest) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${ref.registry} sent the blob ${repositoryName(
        ref,
      )}@${digest} with content whose digest is ${actual}; the registry or a proxy in between altered it. Report it to the registry operator.`,
      { host: ref.registry },
    );
  }
  return response.body;
}

/** GET a blob that holds JSON (an image config), verified against its digest. */
export async function getJsonBlob<T>(
  ctx: RemoteContext,
  ref: ImageReference,
  digest: string,
  options: RequestOptions = {},
): Promise<T> {
  const raw = await getBlob(ctx, ref, digest, ctx.maxManifestBytes, options);
  return parseJson<T>(raw, ref, `the blob ${digest}`);
}

/** Whether the repository has the blob (HEAD). */
export async function blobExists(
  ctx: RemoteContext,
  ref: ImageReference,
  digest: string,
  options: RequestOptions & { actions?: string } = {},
): Promise<boolean> {
  const response = await ctx.transport.send({
    registry: ref.registry,
    repository: ref.repository,
    method: 'HEAD',
    url: `/v2/${ref.repository}/blobs/${digest}`,
    kind: 'blob',
    scopes: [repositoryScope(ref.repository, options.actions ?? 'pull')],
    maxBytes: 0,
    allow: [404],
    what: `HEAD the blob ${repositoryName(ref)}@${digest}`,
    signal: options.signal,
  });
  return response.status !== 404;
}

function location(ref: ImageReference, response: RegistryResponse): string {
  const value = response.headers.get('location');
  if (!value) {
    throw new OciError(
      'SERVER_ERROR',
      `${ref.registry} started an upload to ${repositoryName(
        ref,
      )} without a Location; report it to the registry operator.`,
      { host: ref.registry, status: response.status },
    );
  }
  return new URL(value, response.url).href;
}

function withDigest(url: string, digest: string): string {
  const next = new URL(url);
  next.searchParams.set('digest', digest);
  return next.href;
}

/**
 * Uploads a blob unless the repository has it: POST to open an upload, then
 * one PUT with the bytes (monolithic), or PATCH chunks and a closing PUT
 * (chunked). The registry's Docker-Content-Digest is checked.
 */
export async function uploadBlob(
  ctx: RemoteContext,
  ref: ImageReference,
  data: Buffer,
  options: UploadOptions = {},
): Promise<UploadResult> {
  const digest = sha256(data);
  const name = repositoryName(ref);
  const { signal } = options;
  if (await blobExists(ctx, ref, digest, { actions: 'pull,push', signal })) {
    return { digest, size: data.length, existed: true };
  }
  const common = {
    registry: ref.registry,
    repository: ref.repository,
    kind: 'upload' as const,
    scopes: [repositoryScope(ref.repository, 'pull,push')],
    maxBytes: 64 * 1024,
    signal,
  };
  const started = await ctx.transport.send({
    ...common,
    method: 'POST',
    url: `/v2/${ref.repository}/blobs/uploads/`,
    what: `POST to start an upload to ${name}`,
  });
  let url = location(ref, started);
  let body: Buffer | undefined = data;
  const chunkSize = options.chunkSize;
  if (chunkSize && chunkSize > 0 && data.length > chunkSize) {
    for (let start = 0; start < data.length; start += chunkSize) {
      const chunk = data.subarray(
        start,
        Math.min(data.length, start + chunkSize),
      );
      const patched = await ctx.transport.send({
        ...common,
        method: 'PATCH',
        url,
        headers: {
          'content-type': OCTET_STREAM,
          'content-range': `${start}-${start + chunk.length - 1}`,
        },
        body: chunk,
        what: `PATCH bytes ${start}-${
          start + chunk.length - 1
        } of ${digest} to ${name}`,
      });
      url = location(ref, patched);
    }
    body = undefined;
  }
  const finished = await ctx.transport.send({
    ...common,
    method: 'PUT',
    url: withDigest(url, digest),
    headers: { 'content-type': OCTET_STREAM },
    body: body ?? Buffer.alloc(0),
    what: `PUT to finish the upload of ${digest} to ${name}`,
  });
  const stored = finished.headers.get('docker-content-digest');
  if (stored && stored !== digest) {
    throw new OciError(
      'DIGEST_MISMATCH',
      `${ref.registry} stored the upload to ${name} as ${stored}, not ${digest}; report it to the registry operator.`,
      { host: ref.registry },
    );
  }
  return { digest, size: data.length, existed: false };
}

/**
 * Mounts a blob from another repository of the same registry, without
 * sending it. True when mounted; false when the registry declined (the
 * upload it opened instead is cancelled), so the caller uploads.
 */
export async function mountBlob(
  ctx: RemoteContext,
  ref: ImageReference,
  digest: string,
  fromRepository: string,
  options: RequestOptions = {},
): Promise<boolean> {
  const common = {
    registry: ref.registry,
    repository: ref.repository,
    kind: 'upload' as const,
    scopes: [
      repositoryScope(ref.repository, 'pull,push'),
      repositoryScope(fromRepository, 'pull'),
    ],
    maxBytes: 64 * 1024,
    signal: options.signal,
  };
  const query = new URLSearchParams({ mount: digest, from: fromRepository });
  const response = await ctx.transport.send({
    ...common,
    method: 'POST',
    url: `/v2/${ref.repository}/blobs/uploads/?${query}`,
    what: `POST to mount ${digest} from ${fromRepository} into ${repositoryName(
      ref,
    )}`,
  });
  if (response.status === 201) {
    return true;
  }
  await ctx.transport
    .send({
      ...common,
      method: 'DELETE',
      url: location(ref, response),
      what: `DELETE the unused upload to ${repositoryName(ref)}`,
    })
    .catch(() => undefined);
  return false;
}
