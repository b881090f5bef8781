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

/** @public */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

/** @public */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
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

/** Parses `os/arch[/variant]`; `arm64` means variant `v8` unless one is given. @public */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.trim().split('/');
  if (!os || !architecture) {
    throw new Error(
      `Invalid platform "${text}": use os/architecture[/variant], e.g. linux/arm64`,
    );
  }
  return { os, architecture, variant: variant || undefined };
}

function normalisedVariant(platform: Platform): string | undefined {
  if (platform.variant) return platform.variant;
  return platform.architecture === 'arm64' ? 'v8' : undefined;
}

function matches(candidate: Platform | undefined, wanted: Platform): boolean {
  return (
    candidate !== undefined &&
    candidate.os === wanted.os &&
    candidate.architecture === wanted.architecture &&
    normalisedVariant(candidate) === normalisedVariant(wanted)
  );
}

const DEFAULT_PLATFORM: Platform = { os: 'linux', architecture: 'amd64' };

/**
 * Picks the entry of an index for a platform: the wanted one, else
 * linux/amd64, else the first; attestation entries (unknown/unknown) never.
 *
 * @public
 */
export function selectPlatform(
  index: ImageIndex,
  wanted?: Platform,
): Descriptor | undefined {
  const images = index.manifests.filter(
    m =>
      m.platform?.os !== 'unknown' &&
      m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest',
  );
  return (
    (wanted && images.find(m => matches(m.platform, wanted))) ??
    images.find(m => matches(m.platform, DEFAULT_PLATFORM)) ??
    images[0]
  );
}

/** Formats a platform as `os/architecture[/variant]`. @public */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant]
    .filter(Boolean)
    .join('/');
}
