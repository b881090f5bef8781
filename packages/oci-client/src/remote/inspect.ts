import { OciError } from '../errors';
import {
  configProblem,
  ImageConfig,
  ImageManifest,
  isIndex,
} from '../manifest';
import { Platform, selectPlatform } from '../platform';
import { formatReference, ImageReference } from '../reference';
import { RemoteContext, RequestOptions } from './context';
import { getJsonBlob } from './blobs';
import { FetchedManifest, getManifest } from './manifests';

/** What the client reports about an image. @public */
export interface ImageDetails {
  reference: ImageReference;
  /** Digest of the chosen image manifest. */
  digest: string;
  /** Digest of the index the reference points at, when multi-arch. */
  indexDigest?: string;
  /** Media type of the chosen image manifest. */
  mediaType: string;
  /** Digest of the image config. */
  configDigest: string;
  /** ISO 8601, when known: the org.opencontainers.image.created annotation (manifest, then index), else the config's created. */
  created?: string;
  /** The config's labels. */
  labels: Record<string, string>;
  /** Index annotations overlaid by the image manifest's. */
  annotations: Record<string, string>;
  /** Config plus layers, in bytes. */
  size: number;
  platform?: Platform;
}

/** Options for {@link inspectImage}. @public */
export interface InspectOptions extends RequestOptions {
  /** The platform to pick from a multi-arch image; else linux/amd64, else the first entry. */
  platform?: Platform;
}

const CREATED_ANNOTATION = 'org.opencontainers.image.created';

function validTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  // Go's zero time (0001-01-01) and the epoch mean "unknown", not a real build time.
  return Number.isNaN(time) || time <= 0
    ? undefined
    : new Date(time).toISOString();
}

/**
 * Everything about one image: the manifest (through the index to the wanted
 * platform, attestations skipped), then the config; both digests reported.
 */
export async function inspectImage(
  ctx: RemoteContext,
  ref: ImageReference,
  options: InspectOptions = {},
): Promise<ImageDetails> {
  const top = await getManifest(ctx, ref, options);
  let manifest: FetchedManifest = top;
  let indexAnnotations: Record<string, string> = {};
  let indexDigest: string | undefined;
  let entryPlatform: Platform | undefined;
  if (isIndex(top.mediaType, top.body)) {
    const chosen = selectPlatform(top.body, options.platform);
    if (!chosen) {
      throw new OciError(
        'NOT_FOUND',
        `The index ${formatReference(
          ref,
        )} lists no image manifests, only attestations or nothing.`,
        { host: ref.registry },
      );
    }
    indexDigest = top.digest;
    indexAnnotations = top.body.annotations ?? {};
    entryPlatform = chosen.platform;
    manifest = await getManifest(
      ctx,
      {
        ...ref,
        tag: undefined,
        digest: chosen.digest,
      },
      options,
    );
    if (isIndex(manifest.mediaType, manifest.body)) {
      throw new OciError(
        'INVALID_REQUEST',
        `The index ${formatReference(ref)} points at another index ${
          chosen.digest
        }; nested indexes are not supported.`,
        { host: ref.registry },
      );
    }
  }
  const image = manifest.body as ImageManifest;
  if (!image.config?.digest) {
    throw new OciError(
      'INVALID_REQUEST',
      `The manifest ${manifest.digest} of ${formatReference(
        ref,
      )} has no config; it is not an image.`,
      { host: ref.registry },
    );
  }
  const config = await getJsonBlob<ImageConfig>(
    ctx,
    ref,
    image.config.digest,
    options,
  );
  const problem = configProblem(config);
  if (problem) {
    throw new OciError(
      'SERVER_ERROR',
      `${ref.registry} sent a malformed config ${
        image.config.digest
      } for ${formatReference(
        ref,
      )}: ${problem}; report it to the registry operator.`,
      { host: ref.registry },
    );
  }
  const annotations = { ...indexAnnotations, ...(image.annotations ?? {}) };
  const created =
    validTime(annotations[CREATED_ANNOTATION]) ?? validTime(config.created);
  const platform: Platform | undefined = config.os
    ? {
        os: config.os,
        architecture: config.architecture ?? 'unknown',
        ...(config.variant ? { variant: config.variant } : {}),
      }
    : entryPlatform;
  return {
    reference: ref,
    digest: manifest.digest,
    indexDigest,
    mediaType: manifest.mediaType,
    configDigest: image.config.digest,
    created,
    labels: config.config?.Labels ?? {},
    annotations,
    size:
      (image.config.size ?? 0) +
      (image.layers ?? []).reduce((sum, layer) => sum + (layer.size ?? 0), 0),
    platform,
  };
}
