import { OciError } from '../errors';
import {
  ImageIndex,
  ImageManifest,
  MANIFEST_ACCEPT,
  manifestProblem,
} from '../manifest';
import { formatReference, ImageReference, parseReference } from '../reference';
import { sha256 } from '../transport/body';
import {
  parseJson,
  RemoteContext,
  repositoryName,
  repositoryScope,
  RequestOptions,
} from './context';

/** The answer of a HEAD on a manifest. @public */
export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

/** A fetched, verified manifest or index. @public */
export interface FetchedManifest {
  digest: string;
  mediaType: string;
  body: ImageManifest | ImageIndex;
  /** The exact bytes, as the digest covers them. */
  raw: Buffer;
}

function target(ref: ImageReference): string {
  const value = ref.digest ?? ref.tag;
  if (!value) {
    throw new OciError(
      'INVALID_REQUEST',
      `The reference ${repositoryName(ref)} names neither a tag nor a digest.`,
      { host: ref.registry },
    );
  }
  return value;
}

function mismatch(
  ref: ImageReference,
  got: string,
  expected: string,
): OciError {
  return new OciError(
    'DIGEST_MISMATCH',
    `${ref.registry} sent a manifest for ${formatReference(
      ref,
    )} whose digest is ${got}, not ${expected}; the registry or a proxy in between altered it. Report it to the registry operator.`,
    { host: ref.registry },
  );
}

/** HEAD the manifest: its digest without downloading it (a GET when the registry omits Docker-Content-Digest). */
export async function headManifest(
  ctx: RemoteContext,
  ref: ImageReference,
  options: RequestOptions = {},
): Promise<ManifestHead> {
  const response = await ctx.transport.send({
    registry: ref.registry,
    repository: ref.repository,
    method: 'HEAD',
    url: `/v2/${ref.repository}/manifests/${target(ref)}`,
    kind: 'manifest',
    scopes: [repositoryScope(ref.repository, 'pull')],
    headers: { accept: MANIFEST_ACCEPT },
    maxBytes: ctx.maxManifestBytes,
    what: `HEAD the manifest of ${formatReference(ref)}`,
    signal: options.signal,
  });
  const digest = response.headers.get('docker-content-digest');
  if (!digest) {
    const fetched = await getManifest(ctx, ref, options);
    return {
      digest: fetched.digest,
      mediaType: fetched.mediaType,
      size: fetched.raw.length,
    };
  }
  if (ref.digest && digest !== ref.digest) {
    throw mismatch(ref, digest, ref.digest);
  }
  return {
    digest,
    mediaType: response.headers.get('content-type')?.split(';')[0] ?? '',
    size: Number(response.headers.get('content-length') ?? 0),
  };
}

/**
 * GET the manifest or index with all four media types accepted; its sha256
 * must match the requested digest, else the announced Docker-Content-Digest.
 */
export async function getManifest(
  ctx: RemoteContext,
  ref: ImageReference,
  options: RequestOptions = {},
): Promise<FetchedManifest> {
  const response = await ctx.transport.send({
    registry: ref.registry,
    repository: ref.repository,
    method: 'GET',
    url: `/v2/${ref.repository}/manifests/${target(ref)}`,
    kind: 'manifest',
    scopes: [repositoryScope(ref.repository, 'pull')],
    headers: { accept: MANIFEST_ACCEPT },
    maxBytes: ctx.maxManifestBytes,
    what: `GET the manifest of ${formatReference(ref)}`,
    signal: options.signal,
  });
  const raw = response.body;
  const digest = sha256(raw);
  const expected = ref.digest ?? response.headers.get('docker-content-digest');
  if (expected && expected.startsWith('sha256:') && expected !== digest) {
    throw mismatch(ref, digest, expected);
  }
  const body = parseJson<ImageManifest | ImageIndex>(raw, ref, 'a manifest');
  const mediaType =
    (typeof body?.mediaType === 'string' ? body.mediaType : undefined) ??
    response.headers.get('content-type')?.split(';')[0] ??
    '';
  const problem = manifestProblem(body, mediaType);
  if (problem) {
    throw new OciError(
      'SERVER_ERROR',
      `${ref.registry} sent a malformed manifest for ${formatReference(
        ref,
      )}: ${problem}; report it to the registry operator.`,
      { host: ref.registry },
    );
  }
  return { digest, mediaType, body, raw };
}

