import type {
  ContainerReport,
  Platform,
} from 'backstage-plugin-image-freshness-common';

/** The first 12 hex digits of a digest, as `docker images` shows them. */
export function shortDigest(digest?: string): string {
  if (!digest) {
    return '';
  }
  const colon = digest.indexOf(':');
  return digest.slice(colon + 1, colon + 13);
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Bytes in decimal units, as registries and `docker images` show them: `48.3 MB`. */
export function formatBytes(bytes?: number): string {
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0) {
    return '';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** `linux/arm64/v8` */
export function formatPlatform(platform?: Platform): string {
  if (!platform) {
    return '';
  }
  return [platform.os, platform.architecture, platform.variant]
    .filter(Boolean)
    .join('/');
}

/** `cluster / namespace`, the place of a workload. */
export function workloadPlace(workload: ContainerReport['workload']): string {
  return [workload.cluster, workload.namespace].filter(Boolean).join(' / ');
}

/**
 * The tag's digest, the one pods, `/metrics` and registries' tools show: the
 * report's `digest`, or from the older fields (`metadata.indexDigest` of a
 * multi-arch image, else `metadata.digest`) on a backend that predates it.
 */
export function tagDigest(
  c: Pick<ContainerReport, 'digest' | 'metadata'>,
): string | undefined {
  return c.digest ?? c.metadata?.indexDigest ?? c.metadata?.digest;
}

/** The chosen platform's manifest digest of a multi-arch image; undefined for a single-platform one. */
export function platformDigest(
  c: Pick<ContainerReport, 'digest' | 'platformDigest' | 'metadata'>,
): string | undefined {
  if (c.platformDigest) return c.platformDigest;
  if (c.digest) return undefined;
  return c.metadata?.indexDigest ? c.metadata.digest : undefined;
}

export { driftOf, type Drift } from 'backstage-plugin-image-freshness-common';

/** `ghcr.io/acme/api:1.4` → `{ repository: 'ghcr.io/acme/api', tag: '1.4' }` */
export function splitImage(image: string): {
  repository: string;
  tag?: string;
  digest?: string;
} {
  const at = image.indexOf('@');
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const name = at === -1 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) {
    return {
      repository: name.slice(0, colon),
      tag: name.slice(colon + 1),
      digest,
    };
  }
  return { repository: name, digest };
}

/** `name:tag` of a reference, without its registry and path (`redis:7.2.4-alpine`), for tight places; the whole reference belongs in a title. */
export function shortImageName(image: string): string {
  const { repository, tag, digest } = splitImage(image);
  const name = repository.slice(repository.lastIndexOf('/') + 1);
  if (tag) return `${name}:${tag}`;
  return digest ? `${name}@${shortDigest(digest)}` : name;
}
