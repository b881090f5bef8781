import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { LRUCache } from 'lru-cache';
import type { RegistryCache, TagAnswer } from './RegistryCache';

/** How many answers of each kind a replica keeps in memory, by default. */
export const MEMO_ENTRIES = 20_000;

/**
 * The registry cache with this replica's recent answers in memory in front
 * of the stored ones: a tag answer until it expires (the expiry the store
 * has, so every replica holds an answer exactly as long), metadata for good
 * (a digest never changes). A refresh resolves every container, and most
 * containers share their image with others, so without it a steady refresh
 * reads the database twice per container. Both maps are bounded (least
 * recently used answers go first); what falls out is read from the store
 * again.
 */
export class MemoRegistryCache implements RegistryCache {
  private readonly tags: LRUCache<string, TagAnswer>;
  private readonly metadata: LRUCache<string, ImageMetadata>;

  constructor(
    private readonly store: RegistryCache,
    options: { maxEntries?: number } = {},
  ) {
    const max = options.maxEntries ?? MEMO_ENTRIES;
    this.tags = new LRUCache({ max });
    this.metadata = new LRUCache({ max });
  }

  async getTagDigest(reference: string, now: Date) {
    const kept = this.tags.get(reference);
    if (kept && kept.expiresAt > now) {
      return kept;
    }
    const stored = await this.store.getTagDigest(reference, now);
    if (stored) {
      this.tags.set(reference, stored);
    } else {
      this.tags.delete(reference);
    }
    return stored;
  }

  async putTagDigest(
    reference: string,
    digest: string,
    resolvedAt: Date,
    expiresAt: Date,
  ) {
    await this.store.putTagDigest(reference, digest, resolvedAt, expiresAt);
    this.tags.set(reference, { digest, expiresAt });
  }

  async getMetadata(digest: string, platform: string) {
    const key = `${digest}|${platform}`;
    const kept = this.metadata.get(key);
    if (kept) {
      return kept;
    }
    const stored = await this.store.getMetadata(digest, platform);
    if (stored) {
      this.metadata.set(key, stored);
    }
    return stored;
  }

  async putMetadata(
    digest: string,
    platform: string,
    metadata: ImageMetadata,
    fetchedAt: Date,
  ) {
    await this.store.putMetadata(digest, platform, metadata, fetchedAt);
    // The store keeps the first metadata stored for a digest: read it back
    // rather than assume this one won.
    this.metadata.delete(`${digest}|${platform}`);
  }
}
