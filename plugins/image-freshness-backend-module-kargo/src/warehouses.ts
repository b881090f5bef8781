import type {
  BaseImageFacts,
  ImageUse,
  TrackingPolicyFacts,
} from 'backstage-plugin-image-freshness-node';
import { createHash } from 'node:crypto';
import { parseReference } from 'oci-client';

/** Kargo's largest `discoveryLimit` (its image subscription schema's maximum). */
export const KARGO_MAX_DISCOVERY_LIMIT = 100;

/** Why a repository is watched: it is an external image, a base, or both. */
export type WatchRole = 'base' | 'external';

/** A `kargo.akuity.io/v1alpha1` image subscription, as Kargo 1.11 defines it. */
export interface KargoImageSubscription {
  repoURL: string;
  imageSelectionStrategy: TrackingPolicyFacts['strategy'];
  constraint?: string;
  allowTagsRegexes?: string[];
  ignoreTagsRegexes?: string[];
  discoveryLimit: number;
  platform?: string;
}

/** A `kargo.akuity.io/v1alpha1` Warehouse with one image subscription. */
export interface KargoWarehouse {
  apiVersion: 'kargo.akuity.io/v1alpha1';
  kind: 'Warehouse';
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
  };
  spec: {
    interval: string;
    freightCreationPolicy: 'Automatic' | 'Manual';
    subscriptions: Array<{ image: KargoImageSubscription }>;
  };
}

/** Label on every generated Warehouse, to select (and prune) them. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'backstage-image-freshness';
/** Annotations naming what a Warehouse watches and for whom. */
export const ANNOTATION_REPOSITORY = 'image-freshness/repository';
export const ANNOTATION_MONITORS = 'image-freshness/monitors';
export const ANNOTATION_DEPENDENTS = 'image-freshness/dependents';

/** One thing Kargo must watch: a repository, for one platform (and one tag, for Digest). */
interface Watch {
  repository: string;
  platform: string;
  /** Digest policies only: the tag whose digest is watched. */
  tag?: string;
  policy: TrackingPolicyFacts;
  roles: Set<WatchRole>;
  /** `entityRef image` of the images built on this base. */
  dependents: Set<string>;
}

/** A use left out of the export, and why (digest-pinned, unparsable). */
export interface SkippedUse {
  reference: string;
  entityRef: string;
  reason: string;
}

const DNS_LABEL_MAX = 63;

/**
 * A valid Kubernetes name (RFC 1123 label: at most 63 lowercase letters,
 * digits and `-`, starting and ending with a letter or digit), readable and
 * stable: the watched repository (and tag) slugged, then 8 hex digits of a
 * hash of what is watched, so two repositories that slug alike never share a
 * name and a run gives the same name as the last.
 */
export function warehouseName(watch: {
  repository: string;
  platform: string;
  tag?: string;
}): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([watch.repository, watch.platform, watch.tag ?? '']))
    .digest('hex')
    .slice(0, 8);
  const slug = [watch.repository, watch.tag]
    .filter(Boolean)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, DNS_LABEL_MAX - hash.length - 1)
    .replace(/^-+|-+$/g, '');
  return slug ? `${slug}-${hash}` : `image-${hash}`;
}

/** `os/arch` of `os/arch[/variant]`: Kargo's platform has no variant. */
export function kargoPlatform(platform: string): string {
  return platform.split('/').slice(0, 2).join('/');
}

