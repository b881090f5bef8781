import { OciError } from './errors';
import type { Descriptor, ImageIndex } from './manifest';

/** An OCI platform, as in an image config and an index entry. @public */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Architecture names as uname and distributions spell them, to the names OCI uses. */
const ARCHITECTURE_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  aarch64: 'arm64',
};

/** The variant an architecture means when none is said, as containerd normalises. */
const DEFAULT_VARIANTS: Record<string, string> = { arm64: 'v8', arm: 'v7' };

/**
 * Parses `os/arch[/variant]` (`linux/arm64`, `linux/arm/v7`); `x86_64` and
 * `aarch64` are accepted for `amd64` and `arm64`. Fails with INVALID_REQUEST.
 *
 * @public
 */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().toLowerCase().split('/');
  const [os, arch, variant] = parts;
  if (
    !os ||
    !arch ||
    parts.length > 3 ||
    parts.some(p => !/^[a-z0-9_.-]+$/.test(p))
  ) {
    throw new OciError(
      'INVALID_REQUEST',
      `Invalid platform "${text}": use os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8`,
    );
  }
  return {
    os,
    architecture: ARCHITECTURE_ALIASES[arch] ?? arch,
    variant: variant || undefined,
  };
}

function architecture(platform: Platform): string {
  return ARCHITECTURE_ALIASES[platform.architecture] ?? platform.architecture;
}

function normalisedVariant(platform: Platform): string | undefined {
  const arch = architecture(platform);
  const variant = platform.variant || DEFAULT_VARIANTS[arch];
  // amd64's baseline micro-architecture level is what no variant means.
  return arch === 'amd64' && variant === 'v1' ? undefined : variant;
}

function matches(candidate: Platform | undefined, wanted: Platform): boolean {
  return (
    candidate !== undefined &&
    candidate.os === wanted.os &&
    architecture(candidate) === architecture(wanted) &&
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
