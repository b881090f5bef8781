import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';

/**
 * What registries answered, kept so a refresh asks again only when an answer
 * expires: tag → digest with an expiry, digest + platform → metadata (a digest
 * never changes, so metadata is kept for good). See KnexRegistryCache.
 */
/** A registry's answer for a tag, kept until `expiresAt`. */
export interface TagAnswer {
  digest: string;
  expiresAt: Date;
}

export interface RegistryCache {
  /** The digest a reference pointed at and until when that answer holds, when it has not expired. */
  getTagDigest(reference: string, now: Date): Promise<TagAnswer | undefined>;
  putTagDigest(
    reference: string,
    digest: string,
    resolvedAt: Date,
    expiresAt: Date,
  ): Promise<void>;

  getMetadata(
    digest: string,
    platform: string,
  ): Promise<ImageMetadata | undefined>;
  putMetadata(
    digest: string,
    platform: string,
    metadata: ImageMetadata,
    fetchedAt: Date,
  ): Promise<void>;
}