/**
 * PUT a manifest under the reference's tag (or digest). Returns its digest,
 * checked against what the registry stored.
 */
export async function putManifest(
  ctx: RemoteContext,
  ref: ImageReference,
  manifest: Buffer | string | object,
  mediaType?: string,
  options: RequestOptions = {},
): Promise<{ digest: string }> {
  const raw = Buffer.isBuffer(manifest)
    ? manifest
    : Buffer.from(
        typeof manifest === 'string' ? manifest : JSON.stringify(manifest),
      );
  const digest = sha256(raw);
  const type =
    mediaType ??
    (() => {
      try {
        return JSON.parse(raw.toString('utf8'))?.mediaType as
          | string
          | undefined;
      } catch {
        return undefined;
      }
    })();
  if (!type) {
    throw new OciError(
      'INVALID_REQUEST',
      `The manifest for ${formatReference(ref)} has no mediaType; pass one.`,
      { host: ref.registry },
    );
  }
  if (raw.length > ctx.maxManifestBytes) {
    throw new OciError(
      'TOO_LARGE',
      `The manifest for ${formatReference(ref)} is ${
        raw.length
      } bytes, over the ${ctx.maxManifestBytes} byte limit.`,
      { host: ref.registry },
    );
  }
  if (ref.digest && !ref.tag && ref.digest !== digest) {
    throw new OciError(
      'INVALID_REQUEST',
      `The manifest's digest is ${digest}, not ${ref.digest} as the reference says.`,
      { host: ref.registry },
    );
  }
  const response = await ctx.transport.send({
    registry: ref.registry,
    repository: ref.repository,
    method: 'PUT',
    url: `/v2/${ref.repository}/manifests/${ref.tag ?? digest}`,
    kind: 'manifest',
    scopes: [repositoryScope(ref.repository, 'pull,push')],
    headers: { 'content-type': type },
    body: raw,
    maxBytes: ctx.maxManifestBytes,
    what: `PUT the manifest of ${formatReference(ref)}`,
    signal: options.signal,
  });
  const stored = response.headers.get('docker-content-digest');
  if (stored && stored !== digest) {
    throw mismatch(ref, stored, digest);
  }
  return { digest };
}

/** Tags an existing manifest: fetches its exact bytes and puts them under `tag`. */
export async function tagManifest(
  ctx: RemoteContext,
  ref: ImageReference,
  tag: string,
  options: RequestOptions = {},
): Promise<{ digest: string }> {
  const tagged = parseReference(`${repositoryName(ref)}:${tag}`);
  const source = await getManifest(ctx, ref, options);
  return putManifest(
    ctx,
    { ...tagged, digest: undefined },
    source.raw,
    source.mediaType,
    options,
  );
}

/** Deletes a manifest by digest; its tags vanish with it. Registries refuse deletes by tag. */
export async function deleteManifest(
  ctx: RemoteContext,
  ref: ImageReference,
  options: RequestOptions = {},
): Promise<void> {
  if (!ref.digest) {
    throw new OciError(
      'INVALID_REQUEST',
      `Cannot delete ${formatReference(
        ref,
      )}: registries delete manifests by digest only; resolve the tag with headManifest first.`,
      { host: ref.registry },
    );
  }
  await ctx.transport.send({
    registry: ref.registry,
    repository: ref.repository,
    method: 'DELETE',
    url: `/v2/${ref.repository}/manifests/${ref.digest}`,
    kind: 'manifest',
    scopes: [repositoryScope(ref.repository, 'delete')],
    maxBytes: ctx.maxManifestBytes,
    what: `DELETE the manifest ${repositoryName(ref)}@${ref.digest}`,
    signal: options.signal,
  });
}
