import type { ImageMetadata } from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import {
  formatReference,
  ImageDetails,
  InFlight,
  OciClient,
  parsePlatform,
  parseReference,
} from 'oci-client';
import type { RegistryCache } from './RegistryCache';
import { HostPolicy } from './HostPolicy';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/** What a reference resolves to now. */
export interface ResolvedImage {
  /** The digest the reference points at (an index digest for multi-arch images). */
  digest: string;
  metadata: ImageMetadata;
}

function toMetadata(details: ImageDetails): ImageMetadata {
  return {
    digest: details.digest,
    indexDigest: details.indexDigest,
    mediaType: details.mediaType,
    created: details.created,
    labels: details.labels,
    annotations: details.annotations,
    size: details.size,
    platform: details.platform,
  };
}

/**
 * Resolves image references to digests and metadata through the registry,
 * asking as little as possible: tag answers are kept for the cache duration
 * (plus jitter), metadata keyed by digest is fetched once, and concurrent
 * requests for the same reference share one resolution.
 */
export class ImageResolver {
  private readonly client: OciClient;
  private readonly cache: RegistryCache;
  private readonly hosts: HostPolicy;
  private readonly cacheDuration: Duration;
  private readonly now: Clock;
  private readonly inFlight = new InFlight<ResolvedImage>();

  constructor(options: {
    client: OciClient;
    cache: RegistryCache;
    hosts: HostPolicy;
    cacheDuration: Duration;
    now?: Clock;
  }) {
    this.client = options.client;
    this.cache = options.cache;
    this.hosts = options.hosts;
    this.cacheDuration = options.cacheDuration;
    this.now = options.now ?? systemClock;
  }

  /** Resolves `image` for `platform` (os/arch[/variant]); throws OciError on failure. */
  resolve(image: string, platform: string): Promise<ResolvedImage> {
    return this.inFlight.run(`${image}|${platform}`, () =>
      this.resolveUncached(image, platform),
    );
  }

  private async resolveUncached(
    image: string,
    platform: string,
  ): Promise<ResolvedImage> {
    const ref = parseReference(image);
    await this.hosts.check(ref.registry);
    const digest = ref.digest ?? (await this.tagDigest(formatReference(ref)));
    const known = await this.cache.getMetadata(digest, platform);
    if (known) {
      return { digest, metadata: known };
    }
    const details = await this.client.inspect(
      { ...ref, digest },
      { platform: parsePlatform(platform) },
    );
    const metadata = toMetadata(details);
    await this.cache.putMetadata(digest, platform, metadata, this.now());
    return { digest, metadata };
  }

  private async tagDigest(reference: string): Promise<string> {
    const now = this.now();
    const cached = await this.cache.getTagDigest(reference, now);
    if (cached) {
      return cached.digest;
    }
    const { digest } = await this.client.headManifest(reference);
    const jitter = 1 + Math.random() * 0.1;
    const expires = new Date(
      now.getTime() + this.cacheDuration.toMillis() * jitter,
    );
    await this.cache.putTagDigest(reference, digest, now, expires);
    return digest;
  }
}
