import type { ImageError } from 'backstage-plugin-image-freshness-common';
import {
  lexicalCandidates,
  semverCandidates,
  TagLister,
} from '../baseImages/TagDiscovery';
import type { ImageResolver } from '../registry/ImageResolver';
import { toImageError } from '../registry/imageErrors';
import { ScanTarget, scanSettings } from './config';
import { mapLimit } from '../lib/mapLimit';
import type { RepositoryScan, ScannedImage } from './ScanStore';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';

/**
 * The tags a scan keeps, best first, filtered and sorted by TagDiscovery's
 * own functions (one piece of code for both): semver keeps the highest
 * versions (tags carrying major.minor.patch, within the constraint); lexical
 * and newest-build keep the lexically greatest, and newest-build then orders
 * what it read by build time.
 */
export function selectTags(target: ScanTarget, tags: string[]): string[] {
  const sorted =
    target.sort === 'semver'
      ? semverCandidates(target.policy, tags)
      : lexicalCandidates(target.policy, tags);
  return sorted.slice(0, target.policy.discoveryLimit);
}

/** Newest build first; images without a build time last, in their lexical order. */
function byBuildTime(images: ScannedImage[]): ScannedImage[] {
  const time = (i: ScannedImage) => (i.created ? Date.parse(i.created) : -1);
  return [...images].sort((a, b) => time(b) - time(a));
}

/**
 * Scans one repository: lists its tags, keeps those the target's filter
 * allows (sorted, limited), and reads each kept tag's digest, size and build
 * time through the plugin's resolver (its caches, host policy, per-registry
 * limits, and the client's retries with backoff and Retry-After), a few at a
 * time. A scan that fails keeps the last good images beside the error; a tag
 * that cannot be read keeps its last good facts beside its own error.
 */
export class RepositoryScanner {
  private readonly tags: TagLister;
  private readonly resolver: Pick<ImageResolver, 'resolve'>;
  private readonly platform: string;
  private readonly now: Clock;

  constructor(options: {
    tags: TagLister;
    resolver: Pick<ImageResolver, 'resolve'>;
    /** The platform whose size and build time are read from multi-arch images (os/arch[/variant]). */
    platform: string;
    now?: Clock;
  }) {
    this.tags = options.tags;
    this.resolver = options.resolver;
    this.platform = options.platform;
    this.now = options.now ?? systemClock;
  }

  async scan(
    target: ScanTarget,
    previous?: RepositoryScan,
  ): Promise<RepositoryScan> {
    const at = this.now();
    const identity = {
      repository: target.policy.repository,
      key: target.policy.key,
      source: target.source,
      settings: scanSettings(target),
    };
    const failed = (imageError: ImageError): RepositoryScan => ({
      ...identity,
      lastScanTime: at,
      lastSuccessTime: previous?.lastSuccessTime,
      lastScanStatus: 'Failed',
      message: imageError.message,
      error: imageError,
      tagCount: previous?.tagCount,
      images: previous?.images ?? [],
    });

    let tags: string[];
    try {
      tags = await this.tags.listTags(target.policy.repository);
    } catch (error) {
      return failed(toImageError(error, target.policy.repository, at));
    }
    const kept = selectTags(target, tags);
    const before = new Map(previous?.images.map(i => [i.tag, i]));
    const read = await mapLimit(
      kept,
      target.concurrency,
      async (tag): Promise<ScannedImage> => {
        const reference = `${target.policy.repository}:${tag}`;
        try {
          const { digest, metadata } = await this.resolver.resolve(
            reference,
            this.platform,
          );
          return {
            tag,
            digest,
            size: metadata.size,
            created: metadata.created,
            mediaType: metadata.mediaType,
          };
        } catch (error) {
          const last = before.get(tag);
          return {
            tag,
            digest: last?.digest,
            size: last?.size,
            created: last?.created,
            mediaType: last?.mediaType,
            error: toImageError(error, reference, at),
          };
        }
      },
    );
    const unreadable = read.filter(i => i.error);
    if (kept.length > 0 && unreadable.length === kept.length) {
      // Not one kept tag could be read: the scan failed as a whole.
      return failed(unreadable[0].error!);
    }
    const images = target.sort === 'newest-build' ? byBuildTime(read) : read;
    const parts = [
      `Kept ${images.length} of ${tags.length} tags (${target.sort}, limit ${target.policy.discoveryLimit})`,
    ];
    if (unreadable.length > 0) {
      parts.push(
        `${unreadable.length} could not be read: ${
          unreadable[0].error!.message
        }`,
      );
    }
    return {
      ...identity,
      lastScanTime: at,
      lastSuccessTime: at,
      lastScanStatus: 'Success',
      message: parts.join('; '),
      tagCount: tags.length,
      images,
    };
  }
}
