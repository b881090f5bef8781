import type { UrlReaderService } from '@backstage/backend-plugin-api';
import {
  ANNOTATION_LOCATION,
  ANNOTATION_SOURCE_LOCATION,
  Entity,
  parseLocationRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ANNOTATION_DOCKERFILE,
  ErrorClass,
  ImageError,
  ImageMetadata,
} from 'backstage-plugin-image-freshness-common';
import type { BaseSourceInfo } from './BaseImageStore';
import type { BuildRecordStore } from './BuildRecordStore';
import { DockerfileError, parseDockerfile } from './DockerfileParser';

type ParsedDockerfile = ReturnType<typeof parseDockerfile>;
/** Parsed Dockerfiles kept in memory (by URL, ETag and platform). */
const MAX_PARSED_DOCKERFILES = 1000;

/** OCI's annotation (and label) keys for the base an image was built on. */
export const BASE_NAME_KEY = 'org.opencontainers.image.base.name';
/** @see BASE_NAME_KEY */
export const BASE_DIGEST_KEY = 'org.opencontainers.image.base.digest';
const SOURCE_KEY = 'org.opencontainers.image.source';

/** The Dockerfile path when the entity does not name one. */
export const DEFAULT_DOCKERFILE = 'Dockerfile';
/** Dockerfiles larger than this are not read. */
const MAX_DOCKERFILE_BYTES = 1024 * 1024;

/** A base as found, with where it was found. */
export interface FoundBase {
  /** As written: `node:22`, `registry/x:1@sha256:...`, or `scratch`. */
  name: string;
  /** The digest the image was built on, when recorded. */
  digest?: string;
  scratch: boolean;
  source: BaseSourceInfo;
}

/** The final-stage base of an entity's Dockerfile, or why it is not known. */
export type DockerfileOutcome =
  | { base: FoundBase; location: DockerfileLocation }
  | { error: ImageError; location?: DockerfileLocation };

/** Where an entity's Dockerfile is. */
export interface DockerfileLocation {
  /** As given by `image-freshness/dockerfile`, default `Dockerfile`. */
  path: string;
  url: string;
}

function imageError(
  errorClass: ErrorClass,
  message: string,
  advice: string,
  at: Date,
): ImageError {
  return { class: errorClass, message, advice, at: at.toISOString() };
}

