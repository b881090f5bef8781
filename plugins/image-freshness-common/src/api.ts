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
  /**
   * Digest of the image manifest (the chosen platform's manifest).
   *
   * @deprecated Use the container's `platformDigest` (this digest) and
   * `digest` (the tag's digest); removed in the next release.
   */
  digest: string;
  /**
   * Digest of the index (manifest list) the tag points at, when multi-arch.
   *
   * @deprecated Use the container's `digest`, the tag's digest for every
   * image; removed in the next release.
   */
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

/** Vulnerability counts of one image, from its last good Trivy scan. @public */
export interface VulnerabilityCounts {
  /** Count per severity, e.g. `{ CRITICAL: 1, HIGH: 4 }`. */
  counts: Record<string, number>;
  total: number;
  /** ISO 8601. */
  scannedAt: string;
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
  /** The tag of the reference (`latest` when none is written), absent for digest-only or malformed references. */
  tag?: string;
  /** The digest that really runs (pods only). */
  runningDigest?: string;
  /**
   * The tag's digest: what the tag points at, as pods' `imageID`, `/metrics`,
   * `docker pull` and `crane digest` show it (the index digest of a
   * multi-arch image). Absent until resolved.
   */
  digest?: string;
  /** For a multi-arch image: the digest of the chosen platform's manifest (`metadata.platform`), the one the metadata describes. */
  platformDigest?: string;
  metadata?: ImageMetadata;
  freshness: Verdict<FreshnessVerdict>;
  /** Vulnerabilities of the image, when a scanner is available and has scanned it. */
  vulnerabilities?: VulnerabilityCounts;
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
  /** Whether vulnerability summaries exist on this backend (a `trivy` binary), and why not. */
  vulnerabilities?: {
    available: boolean;
    reason?: string;
    severities: string[];
  };
  /** The freshness limit the verdicts were made against (an ISO 8601 duration) and where it came from. */
  maxAge?: { duration: string; source: 'annotation' | 'config' };
  containers: ContainerReport[];
  /** The base of every distinct image the entity runs. */
  baseImages: BaseImageReport[];
  /** Errors about sources, such as a cluster that did not answer. */
  errors: Array<ImageError & { source: string }>;
}

/** @public */
export type BaseVerdict = 'current' | 'updated' | 'rebuild-due' | 'unknown';

/**
 * Where a base image was found: the image's OCI base annotations, BuildKit's
 * provenance attestation, the config's labels, or the entity's Dockerfile.
 *
 * @public
 */
export type BaseSource = 'annotation' | 'provenance' | 'label' | 'dockerfile';

/**
 * The provenance record a base was read from: a SLSA provenance statement
 * in the attestation manifest BuildKit attaches to the image's index.
 *
 * @public
 */
export interface ProvenanceSourceInfo {
  /** Digest of the attestation manifest. */
  attestation: string;
  /** `https://slsa.dev/provenance/v0.2` or `https://slsa.dev/provenance/v1`. */
  predicateType: string;
  /** The material (v0.2) or resolved dependency (v1) URI, e.g. `pkg:docker/alpine@3.17?platform=linux%2Famd64`. */
  uri: string;
  /**
   * How the final stage's base was told: `build-steps`, by following the
   * final image's root filesystem through BuildKit's build steps
   * (`buildConfig.llbDefinition`, provenance mode=max); `only-image`, it is
   * the only image the build used (after the gateway frontend's own image).
   */
  determinedBy: 'build-steps' | 'only-image';
  /** The final stage's FROM line, from BuildKit's source map (mode=max). */
  dockerfile?: { path: string; line: number; text: string };
}

/** How newer versions of a base are looked for (as Kargo warehouses define them). @public */
export type TrackingStrategy = 'SemVer' | 'Lexical' | 'NewestBuild' | 'Digest';

/** What an image is built on, and whether it needs a rebuild. @public */
export interface BaseImageReport {
  /** The image (reference as written) whose base this is. */
  image: string;
  /** Digest of that image's manifest. */
  imageDigest?: string;
  /** Managed: built by the entity's own CI from its Dockerfile; external: monitored by tag. */
  managed: boolean;
  base?: {
    /** The base reference, e.g. `docker.io/library/node:22-bookworm-slim`. */
    name: string;
    /** The digest the image was built on (base.digest annotation or label, the provenance's digest, or a digest-pinned FROM). */
    builtOnDigest?: string;
    /** The digest the base tag points to now. */
    currentDigest?: string;
    /**
     * How the built-on digest was found when no annotation or digest-pinned FROM
     * recorded it: the base digest current at the image's build time per the
     * history (`build-time`), or the first digest seen (`first-seen`).
     */
    builtOnInferred?: 'build-time' | 'first-seen';
    /** The newest tag the tracking policy allows, when it differs from the tag in use. */
    newestTag?: string;
    /** Tags the tracking policy allows that are newer than the tag in use, newest first (at most `discoveryLimit`). */
    newerTags?: string[];
    /** When a tag newer than the one in use was first seen (ISO 8601). */
    newerTagSince?: string;
    strategy: TrackingStrategy;
    /** When the base was last resolved successfully (ISO 8601). */
    checkedAt?: string;
    /** When the base tag was first seen pointing away from the built-on digest (ISO 8601). */
    movedAt?: string;
    /** When a rebuild is (or was) due: movedAt + rebuild delay (ISO 8601). */
    rebuildDueAt?: string;
    source: {
      kind: BaseSource;
      /** For Dockerfile bases: where the FROM line is. */
      dockerfile?: { path: string; url?: string; line: number; text: string };
      /** `--platform` of the FROM line, when given. */
      platform?: string;
      /** For provenance bases: the attestation and the record in it. */
      provenance?: ProvenanceSourceInfo;
    };
  };
  verdict: Verdict<BaseVerdict>;
  error?: ImageError;
}