function parse(
  reference: string,
): { repository: string; tag?: string } | { error: string } {
  try {
    const ref = parseReference(reference);
    // pinned by digest alone: no tag
    return { repository: `${ref.registry}/${ref.repository}`, tag: ref.tag };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * The Warehouses Kargo must reconcile, from the stored images: a Warehouse
 * for every repository that must be monitored (external images, those
 * without a Dockerfile, and every discovered base image), never for an image
 * the portal's CI builds (managed), which appears only among the dependents
 * of its base. Each Warehouse has one image subscription from the
 * repository's tracking policy; as Kargo allows one subscription per
 * repository in a Warehouse, a repository used for several platforms, or
 * under the Digest policy with several tags, gets one Warehouse for each.
 * Sorted by name.
 */
export function buildWarehouses(options: {
  uses: readonly ImageUse[];
  policyFor: BaseImageFacts['trackingPolicyFor'];
  namespace: string;
  interval: string;
  freightCreationPolicy: 'Automatic' | 'Manual';
}): { warehouses: KargoWarehouse[]; skipped: SkippedUse[] } {
  const managed = new Set<string>();
  for (const use of options.uses) {
    const parsed = parse(use.image);
    if (use.managed && 'repository' in parsed) managed.add(parsed.repository);
  }
  const watches = new Map<string, Watch>();
  const skipped: SkippedUse[] = [];
  const watch = (use: ImageUse, reference: string, role: WatchRole): void => {
    const parsed = parse(reference);
    if ('error' in parsed) {
      skipped.push({
        reference,
        entityRef: use.entityRef,
        reason: parsed.error,
      });
      return;
    }
    const policy = options.policyFor(parsed.repository);
    const digest = policy.strategy === 'Digest';
    if (digest && !parsed.tag) {
      skipped.push({
        reference,
        entityRef: use.entityRef,
        reason:
          'pinned by digest alone: the Digest policy watches a tag; name one, or configure a tracking policy for the repository',
      });
      return;
    }
    const platform = kargoPlatform(use.platform);
    const key = {
      repository: parsed.repository,
      platform,
      tag: digest ? parsed.tag : undefined,
    };
    const name = warehouseName(key);
    const entry = watches.get(name) ?? {
      ...key,
      policy,
      roles: new Set<WatchRole>(),
      dependents: new Set<string>(),
    };
    entry.roles.add(role);
    if (role === 'base') entry.dependents.add(`${use.entityRef} ${use.image}`);
    watches.set(name, entry);
  };
  for (const use of options.uses) {
    if (!use.managed) {
      const parsed = parse(use.image);
      // an image some entity builds is CI's, wherever else it runs
      if (!('repository' in parsed) || !managed.has(parsed.repository)) {
        watch(use, use.image, 'external');
      }
    }
    if (use.base) watch(use, use.base.reference, 'base');
  }
  const warehouses = [...watches.entries()]
    // by code point, the same on every machine (not localeCompare)
    .sort(([a], [b]) => Number(a > b) - Number(a < b))
    .map(([name, w]) => toWarehouse(name, w, options));
  return { warehouses, skipped };
}

function toWarehouse(
  name: string,
  w: Watch,
  options: {
    namespace: string;
    interval: string;
    freightCreationPolicy: 'Automatic' | 'Manual';
  },
): KargoWarehouse {
  const { policy } = w;
  const image: KargoImageSubscription = {
    repoURL: w.repository,
    imageSelectionStrategy: policy.strategy,
    discoveryLimit: Math.min(policy.discoveryLimit, KARGO_MAX_DISCOVERY_LIMIT),
  };
  if (policy.strategy === 'Digest') {
    // Kargo's Digest strategy watches the tag named in the constraint.
    image.constraint = w.tag;
  } else {
    if (policy.constraint) image.constraint = policy.constraint;
    if (policy.allowTags.length) image.allowTagsRegexes = [...policy.allowTags];
    if (policy.ignoreTags.length) {
      image.ignoreTagsRegexes = [...policy.ignoreTags];
    }
  }
  image.platform = w.platform;
  const annotations: Record<string, string> = {
    [ANNOTATION_REPOSITORY]: w.tag ? `${w.repository}:${w.tag}` : w.repository,
    [ANNOTATION_MONITORS]: [...w.roles].sort().join(','),
  };
  if (w.dependents.size) {
    annotations[ANNOTATION_DEPENDENTS] = [...w.dependents].sort().join('\n');
  }
  return {
    apiVersion: 'kargo.akuity.io/v1alpha1',
    kind: 'Warehouse',
    metadata: {
      name,
      namespace: options.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations,
    },
    spec: {
      interval: options.interval,
      freightCreationPolicy: options.freightCreationPolicy,
      subscriptions: [{ image }],
    },
  };
}
