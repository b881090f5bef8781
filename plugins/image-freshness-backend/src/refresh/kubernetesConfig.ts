/*
 * The settings of the Kubernetes sources, and the Kubernetes backend's own
 * rules for which objects and clusters are an entity's, read from the same
 * root config the Kubernetes backend reads. Where each rule comes from, in
 * @backstage/plugin-kubernetes-backend's dist/:
 *
 * - which object types are listed, at which API version:
 *   service/KubernetesInitializer.cjs.js (`defaultObjectsProviderOptions`:
 *   `kubernetes.objectTypes` filters ALL_OBJECTS, `apiVersionOverrides`
 *   replaces an object type's apiVersion) and the lists DEFAULT_OBJECTS /
 *   ALL_OBJECTS in service/KubernetesFanOutHandler.cjs.js;
 * - which clusters are an entity's: service-locator/*.cjs.js
 *   (buildDefaultServiceLocator: `kubernetes.serviceLocatorMethod.type`;
 *   MultiTenant: all; SingleTenant: the `backstage.io/kubernetes-cluster`
 *   annotation when set, else all; CatalogRelation: clusters named by a
 *   `dependsOn` relation to `resource:<entity namespace>/<cluster name>`);
 * - which auth providers work without the user's own token:
 *   auth/buildDefaultAuthStrategyMap.cjs.js (the providers) and
 *   auth/GoogleStrategy, OidcStrategy, AksStrategy (these three read the
 *   token from the request, i.e. from the signed-in user's browser).
 */
import type { Config } from '@backstage/config';
import type { Entity } from '@backstage/catalog-model';
import { ANNOTATION_KUBERNETES_CLUSTER } from 'backstage-plugin-image-freshness-common';
import { WORKLOAD_TYPES, type WorkloadType } from './kubernetesObjects';

/** How the scheduled refresh reads Kubernetes workloads. */
export type KubernetesSourceMode = 'auto' | 'clusterWide' | 'perEntity';

/** The settings of the Kubernetes sources. */
export interface KubernetesSourceSettings {
  /** `imageFreshness.kubernetes.source` (default `auto`). */
  mode: KubernetesSourceMode;
  /** Objects per list page (`imageFreshness.kubernetes.pageSize`, default 500). */
  pageSize: number;
  /** `kubernetes.serviceLocatorMethod.type`. */
  locator?: string;
  /**
   * The workload types the Kubernetes backend lists, at the API version it
   * uses, in its order.
   */
  workloadTypes: readonly WorkloadType[];
}

const MODES: readonly KubernetesSourceMode[] = [
  'auto',
  'clusterWide',
  'perEntity',
];

/** The locators whose rules the cluster-wide source applies itself. */
export const KNOWN_LOCATORS: ReadonlySet<string> = new Set([
  'multiTenant',
  'singleTenant',
  'catalogRelation',
]);

/**
 * Auth providers whose credential the Kubernetes backend holds itself, so
 * that its proxy can list a cluster for a plugin: service account tokens,
 * AWS IAM, Azure identity (the backend's), a Google service account, a local
 * kubectl proxy. `google`, `oidc` and `aks` take the signed-in user's token
 * from the request: no plugin has one.
 */
export const SERVER_SIDE_AUTH_PROVIDERS: ReadonlySet<string> = new Set([
  'serviceAccount',
  'aws',
  'azure',
  'googleServiceAccount',
  'localKubectlProxy',
]);
/** Auth providers that need the user's own token (see above). */
export const CLIENT_SIDE_AUTH_PROVIDERS: ReadonlySet<string> = new Set([
  'google',
  'oidc',
  'aks',
]);

/** Reads `imageFreshness.kubernetes` and the `kubernetes` keys the rules depend on. */
export function readKubernetesSourceSettings(
  root: Config,
): KubernetesSourceSettings {
  const own = root.getOptionalConfig('imageFreshness.kubernetes');
  const mode = (own?.getOptionalString('source') ??
    'auto') as KubernetesSourceMode;
  if (!MODES.includes(mode)) {
    throw new Error(
      `imageFreshness.kubernetes.source must be one of ${MODES.join(
        ', ',
      )}; got ${JSON.stringify(mode)}`,
    );
  }
  const pageSize = own?.getOptionalNumber('pageSize') ?? 500;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new Error(
      `imageFreshness.kubernetes.pageSize must be a whole number of objects, at least 1; got ${pageSize}`,
    );
  }
  const objectTypes = root.getOptionalStringArray('kubernetes.objectTypes');
  const overrides = root.getOptionalConfig('kubernetes.apiVersionOverrides');
  const workloadTypes = WORKLOAD_TYPES.filter(
    t => !objectTypes || objectTypes.includes(t.objectType),
  ).map(t =>
    overrides?.has(t.objectType)
      ? { ...t, apiVersion: overrides.getString(t.objectType) }
      : t,
  );
  return {
    mode,
    pageSize,
    locator: root.getOptionalString('kubernetes.serviceLocatorMethod.type'),
    workloadTypes,
  };
}

/**
 * The clusters (of `clusters`, by name) the Kubernetes backend's service
 * locator gives an entity; undefined for a locator whose rules are not known
 * here.
 */
export function locateClusters(
  locator: string | undefined,
  entity: Entity,
  clusters: readonly string[],
): string[] | undefined {
  switch (locator) {
    case 'multiTenant':
      return [...clusters];
    case 'singleTenant': {
      const wanted =
        entity.metadata.annotations?.[ANNOTATION_KUBERNETES_CLUSTER];
      return wanted ? clusters.filter(c => c === wanted) : [...clusters];
    }
    case 'catalogRelation': {
      const relations = entity.relations ?? [];
      if (
        !relations.some(
          r => r.type === 'dependsOn' && r.targetRef.includes('resource:'),
        )
      ) {
        return [];
      }
      const namespace = entity.metadata.namespace ?? 'default';
      return clusters.filter(c =>
        relations.some(
          r =>
            r.type === 'dependsOn' &&
            r.targetRef === `resource:${namespace}/${c}`,
        ),
      );
    }
    default:
      return undefined;
  }
}