/** `host/owner/repo` of a repository URL, for comparing source URLs. */
function repositoryOf(url: string): string | undefined {
  try {
    const parsed = new URL(url.replace(/^git\+/, '').replace(/^url:/, ''));
    const [owner, repo] = parsed.pathname.split('/').filter(Boolean);
    if (!owner || !repo) return undefined;
    return `${parsed.host}/${owner}/${repo.replace(
      /\.git$/,
      '',
    )}`.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * Finds what an image is built on, in order: manifest or index annotations
 * `org.opencontainers.image.base.name`/`.base.digest`, config labels of the
 * same names, then the final stage of the entity's Dockerfile (read through
 * the UrlReader from `backstage.io/source-location` and
 * `image-freshness/dockerfile`).
 */
export class BaseImageFinder {
  private readonly urlReader: UrlReaderService;
  private readonly records?: Pick<
    BuildRecordStore,
    'getDockerfile' | 'putDockerfile'
  >;
  /** Parsed Dockerfiles by URL, ETag and platform (the TARGET* ARGs). */
  private readonly parsed = new Map<string, ParsedDockerfile>();

  constructor(options: {
    urlReader: UrlReaderService;
    /** Where each Dockerfile's last read and ETag are kept; without it, every pass reads it. */
    records?: Pick<BuildRecordStore, 'getDockerfile' | 'putDockerfile'>;
  }) {
    this.urlReader = options.urlReader;
    this.records = options.records;
  }

  /** The base recorded in the image's manifest (or index) annotations. */
  fromAnnotations(metadata: ImageMetadata | undefined): FoundBase | undefined {
    return metadata && this.recorded(metadata.annotations, 'annotation');
  }

  /** The base recorded in the image config's labels. */
  fromLabels(metadata: ImageMetadata | undefined): FoundBase | undefined {
    return metadata && this.recorded(metadata.labels, 'label');
  }

  private recorded(
    values: Record<string, string>,
    kind: 'annotation' | 'label',
  ): FoundBase | undefined {
    const name = values[BASE_NAME_KEY]?.trim();
    if (!name) return undefined;
    const digest = values[BASE_DIGEST_KEY]?.trim() || undefined;
    return {
      name,
      digest,
      scratch: name.toLowerCase() === 'scratch',
      source: { kind },
    };
  }

  /** Whether the entity declares a Dockerfile: its images are managed. */
  isManaged(entity: Entity): boolean {
    return Boolean(entity.metadata.annotations?.[ANNOTATION_DOCKERFILE]);
  }

  /**
   * Whether an image of a managed entity is built from the entity's
   * Dockerfile: yes, unless its `org.opencontainers.image.source` label names
   * another repository than the entity's source location (a sidecar).
   */
  isBuiltHere(entity: Entity, metadata: ImageMetadata | undefined): boolean {
    if (!this.isManaged(entity)) return false;
    const label =
      metadata?.labels[SOURCE_KEY] ?? metadata?.annotations[SOURCE_KEY];
    const location = this.baseUrl(entity);
    if (!label || !location || 'error' in location) return true;
    const image = repositoryOf(label);
    const entityRepo = repositoryOf(location.url);
    return !image || !entityRepo || image === entityRepo;
  }

  private baseUrl(
    entity: Entity,
  ): { url: string; relativeToFile: boolean } | { error: string } | undefined {
    const annotations = entity.metadata.annotations ?? {};
    const source = annotations[ANNOTATION_SOURCE_LOCATION];
    const managedBy = annotations[ANNOTATION_LOCATION];
    const value = source ?? managedBy;
    if (!value) return undefined;
    const key = source ? ANNOTATION_SOURCE_LOCATION : ANNOTATION_LOCATION;
    let ref: { type: string; target: string };
    try {
      ref = parseLocationRef(value);
    } catch (error) {
      return {
        error: `${key} "${value}" is not a location: ${
          (error as Error).message
        }`,
      };
    }
    if (ref.type !== 'url') {
      return {
        error: `${key} is a ${ref.type}: location, which cannot be read through the UrlReader; set backstage.io/source-location to url:<repository URL>/`,
      };
    }
    if (source) {
      // A source location is a directory: resolve the Dockerfile inside it.
      return {
        url: ref.target.endsWith('/') ? ref.target : `${ref.target}/`,
        relativeToFile: false,
      };
    }
    return { url: ref.target, relativeToFile: true };
  }

  /** Where the entity's Dockerfile is, or why that is not known. */
  locate(entity: Entity, at: Date): DockerfileLocation | { error: ImageError } {
    const entityRef = stringifyEntityRef(entity);
    const path =
      entity.metadata.annotations?.[ANNOTATION_DOCKERFILE]?.trim() ||
      DEFAULT_DOCKERFILE;
    const base = this.baseUrl(entity);
    if (!base || 'error' in base) {
      return {
        error: imageError(
          'INVALID_REQUEST',
          `${entityRef} declares ${ANNOTATION_DOCKERFILE} "${path}" but ${
            base ? base.error : `has no ${ANNOTATION_SOURCE_LOCATION}`
          }`,
          `Add ${ANNOTATION_SOURCE_LOCATION}: url:<repository URL>/ so the Dockerfile can be read relative to it.`,
          at,
        ),
      };
    }
    try {
      return {
        path,
        url: new URL(path.replace(/^\/+/, ''), base.url).toString(),
      };
    } catch (error) {
      return {
        error: imageError(
          'INVALID_REQUEST',
          `${entityRef}: cannot resolve ${ANNOTATION_DOCKERFILE} "${path}" against ${
            base.url
          }: ${(error as Error).message}`,
          `Fix ${ANNOTATION_DOCKERFILE} or ${ANNOTATION_SOURCE_LOCATION}.`,
          at,
        ),
      };
    }
  }

  /**
   * Reads and parses the entity's Dockerfile. `platform` fills BuildKit's
   * TARGET* ARGs. Never throws: a failure is a classified error naming the
   * file (and, for malformed content, the line) and what to do.
   */
  async fromDockerfile(
    entity: Entity,
    platform: string,
    at: Date,
  ): Promise<DockerfileOutcome> {
    const location = this.locate(entity, at);
    if ('error' in location) {
      return location;
    }
    const read = await this.read(location, at);
    if ('error' in read) {
      return { location, error: read.error };
    }
    try {
      const parsed = this.parse(location.url, read, platform);
      return {
        location,
        base: {
          name: parsed.image,
          digest: parsed.digest,
          scratch: parsed.scratch,
          source: {
            kind: 'dockerfile',
            dockerfile: {
              path: location.path,
              url: location.url,
              line: parsed.line,
              text: parsed.text,
            },
            ...(parsed.platform ? { platform: parsed.platform } : {}),
          },
        },
      };
    } catch (error) {
      if (error instanceof DockerfileError) {
        const where = error.line
          ? `${location.path} line ${error.line}`
          : location.path;
        return {
          location,
          error: imageError(
            'INVALID_REQUEST',
            `Dockerfile ${where} (${location.url}): ${error.message}`,
            `Fix ${where} in the entity's repository; the last base found in it is kept until then.`,
            at,
          ),
        };
      }
      throw error;
    }
  }

  /** The parsed final stage, kept per URL, ETag and platform. */
  private parse(
    url: string,
    read: { content: string; etag?: string },
    platform: string,
  ): ParsedDockerfile {
    const key = read.etag ? `${url}\n${read.etag}\n${platform}` : undefined;
    const known = key ? this.parsed.get(key) : undefined;
    if (known) return known;
    const parsed = parseDockerfile(read.content, { platform });
    if (key) {
      if (this.parsed.size >= MAX_PARSED_DOCKERFILES) {
        this.parsed.delete(this.parsed.keys().next().value!);
      }
      this.parsed.set(key, parsed);
    }
    return parsed;
  }

  /**
   * The Dockerfile's text: downloaded when it is new or changed (the UrlReader
   * sends the kept ETag; `NotModifiedError` means the kept text still holds).
   */
  private async read(
    location: DockerfileLocation,
    at: Date,
  ): Promise<{ content: string; etag?: string } | { error: ImageError }> {
    const kept = await this.records?.getDockerfile(location.url);
    try {
      const response = await this.urlReader.readUrl(
        location.url,
        kept?.etag ? { etag: kept.etag } : undefined,
      );
      const buffer = await response.buffer();
      if (buffer.length > MAX_DOCKERFILE_BYTES) {
        return {
          error: imageError(
            'TOO_LARGE',
            `Dockerfile ${location.url} is ${buffer.length} bytes, more than ${MAX_DOCKERFILE_BYTES}`,
            `Check that ${ANNOTATION_DOCKERFILE} points at a Dockerfile.`,
            at,
          ),
        };
      }
      const content = buffer.toString('utf8');
      const etag = response.etag || undefined;
      await this.records?.putDockerfile({
        url: location.url,
        etag,
        content,
        readAt: at,
      });
      return { content, etag };
    } catch (error) {
      if (kept && (error as Error)?.name === 'NotModifiedError') {
        return { content: kept.content, etag: kept.etag };
      }
      return { error: readError(error, location, at) };
    }
  }
}

/** Classifies a UrlReader failure. */
function readError(
  error: unknown,
  location: DockerfileLocation,
  at: Date,
): ImageError {
  const name = (error as Error)?.name;
  const message = (error as Error)?.message ?? String(error);
  const text = `Could not read Dockerfile ${location.url}: ${message}`;
  if (name === 'NotFoundError') {
    return imageError(
      'NOT_FOUND',
      text,
      `Check ${ANNOTATION_DOCKERFILE} ("${location.path}") and ${ANNOTATION_SOURCE_LOCATION}: the file must exist there.`,
      at,
    );
  }
  if (name === 'NotAllowedError' || /not allowed/i.test(message)) {
    return imageError(
      'BLOCKED_HOST',
      text,
      'Configure an integration for this host, or add it to backend.reading.allow.',
      at,
    );
  }
  if (/\b(401|403)\b/.test(message) || name === 'AuthenticationError') {
    return imageError(
      'AUTHENTICATION',
      text,
      'Configure integration credentials that can read this repository.',
      at,
    );
  }
  if (/\b429\b/.test(message)) {
    return imageError(
      'RATE_LIMITED',
      text,
      'The source host is rate limiting; it is retried on the next refresh.',
      at,
    );
  }
  if (/\b5\d\d\b|Unable to read/.test(message)) {
    return imageError(
      'SERVER_ERROR',
      text,
      'The source host failed or could not be reached; it is retried on the next refresh.',
      at,
    );
  }
  return imageError(
    'UNKNOWN',
    text,
    'An unexpected error; see the backend logs for details.',
    at,
  );
}
