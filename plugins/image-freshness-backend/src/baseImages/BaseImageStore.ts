import type {
  BaseDigestSighting,
  BaseImageReport,
  BuiltOnInference,
  ImageError,
  TrackingStrategy,
} from 'backstage-plugin-image-freshness-common';

/** Where a base was found: annotation, label or a Dockerfile line. */
export type BaseSourceInfo = NonNullable<BaseImageReport['base']>['source'];

/** What an image is built on, as far as one refresh learned. */
export interface StoredBase {
  /** The base as found, e.g. `node:22-bookworm-slim` or `registry/x:1@sha256:...`. */
  name: string;
  /** Normalised tag reference (or digest reference when pinned by digest only). */
  reference: string;
  tag?: string;
  scratch?: boolean;
  source: BaseSourceInfo;
  strategy: TrackingStrategy;
  builtOnDigest?: string;
  builtOnInferred?: BuiltOnInference;
  /** What the base tag pointed to at `checkedAt`. */
  currentDigest?: string;
  checkedAt?: Date;
  movedAt?: Date;
  newestTag?: string;
  newerTags?: string[];
  newerTagSince?: Date;
}

/** The base facts of one image of one entity. */
export interface StoredBaseImage {
  entityRef: string;
  /** The image reference as written. */
  image: string;
  platform: string;
  imageDigest?: string;
  imageCreated?: Date;
  managed: boolean;
  base?: StoredBase;
  /** Why no base is known, when `base` is absent. */
  noBaseReason?: string;
  /** The last error; `base` keeps the last good facts beside it. */
  error?: ImageError;
}

/** A tag that a tracking policy allows, as discovered. */
export interface TagCandidate {
  tag: string;
  /** When this tag was first discovered (ISO 8601). */
  firstSeen: string;
  /** NewestBuild only: the digest and build time of the tag. */
  digest?: string;
  created?: string;
}

/** The best tags of one repository under one policy, best first. */
export interface TagDiscoveryRecord {
  repository: string;
  policyKey: string;
  candidates: TagCandidate[];
  checkedAt: Date;
  expiresAt: Date;
}

/** Persistence of base-image facts; see KnexBaseImageStore. */
export interface BaseImageStore {
  /** The entity's stored base rows (last good facts and last errors). */
  getEntityBases(entityRef: string): Promise<StoredBaseImage[]>;

  /**
   * Replaces the entity's base rows with `rows`: rows no longer given are
   * removed, an error keeps when its class was first seen while it repeats.
   */
  saveEntityBases(
    entityRef: string,
    rows: StoredBaseImage[],
    at: Date,
  ): Promise<void>;

  /** Records that `reference` pointed at `digest` at `seenAt`: first sighting kept, last sighting moved. */
  recordBaseDigest(sighting: {
    reference: string;
    platform: string;
    digest: string;
    manifestDigest?: string;
    seenAt: Date;
  }): Promise<void>;

  /** Every digest `reference` was seen pointing at, oldest first. */
  getBaseHistory(
    reference: string,
    platform: string,
  ): Promise<BaseDigestSighting[]>;

  getTagDiscovery(
    repository: string,
    policyKey: string,
  ): Promise<TagDiscoveryRecord | undefined>;
  putTagDiscovery(record: TagDiscoveryRecord): Promise<void>;

  /**
   * Every stored base row of every entity that still has data (for metrics:
   * `container_image_base_info`, `container_image_rebuild_due`).
   */
  listAllBaseImages(): Promise<StoredBaseImage[]>;

  /** Removes the base rows of entities that left the catalog. */
  deleteEntities(entityRefs: string[]): Promise<void>;
}
