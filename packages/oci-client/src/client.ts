import { ImageReference } from './reference';
import {
  AttestationOptions,
  ImageAttestations,
  readAttestations,
} from './remote/attestations';
import {
  blobExists,
  getBlob,
  getJsonBlob,
  mountBlob,
  uploadBlob,
  UploadOptions,
  UploadResult,
} from './remote/blobs';
import { RemoteContext, RequestOptions, toReference } from './remote/context';
import { ImageDetails, inspectImage, InspectOptions } from './remote/inspect';
import { listRepositories, listTags, ListOptions } from './remote/lists';
import {
  deleteManifest,
  FetchedManifest,
  getManifest,
  headManifest,
  ManifestHead,
  putManifest,
  tagManifest,
} from './remote/manifests';
import { Transport, TransportOptions } from './transport/Transport';

/** Options for {@link OciClient}: the transport's plus limits on what is read. @public */
export interface OciClientOptions extends TransportOptions {
  /** Largest manifest or JSON blob (config) accepted, in bytes. Default 4 MiB. */
  maxManifestBytes?: number;
}

/**
 * A client for OCI distribution registries: reads (manifest digests,
 * manifests, configs, image details, tags, repositories) and writes (blob
 * uploads and mounts, manifest puts, tags, deletes). References may be
 * strings (`ghcr.io/acme/api:1.4`) or parsed {@link ImageReference}s.
 *
 * One instance keeps its own token cache, per-host limits and in-flight
 * sharing; reuse it.
 *
 * @public
 */
export class OciClient {
  private readonly ctx: RemoteContext;

  constructor(options: OciClientOptions = {}) {
    this.ctx = {
      transport: new Transport(options),
      maxManifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
    };
  }

  /** HEAD the manifest: its digest (Docker-Content-Digest), media type and size, without downloading it. */
  headManifest(
    reference: string | ImageReference,
    options: RequestOptions = {},
  ): Promise<ManifestHead> {
    return headManifest(this.ctx, toReference(reference), options);
  }

  /** GET the manifest or index; its sha256 must match the requested or announced digest. */
  getManifest(
    reference: string | ImageReference,
    options: RequestOptions = {},
  ): Promise<FetchedManifest> {
    return getManifest(this.ctx, toReference(reference), options);
  }

  /** GET a blob of the reference's repository, verified against its digest. Default limit: `maxManifestBytes`. */
  getBlob(
    reference: string | ImageReference,
    digest: string,
    options: RequestOptions & { maxBytes?: number } = {},
  ): Promise<Buffer> {
    return getBlob(
      this.ctx,
      toReference(reference),
      digest,
      options.maxBytes ?? this.ctx.maxManifestBytes,
      options,
    );
  }

  /** GET a blob that holds JSON (an image config), verified against its digest. */
  getJsonBlob<T>(
    reference: string | ImageReference,
    digest: string,
    options: RequestOptions = {},
  ): Promise<T> {
    return getJsonBlob<T>(this.ctx, toReference(reference), digest, options);
  }

  /**
   * Everything about one image: resolves an index to the wanted platform
   * (else linux/amd64, else the first entry; never an attestation), reads the
   * config, and reports both digests, created, labels, annotations and size.
   */
  inspect(
    reference: string | ImageReference,
    options: InspectOptions = {},
  ): Promise<ImageDetails> {
    return inspectImage(this.ctx, toReference(reference), options);
  }

  /**
   * The in-toto statements an index attaches to one of its images, as BuildKit
   * stores attestations (an `unknown/unknown` entry annotated
   * `vnd.docker.reference.type: attestation-manifest` and
   * `vnd.docker.reference.digest: <imageDigest>`); undefined when there is none.
   */
  readAttestations(
    index: string | ImageReference,
    imageDigest: string,
    options: AttestationOptions = {},
  ): Promise<ImageAttestations | undefined> {
    return readAttestations(this.ctx, toReference(index), imageDigest, options);
  }

  /** Every tag of the reference's repository (its tag or digest is ignored), following Link pages. */
  listTags(
    reference: string | ImageReference,
    options: ListOptions = {},
  ): Promise<string[]> {
    return listTags(this.ctx, toReference(reference), options);
  }

  /** Every repository of a registry (`/v2/_catalog`), following Link pages. */
  listRepositories(
    registry: string,
    options: ListOptions = {},
  ): Promise<string[]> {
    return listRepositories(this.ctx, registry, options);
  }

  /** Whether the reference's repository has the blob. */
  blobExists(
    reference: string | ImageReference,
    digest: string,
    options: RequestOptions = {},
  ): Promise<boolean> {
    return blobExists(this.ctx, toReference(reference), digest, {
      signal: options.signal,
    });
  }

  /** Uploads a blob to the reference's repository unless it is there: monolithic, or chunked with `chunkSize`. */
  uploadBlob(
    reference: string | ImageReference,
    data: Buffer,
    options: UploadOptions = {},
  ): Promise<UploadResult> {
    return uploadBlob(this.ctx, toReference(reference), data, options);
  }

  /** Mounts a blob from another repository of the same registry; false when the registry declined. */
  mountBlob(
    reference: string | ImageReference,
    digest: string,
    fromRepository: string,
    options: RequestOptions = {},
  ): Promise<boolean> {
    return mountBlob(
      this.ctx,
      toReference(reference),
      digest,
      fromRepository,
      options,
    );
  }

  /** PUT a manifest (bytes, JSON text or an object) under the reference's tag or digest; returns its digest. */
  putManifest(
    reference: string | ImageReference,
    manifest: Buffer | string | object,
    mediaType?: string,
    options: RequestOptions = {},
  ): Promise<{ digest: string }> {
    return putManifest(
      this.ctx,
      toReference(reference),
      manifest,
      mediaType,
      options,
    );
  }

  /** Puts the reference's manifest, byte for byte, under another tag of the same repository. */
  tagManifest(
    reference: string | ImageReference,
    tag: string,
    options: RequestOptions = {},
  ): Promise<{ digest: string }> {
    return tagManifest(this.ctx, toReference(reference), tag, options);
  }

  /** Deletes a manifest by digest (the reference must carry one); its tags vanish with it. */
  deleteManifest(
    reference: string | ImageReference,
    options: RequestOptions = {},
  ): Promise<void> {
    return deleteManifest(this.ctx, toReference(reference), options);
  }
}
