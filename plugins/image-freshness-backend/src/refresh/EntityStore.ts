import type { FoundContainer } from 'backstage-plugin-image-freshness-node';
import type {
  ImageError,
  ImageMetadata,
} from 'backstage-plugin-image-freshness-common';

/** The outcome of resolving one container's image. */
export type ResolveOutcome =
  | { digest: string; resolvedAt: Date }
  | { error: ImageError };

/** Ownership facts about an entity, for joins in Prometheus. */
export interface EntityInfo {
  owner?: string;
  system?: string;
  lifecycle?: string;
  type?: string;
  /** The entity's `image-freshness/rebuild-delay` annotation as written. */
  rebuildDelay?: string;
}

/** Everything one refresh learned about one entity. */
export interface EntityRefreshResult {
  entityRef: string;
  info: EntityInfo;
  containers: Array<FoundContainer & { outcome: ResolveOutcome }>;
  sourceErrors: Array<ImageError & { source: string }>;
  refreshedAt: Date;
  /**
   * When the entity counts as processed (see `markEntityProcessed`); default
   * `refreshedAt`. The scheduled refresh gives its run's start, so saving
   * the entity records it as processed in the same write.
   */
  processedAt?: Date;
  /**
   * Stored containers not found this time that are kept as they are, because
   * their source could not list them (stale-while-error); the rest are removed.
   */
  unread?: (container: FoundContainer) => boolean;
}

/** An entity as stored. */
export interface StoredEntity {
  entityRef: string;
  info: EntityInfo;
  refreshedAt: Date;
  containers: StoredContainer[];
  errors: Array<ImageError & { source: string }>;
}

/** One stored container with its last good answer and last error. */
export interface StoredContainer extends FoundContainer {
  digest?: string;
  resolvedAt?: Date;
  error?: ImageError;
  metadata?: ImageMetadata;
}

/**
 * What the refresh stores about entities and their containers; see
 * KnexEntityStore. Registry answers live in the RegistryCache.
 */
export interface EntityStore {
  /**
   * Replaces the entity's containers with `containers`: a resolved container
   * gets its new digest, a failed one keeps its last good digest beside the
   * error, and containers no longer found are removed unless `unread` says
   * their source could not list them. The entity counts as processed at
   * `processedAt`, or else `refreshedAt` (see `markEntityProcessed`).
   */
  saveEntity(result: EntityRefreshResult): Promise<void>;

  /** The entity's containers with their metadata, and its last refresh. */
  getEntity(entityRef: string): Promise<StoredEntity | undefined>;

  /** Every stored entity with its containers and metadata (for metrics snapshots). */
  getAllEntities(): Promise<StoredEntity[]>;

  /**
   * Records a manual refresh request unless one was recorded less than
   * `minIntervalMs` ago; answers how long to wait in that case.
   */
  claimManualRefresh(
    entityRef: string,
    now: Date,
    minIntervalMs: number,
  ): Promise<{ claimed: true } | { claimed: false; retryAfterMs: number }>;

  /** All entity refs the store knows: with data, or in the refresh's work list. */
  listEntityRefs(): Promise<string[]>;

  /**
   * Puts entities the catalog lists into the refresh's work list, never
   * refreshed (due at once); those already there keep their processed time.
   */
  queueEntities(entityRefs: string[]): Promise<void>;

  /**
   * The entities due for a refresh: never processed, or last processed at or
   * before `dueBefore`; never processed first, then the longest ago, at most
   * `limit`.
   */
  listDueEntities(options: {
    dueBefore: Date;
    limit: number;
  }): Promise<string[]>;

  /**
   * Records when the scheduled refresh processed an entity (refreshed or
   * failed): its next due time counts from `at`. `saveEntity` records its
   * `processedAt` or `refreshedAt` the same way, so a refresh outside the
   * schedule counts too, and a scheduled one needs no mark of its own.
   */
  markEntityProcessed(entityRef: string, at: Date): Promise<void>;

  /** The entities with a container whose image points at, or runs, this digest. */
  entityRefsWithDigest(digest: string): Promise<string[]>;
  /** Forgets the entities: their data and their place in the work list. */
  deleteEntities(entityRefs: string[]): Promise<void>;
}
