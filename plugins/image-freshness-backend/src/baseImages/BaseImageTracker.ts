import type { LoggerService } from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_DOCKERFILE,
  baseMovedAt,
  ImageError,
  ImageMetadata,
  inferBuiltOnDigest,
} from 'backstage-plugin-image-freshness-common';
import { formatReference, ImageReference, parseReference } from 'oci-client';
import { toImageError } from '../registry/imageErrors';
import type { ImageResolver } from '../registry/ImageResolver';
import {
  BaseImageFinder,
  BASE_NAME_KEY,
  DockerfileOutcome,
  FoundBase,
} from './BaseImageFinder';
import { BaseImageStore, StoredBase, StoredBaseImage } from './BaseImageStore';
import type { StoredProvenance } from './BuildRecordStore';
import { BaseImagesConfig, trackingPolicyFor, TrackingPolicy } from './config';
import type { ProvenanceSource } from './ProvenanceSource';
import { newerCandidates, TagDiscovery } from './TagDiscovery';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** An image of an entity, resolved by this refresh. */
export interface TrackedImage {
  /** The reference as written. */
  image: string;
  platform: string;
  /** The digest the reference resolved to; absent when it failed this time. */
  digest?: string;
}

/** What one tracking pass did, for logs. */
export interface BaseTrackingSummary {
  entityRef: string;
  images: number;
  errors: number;
}

function withContext(error: ImageError, context: string): ImageError {
  return error.message.startsWith(context)
    ? error
    : { ...error, message: `${context}: ${error.message}` };
}

/**
 * Tracks what every image of an entity is built on: finds the base
 * (annotations, BuildKit provenance, labels, Dockerfile), resolves the base tag through the same
 * resolver and caches as any image, records the digest history, discovers
 * newer tags per tracking policy, and stores the facts. Verdicts are computed
 * when a report is read. Failures are recorded per image beside the last good
 * facts; `track` only throws when the store itself fails.
 */
export class BaseImageTracker {
  private readonly finder: BaseImageFinder;
  private readonly provenance?: Pick<ProvenanceSource, 'find'>;
  private readonly resolver: Pick<ImageResolver, 'resolve'>;
  private readonly discovery: TagDiscovery;
  private readonly store: BaseImageStore;
  private readonly metadata: (
    digest: string,
    platform: string,
  ) => Promise<ImageMetadata | undefined>;
  private readonly config: BaseImagesConfig;
  private readonly logger: LoggerService;
  private readonly now: Clock;

  constructor(options: {
    finder: BaseImageFinder;
    /** BuildKit provenance, read between the annotations and the labels. */
    provenance?: Pick<ProvenanceSource, 'find'>;
    resolver: Pick<ImageResolver, 'resolve'>;
    discovery: TagDiscovery;
    store: BaseImageStore;
    /** The stored metadata of a resolved image (EntityStore.getMetadata). */
    metadata: (
      digest: string,
      platform: string,
    ) => Promise<ImageMetadata | undefined>;
    config: BaseImagesConfig;
    logger: LoggerService;
    now?: Clock;
  }) {
    this.finder = options.finder;
    this.provenance = options.provenance;
    this.resolver = options.resolver;
    this.discovery = options.discovery;
    this.store = options.store;
    this.metadata = options.metadata;
    this.config = options.config;
    this.logger = options.logger;
    this.now = options.now ?? systemClock;
  }

  async track(
    entity: Entity,
    images: TrackedImage[],
  ): Promise<BaseTrackingSummary> {
    const entityRef = stringifyEntityRef(entity);
    const at = this.now();
    const previous = new Map(
      (await this.store.getEntityBases(entityRef)).map(row => [row.image, row]),
    );
    const distinct = new Map<string, TrackedImage>();
    for (const image of images) {
      const known = distinct.get(image.image);
      if (!known || (!known.digest && image.digest)) {
        distinct.set(image.image, image);
      }
    }
    // The Dockerfile is read at most once per pass, and only when needed.
    let dockerfile: Promise<DockerfileOutcome> | undefined;
    const readDockerfile = (platform: string) => {
      dockerfile ??= this.finder.fromDockerfile(entity, platform, at);
      return dockerfile;
    };
    const rows = (
      await Promise.all(
        [...distinct.values()].map(({ image, platform, digest }) =>
          digest
            ? this.trackImage({
                entity,
                image: { image, platform, digest },
                previous: previous.get(image),
                readDockerfile,
                at,
              })
            : // Not resolved this time: its last good base row stays as it was.
              previous.get(image),
        ),
      )
    ).filter((row): row is StoredBaseImage => row !== undefined);
    await this.store.saveEntityBases(entityRef, rows, at);
    const summary = {
      entityRef,
      images: rows.length,
      errors: rows.filter(r => r.error).length,
    };
    this.logger.debug('Tracked base images', { ...summary });
    return summary;
  }

