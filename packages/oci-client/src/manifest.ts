import type { Platform } from './platform';

/** Manifest media types a registry may answer with. @public */
export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList:
    'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;

/** All four, for the Accept header: without the OCI index type, a registry may answer 404 for an index. */
export const MANIFEST_ACCEPT = Object.values(MEDIA_TYPES).join(', ');

/** A content descriptor: what an index entry or a manifest's config and layers are. @public */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** An image manifest (OCI or Docker v2). @public */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An index or manifest list. @public */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The parts of an image config this client reads. @public */
export interface ImageConfig {
  created?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: { Labels?: Record<string, string> | null };
}

/** Whether a manifest is an index or manifest list, by media type or shape. */
export function isIndex(
  mediaType: string,
  body: ImageManifest | ImageIndex,
): body is ImageIndex {
  return (
    mediaType === MEDIA_TYPES.ociIndex ||
    mediaType === MEDIA_TYPES.dockerManifestList ||
    Array.isArray((body as ImageIndex).manifests)
  );
}

const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;

type Check = (value: unknown, path: string) => string | undefined;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Absent and null both mean "not given", as Go's JSON decoding reads them. */
const optional =
  (check: Check): Check =>
  (value, path) =>
    value === undefined || value === null ? undefined : check(value, path);

const string: Check = (value, path) =>
  typeof value === 'string' ? undefined : `${path} is not a string`;

const stringMap: Check = (value, path) => {
  if (!isObject(value)) return `${path} is not an object`;
  const key = Object.keys(value).find(k => typeof value[k] !== 'string');
  return key === undefined
    ? undefined
    : `${path}[${JSON.stringify(key)}] is not a string`;
};

/** The first problem of the fields `checks` names, if any. */
function fields(
  value: Record<string, unknown>,
  path: string,
  checks: Record<string, Check>,
): string | undefined {
  for (const [name, check] of Object.entries(checks)) {
    const problem = check(value[name], `${path}.${name}`);
    if (problem) return problem;
  }
  return undefined;
}

const platform: Check = (value, path) =>
  isObject(value)
    ? fields(value, path, {
        os: string,
        architecture: string,
        variant: optional(string),
      })
    : `${path} is not an object`;

const descriptor: Check = (value, path) => {
  if (!isObject(value)) return `${path} is not an object`;
  if (typeof value.digest !== 'string' || !DIGEST.test(value.digest)) {
    return `${path}.digest is not a sha256 or sha512 digest`;
  }
  if (
    value.size !== undefined &&
    !(Number.isSafeInteger(value.size) && (value.size as number) >= 0)
  ) {
    return `${path}.size is not a byte count`;
  }
  return fields(value, path, {
    mediaType: optional(string),
    annotations: optional(stringMap),
    platform: optional(platform),
  });
};

const descriptors: Check = (value, path) => {
  if (!Array.isArray(value)) return `${path} is not an array`;
  for (let i = 0; i < value.length; i++) {
    const problem = descriptor(value[i], `${path}[${i}]`);
    if (problem) return problem;
  }
  return undefined;
};

/**
 * What is wrong with a manifest or index body, or undefined when its shape is
 * what the types promise: descriptors with real digests and byte counts,
 * string annotations, platforms of strings. A manifest without a config is
 * left for the caller to judge (it is not an image, but may be an artifact).
 */
export function manifestProblem(
  body: unknown,
  mediaType: string,
): string | undefined {
  if (!isObject(body)) return 'it is not a JSON object';
  const common = fields(body, '', {
    mediaType: optional(string),
    annotations: optional(stringMap),
  });
  if (common) return common;
  if (isIndex(mediaType, body as unknown as ImageIndex)) {
    return descriptors(body.manifests, '.manifests');
  }
  return fields(body, '', {
    config: optional(descriptor),
    layers: optional(descriptors),
  });
}

/** What is wrong with an image config, or undefined when it is what {@link ImageConfig} promises. */
export function configProblem(body: unknown): string | undefined {
  if (!isObject(body)) return 'it is not a JSON object';
  return fields(body, '', {
    created: optional(string),
    architecture: optional(string),
    os: optional(string),
    variant: optional(string),
    config: optional((value, path) =>
      isObject(value)
        ? fields(value, path, { Labels: optional(stringMap) })
        : `${path} is not an object`,
    ),
  });
}
