import { OciError } from './errors';
import {
  ImageConfig,
  ImageIndex,
  ImageManifest,
  isIndex,
  MANIFEST_ACCEPT,
  Platform,
  selectPlatform,
} from './manifest';
import {
  formatReference,
  ImageReference,
  parseReference,
  registryEndpoint,
} from './reference';
import { sha256, Transport, TransportOptions } from './transport';

/** @public */
export interface OciClientOptions extends TransportOptions {
  /** Largest manifest or config accepted, in bytes. Default 4 MiB. */
  maxManifestBytes?: number;
}

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
}

/** What the client reports about an image. @public */
export interface ImageDetails {
  reference: ImageReference;
  /** Digest of the chosen image manifest. */
  digest: string;
  /** Digest of the index the reference points at, when multi-arch. */
  indexDigest?: string;
  mediaType: string;
  /** ISO 8601, when known: the org.opencontainers.image.created annotation, else the config's created. */
  created?: string;
  labels: Record<string, string>;
  /** Index annotations overlaid by the image manifest's. */
  annotations: Record<string, string>;
  /** Config plus layers, in bytes. */
  size: number;
  platform?: Platform;
}

const CREATED_ANNOTATION = 'org.opencontainers.image.created';

function toReference(reference: string | ImageReference): ImageReference {
  return typeof reference === 'string' ? parseReference(reference) : reference;
}

function validTime(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  // Go's zero time (0001-01-01) and the epoch mean "unknown", not a real build time.
  return Number.isNaN(time) || time <= 0
    ? undefined
    : new Date(time).toISOString();
}

/**
 * Registry operations: manifest digests, manifests, configs and the details of
 * an image, over the transport layer.
 *
 * @public
 */
export class OciClient {
  private readonly transport: Transport;
  private readonly maxManifestBytes: number;

  constructor(options: OciClientOptions = {}) {
    this.transport = new Transport(options);
    this.maxManifestBytes = options.maxManifestBytes ?? 4 * 1024 * 1024;
  }

  /** HEAD the manifest: its digest without downloading it. */
  async headManifest(
    reference: string | ImageReference,
  ): Promise<ManifestHead> {
    const ref = toReference(reference);
    const response = await this.manifestRequest(ref, 'HEAD');
    const digest = response.headers.get('docker-content-digest');
    if (!digest) {
      throw new OciError(
        'SERVER_ERROR',
        `${ref.registry} sent no Docker-Content-Digest for ${formatReference(
          ref,
        )}`,
        { host: ref.registry },
      );
    }
    return {
      digest,
      mediaType: response.headers.get('content-type') ?? '',
      size: Number(response.headers.get('content-length') ?? 0),
    };
  }

  /** GET the manifest or index; its sha256 must match the requested or announced digest. */
  async getManifest(
    reference: string | ImageReference,
  ): Promise<FetchedManifest> {
    const ref = toReference(reference);
    const response = await this.manifestRequest(ref, 'GET');
    const raw = await this.transport.readBody(
      response,
      this.maxManifestBytes,
      `The manifest of ${formatReference(ref)}`,
      ref.registry,
    );
    const digest = sha256(raw);
    const expected =
      ref.digest ?? response.headers.get('docker-content-digest');
    if (expected && expected.startsWith('sha256:') && expected !== digest) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `${ref.registry} sent a manifest for ${formatReference(
          ref,
        )} whose digest is ${digest}, not ${expected}`,
        { host: ref.registry },
      );
    }
    const body = this.parseJson<ImageManifest | ImageIndex>(
      raw,
      ref,
      'manifest',
    );
    const mediaType =
      body.mediaType ??
      response.headers.get('content-type')?.split(';')[0] ??
      '';
    return { digest, mediaType, body };
  }

  /** GET a blob that holds JSON (an image config), verified against its digest. */
  async getJsonBlob<T>(ref: ImageReference, digest: string): Promise<T> {
    const response = await this.transport.request(
      ref.registry,
      registryEndpoint(ref.registry),
      `/v2/${ref.repository}/blobs/${digest}`,
    );
    const raw = await this.transport.readBody(
      response,
      this.maxManifestBytes,
      `The blob ${digest} of ${ref.registry}/${ref.repository}`,
      ref.registry,
    );
    if (digest.startsWith('sha256:') && sha256(raw) !== digest) {
      throw new OciError(
        'DIGEST_MISMATCH',
        `${ref.registry} sent blob ${digest} of ${
          ref.repository
        } with digest ${sha256(raw)}`,
        { host: ref.registry },
      );
    }
    return this.parseJson<T>(raw, ref, `blob ${digest}`);
  }

  /**
   * Everything about one image: resolves an index to the wanted platform,
   * reads the config, and reports both digests.
   */
  async inspect(
    reference: string | ImageReference,
    options: { platform?: Platform } = {},
  ): Promise<ImageDetails> {
    const ref = toReference(reference);
    const top = await this.getManifest(ref);
    let manifest = top;
    let indexAnnotations: Record<string, string> = {};
    let indexDigest: string | undefined;
    if (isIndex(top.mediaType, top.body)) {
      const chosen = selectPlatform(top.body, options.platform);
      if (!chosen) {
        throw new OciError(
          'NOT_FOUND',
          `The index ${formatReference(ref)} lists no image manifests`,
          { host: ref.registry },
        );
      }
      indexDigest = top.digest;
      indexAnnotations = top.body.annotations ?? {};
      manifest = await this.getManifest({
        ...ref,
        tag: undefined,
        digest: chosen.digest,
      });
      if (isIndex(manifest.mediaType, manifest.body)) {
        throw new OciError(
          'INVALID_REQUEST',
          `The index ${formatReference(ref)} points at another index ${
            chosen.digest
          }; nested indexes are not supported`,
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
        )} has no config`,
        { host: ref.registry },
      );
    }
    const config = await this.getJsonBlob<ImageConfig>(
      ref,
      image.config.digest,
    );
    const annotations = { ...indexAnnotations, ...(image.annotations ?? {}) };
    const created =
      validTime(annotations[CREATED_ANNOTATION]) ?? validTime(config.created);
    return {
      reference: ref,
      digest: manifest.digest,
      indexDigest,
      mediaType: manifest.mediaType,
      created,
      labels: config.config?.Labels ?? {},
      annotations,
      size:
        image.config.size +
        (image.layers ?? []).reduce((sum, layer) => sum + layer.size, 0),
      platform: config.os
        ? {
            os: config.os,
            architecture: config.architecture ?? 'unknown',
            variant: config.variant,
          }
        : undefined,
    };
  }

  private manifestRequest(ref: ImageReference, method: 'GET' | 'HEAD') {
    const target = ref.digest ?? ref.tag;
    return this.transport.request(
      ref.registry,
      registryEndpoint(ref.registry),
      `/v2/${ref.repository}/manifests/${target}`,
      { method, headers: { accept: MANIFEST_ACCEPT } },
    );
  }

  private parseJson<T>(raw: Buffer, ref: ImageReference, what: string): T {
    try {
      return JSON.parse(raw.toString('utf8')) as T;
    } catch (error) {
      throw new OciError(
        'INVALID_REQUEST',
        `${ref.registry} sent a ${what} for ${formatReference(
          ref,
        )} that is not JSON`,
        { host: ref.registry, cause: error },
      );
    }
  }
}