  private async trackImage(options: {
    entity: Entity;
    image: Required<TrackedImage>;
    previous?: StoredBaseImage;
    readDockerfile: (platform: string) => Promise<DockerfileOutcome>;
    at: Date;
  }): Promise<StoredBaseImage> {
    const { entity, image, previous, at } = options;
    const metadata = await this.metadata(image.digest, image.platform);
    const managed = this.finder.isBuiltHere(entity, metadata);
    const row: StoredBaseImage = {
      entityRef: stringifyEntityRef(entity),
      image: image.image,
      platform: image.platform,
      imageDigest: metadata?.digest ?? image.digest,
      imageCreated: metadata?.created ? new Date(metadata.created) : undefined,
      managed,
    };
    // Sources in order: annotations, provenance, labels, the Dockerfile.
    let found = this.finder.fromAnnotations(metadata);
    let provenance: StoredProvenance | undefined;
    if (!found && metadata && this.provenance) {
      provenance = await this.provenance.find(image.image, metadata, at);
      if ('base' in provenance) {
        found = provenance.base;
      }
    }
    // A provenance that could not be read stands beside whatever else is found.
    const provenanceError =
      provenance && 'error' in provenance ? provenance.error : undefined;
    found ??= this.finder.fromLabels(metadata);
    if (!found && managed) {
      const outcome = await options.readDockerfile(image.platform);
      if ('error' in outcome) {
        return this.keepLastGood(row, previous, outcome.error);
      }
      found = outcome.base;
    }
    if (!found && provenanceError) {
      return this.keepLastGood(row, previous, provenanceError);
    }
    if (!found) {
      return {
        ...row,
        noBaseReason: this.noBaseReason(entity, metadata, provenance),
      };
    }
    if (found.scratch) {
      return {
        ...row,
        base: {
          name: 'scratch',
          reference: 'scratch',
          scratch: true,
          source: found.source,
          strategy: 'Digest',
          checkedAt: at,
        },
        error: provenanceError,
      };
    }
    let ref: ImageReference;
    try {
      ref = parseReference(found.name);
    } catch (error) {
      return this.keepLastGood(
        row,
        previous,
        withContext(
          toImageError(error, found.name, at),
          `Base of ${image.image} (${this.describeSource(found)})`,
        ),
      );
    }
    const resolved = await this.resolveBase({ row, found, ref, previous, at });
    return {
      ...row,
      ...resolved,
      error: resolved.error ?? provenanceError,
    };
  }

  private async resolveBase(options: {
    row: StoredBaseImage;
    found: FoundBase;
    ref: ImageReference;
    previous?: StoredBaseImage;
    at: Date;
  }): Promise<Pick<StoredBaseImage, 'base' | 'error'>> {
    const { row, found, ref, at } = options;
    const repository = `${ref.registry}/${ref.repository}`;
    const policy = trackingPolicyFor(this.config, repository);
    const reference = formatReference({
      ...ref,
      digest: ref.tag ? undefined : ref.digest,
    });
    const recordedDigest = found.digest ?? ref.digest;
    // Last good facts about the same base stay beside a new error.
    const last =
      options.previous?.base?.reference === reference
        ? options.previous.base
        : undefined;
    const base: StoredBase = {
      name: found.name,
      reference,
      tag: ref.tag,
      source: found.source,
      strategy: policy.strategy,
      builtOnDigest: recordedDigest,
    };
    const context = `Base ${reference} of ${row.image}`;
    let current: { digest: string; metadata: ImageMetadata };
    try {
      current = await this.resolver.resolve(reference, row.platform);
    } catch (error) {
      return {
        base: {
          ...last,
          ...base,
          builtOnDigest: recordedDigest ?? last?.builtOnDigest,
          builtOnInferred: recordedDigest ? undefined : last?.builtOnInferred,
        },
        error: withContext(toImageError(error, reference, at), context),
      };
    }
    base.currentDigest = current.digest;
    base.checkedAt = at;
    const created = row.imageCreated?.toISOString();
    if (ref.tag) {
      await this.store.recordBaseDigest({
        reference,
        platform: row.platform,
        digest: current.digest,
        manifestDigest:
          current.metadata.digest !== current.digest
            ? current.metadata.digest
            : undefined,
        seenAt: at,
      });
      const history = await this.store.getBaseHistory(reference, row.platform);
      if (!base.builtOnDigest) {
        const inferred = inferBuiltOnDigest({ history, imageCreated: created });
        base.builtOnDigest = inferred?.digest;
        base.builtOnInferred = inferred?.rule;
      }
      const moved = base.builtOnDigest
        ? baseMovedAt({
            history,
            builtOnDigest: base.builtOnDigest,
            currentDigest: current.digest,
            imageCreated: created,
          })
        : undefined;
      base.movedAt = moved ? new Date(moved) : undefined;
    }
    const discovered = await this.discoverNewer({
      policy,
      tag: ref.tag,
      platform: row.platform,
      builtOnDigest: base.builtOnDigest,
      current,
    });
    Object.assign(base, discovered.facts);
    return {
      base,
      error: discovered.error
        ? withContext(
            toImageError(discovered.error, repository, at),
            `Tags of ${repository} (base of ${row.image})`,
          )
        : undefined,
    };
  }

