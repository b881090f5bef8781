import type { TrackingStrategy } from 'backstage-plugin-image-freshness-common';

/**
 * One image of one entity, as the last refresh stored it, with the base it
 * is built on when one was found.
 *
 * @public
 */
export interface ImageUse {
  entityRef: string;
  /** The image reference as written (`ghcr.io/acme/api:1.4`). */
  image: string;
  /** os/architecture[/variant] the image was resolved for. */
  platform: string;
  /** Built by the entity's own CI from its Dockerfile (`image-freshness/dockerfile`). */
  managed: boolean;
  /** The base it is built on: absent when none was found, never `scratch`. */
  base?: {
    /** Normalised tag reference (`docker.io/library/node:22`), or a digest reference when pinned by digest only. */
    reference: string;
    tag?: string;
  };
}

/**
 * A tracking policy of `imageFreshness.baseImages.tracking`, as the core
 * applies it to a repository (Digest when none is configured).
 *
 * @public
 */
export interface TrackingPolicyFacts {
  /** `registry/repository`, normalised. */
  repository: string;
  strategy: TrackingStrategy;
  /** SemVer only: a semver range such as `^22`. */
  constraint?: string;
  /** Regular expressions (sources): a tag is a candidate when it matches one (or the list is empty)... */
  allowTags: string[];
  /** ...and none of these. */
  ignoreTags: string[];
  /** At most this many candidate tags. */
  discoveryLimit: number;
}

/**
 * Read access to the base-image facts the core keeps, for features that act
 * on them (the Kargo Warehouse export). Never calls a registry.
 *
 * @public
 */
export interface BaseImageFacts {
  /** Every stored image of every entity still in the catalog. */
  listImageUses(): Promise<ImageUse[]>;
  /** The policy the core tracks `repository` (`registry/repository`) with. */
  trackingPolicyFor(repository: string): TrackingPolicyFacts;
}
