import type { ErrorClass } from './errors';

/**
 * Where a container was found.
 * `Annotation` marks images declared with `image-freshness/images`.
 *
 * @public
 */
export type ContainerKind =
  | 'Pod'
  | 'Deployment'
  | 'ReplicaSet'
  | 'StatefulSet'
  | 'DaemonSet'
  | 'Job'
  | 'CronJob'
  | 'Annotation';

/** @public */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Immutable facts about an image, keyed by its manifest digest. @public */
export interface ImageMetadata {
  /** Digest of the image manifest (the chosen platform's manifest). */
  digest: string;
  /** Digest of the index (manifest list) the tag points at, when multi-arch. */
  indexDigest?: string;
  mediaType: string;
  /** ISO 8601; absent when the image records no build time. */
  created?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Config plus layers, in bytes. */
  size: number;
  platform?: Platform;
}

/** A classified error about one image or one source. @public */
export interface ImageError {
  class: ErrorClass;
  message: string;
  /** What to do about it. */
  advice: string;
  /** When it was last seen (ISO 8601). */
  at: string;
  /** When this class of error was first seen in a row (ISO 8601). */
  firstSeen?: string;
}

/** @public */
export type FreshnessVerdict = 'fresh' | 'aging' | 'stale' | 'unknown';

/** @public */
export interface Verdict<T extends string> {
  verdict: T;
  reason: string;
}

/** One container of one workload (or one annotation-declared image). @public */
export interface ContainerReport {
  /** The container's name, or `annotation` for annotation-declared images. */
  container: string;
  workload: {
    cluster?: string;
    namespace?: string;
    kind: ContainerKind;
    name: string;
    /** The seed exporter's jsonpath, e.g. `{.spec.containers[0]}`. */
    jsonpath?: string;
  };
  /** The reference as written, e.g. `ghcr.io/acme/api:1.4`. */
  image: string;
  /** The digest that really runs (pods only). */
  runningDigest?: string;
  metadata?: ImageMetadata;
  freshness: Verdict<FreshnessVerdict>;
  /** When the metadata was last resolved successfully (ISO 8601). */
  resolvedAt?: string;
  /** The last resolve error; earlier good metadata stays beside it. */
  error?: ImageError;
}

/** The answer of `GET /entities/:kind/:namespace/:name`. @public */
export interface EntityImageReport {
  entityRef: string;
  /** ISO 8601; absent until the first refresh ran. */
  refreshedAt?: string;
  containers: ContainerReport[];
  /** Errors about sources, such as a cluster that did not answer. */
  errors: Array<ImageError & { source: string }>;
}