  private async discoverNewer(options: {
    policy: TrackingPolicy;
    tag?: string;
    platform: string;
    builtOnDigest?: string;
    current: { digest: string; metadata: ImageMetadata };
  }): Promise<{
    facts: Pick<StoredBase, 'newestTag' | 'newerTags' | 'newerTagSince'>;
    error?: unknown;
  }> {
    const { policy, tag, platform, builtOnDigest, current } = options;
    if (policy.strategy === 'Digest') {
      return { facts: {} };
    }
    const { candidates, error } = await this.discovery.discover(
      policy,
      platform,
    );
    let builtOn: { digest?: string; created?: string } | undefined;
    if (policy.strategy === 'NewestBuild') {
      builtOn = { digest: builtOnDigest, created: current.metadata.created };
      if (builtOnDigest && builtOnDigest !== current.digest) {
        try {
          const { metadata } = await this.resolver.resolve(
            `${policy.repository}@${builtOnDigest}`,
            platform,
          );
          builtOn.created = metadata.created;
        } catch {
          // The built-on digest is gone from the registry: compare with the tag's build.
        }
      }
    }
    const newer = newerCandidates({ policy, tag, candidates, builtOn });
    if (newer.length === 0) {
      return { facts: {}, error };
    }
    const since = Math.min(...newer.map(c => Date.parse(c.firstSeen)));
    return {
      facts: {
        newestTag: newer[0].tag,
        newerTags: newer.slice(0, policy.discoveryLimit).map(c => c.tag),
        newerTagSince: new Date(since),
      },
      error,
    };
  }

  /** The row with the previous base kept (if any) and the error beside it. */
  private keepLastGood(
    row: StoredBaseImage,
    previous: StoredBaseImage | undefined,
    error: ImageError,
  ): StoredBaseImage {
    if (previous?.base) {
      return { ...row, base: previous.base, error };
    }
    return { ...row, noBaseReason: `No base known: ${error.message}`, error };
  }

  private describeSource(found: FoundBase): string {
    const { source } = found;
    if (source.kind === 'dockerfile' && source.dockerfile) {
      return `${source.dockerfile.path} line ${source.dockerfile.line}`;
    }
    if (source.kind === 'provenance' && source.provenance) {
      return `provenance attestation ${source.provenance.attestation}`;
    }
    return `${BASE_NAME_KEY} ${source.kind}`;
  }

  private noBaseReason(
    entity: Entity,
    metadata: ImageMetadata | undefined,
    provenance: StoredProvenance | undefined,
  ): string {
    if (!metadata) {
      return 'The image has not been resolved yet, so its base is not known';
    }
    const fromProvenance =
      metadata.indexDigest && provenance && 'none' in provenance
        ? ` (and ${provenance.none})`
        : '';
    const recordsNone = `The image records no ${BASE_NAME_KEY} annotation or label${fromProvenance}`;
    if (this.finder.isManaged(entity)) {
      return `${recordsNone}, and its org.opencontainers.image.source is another repository than the entity's, so the entity's Dockerfile does not describe it (external image, monitored by its tag)`;
    }
    return `${recordsNone}, and the entity declares no Dockerfile (${ANNOTATION_DOCKERFILE}) to read it from (external image, monitored by its tag)`;
  }
}
