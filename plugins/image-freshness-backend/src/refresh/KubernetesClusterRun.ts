import type { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import { type Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  ANNOTATION_KUBERNETES_NAMESPACE,
  type ContainerKind,
} from 'backstage-plugin-image-freshness-common';
import type {
  ContainerSourceRun,
  FoundContainer,
  FoundContainers,
} from 'backstage-plugin-image-freshness-node';
import { z } from 'zod';
import { mapLimit } from '../lib/mapLimit';
import {
  CLIENT_SIDE_AUTH_PROVIDERS,
  KNOWN_LOCATORS,
  type KubernetesSourceSettings,
  locateClusters,
  SERVER_SIDE_AUTH_PROVIDERS,
} from './kubernetesConfig';
import {
  clusterErrors,
  hasKubernetesAnnotation,
  type ContainerTemplate,
  containerTemplates,
  type ErrorFactory,
  errorTypeForStatus,
  type FetchError,
  foundContainer,
  resourcePath,
  type WorkloadType,
} from './kubernetesObjects';
import {
  type LabelRequirement,
  matchesLabelSelector,
  parseLabelSelector,
  requiredValues,
} from './labelSelector';

/** Which source a cluster's workloads came from in a run, and why. */
export interface ClusterSourceChoice {
  cluster: string;
  source: 'clusterWide' | 'perEntity';
  /**
   * `configured` (imageFreshness.kubernetes.source), `server-side-auth`,
   * `client-side-auth`, `unknown-auth`, `unknown-locator`,
   * `proxy-unauthorized` / `proxy-forbidden` / `proxy-not-found` (the
   * Kubernetes backend's proxy refused: 401, 403, 404), `clusters-unlisted`
   * (GET /clusters failed).
   */
  reason: string;
  /** Cluster-wide: list requests sent, objects with containers kept. */
  requests?: number;
  objects?: number;
}

/** An object of a list page, as much as the run keeps of it. */
interface ClusterObject {
  namespace?: string;
  name: string;
  kind: ContainerKind;
  labels: Record<string, string>;
  containers: ContainerTemplate[];
}

/** What listing one cluster gave. */
interface ClusterListing {
  objects: ClusterObject[];
  /** Types that could not be listed, with the failure (no path: the path is per entity). */
  failures: Array<{
    type: WorkloadType;
    failure: Omit<FetchError, 'resourcePath'>;
  }>;
  /** The cluster could not be read at all (the proxy could not reach it). */
  unreachable?: string;
  /** The Kubernetes backend's proxy itself refused (401, 403, 404). */
  refused?: number;
  requests: number;
  /** `label key -> value -> objects`, built for a key when first asked. */
  index: Map<string, Map<string, ClusterObject[]>>;
}

interface Plan {
  /** Whether GET /clusters answered (else every entity goes through the workloads query). */
  listed: boolean;
  clusters: string[];
  choices: Map<string, ClusterSourceChoice>;
  listings: Map<string, ClusterListing>;
}

const listPageSchema = z.object({
  metadata: z
    .object({ continue: z.string().optional() })
    .passthrough()
    .optional(),
  items: z.array(z.unknown()),
});
const clustersSchema = z.object({
  items: z.array(
    z.object({ name: z.string(), authProvider: z.string().optional() }),
  ),
});
/** The Kubernetes API server's error body. */
const statusSchema = z.object({ kind: z.literal('Status') }).passthrough();
/** Backstage's error body (the Kubernetes backend answering itself). */
const backstageErrorSchema = z.object({
  error: z.object({
    name: z.string().optional(),
    message: z.string().optional(),
    cause: z.object({ message: z.string().optional() }).optional(),
  }),
});

/** (cluster, type) lists running at once. */
const LIST_CONCURRENCY = 4;

/**
 * One scheduled refresh run of the Kubernetes source: on the first entity
 * with a Kubernetes annotation it lists the clusters the Kubernetes backend
 * knows (`GET /clusters`), decides per cluster whether to read it whole
 * (cluster-wide) or per entity, and lists each cluster-wide one once: every
 * workload type, a page at a time (`limit`/`continue`) through the
 * Kubernetes backend's proxy, keeping of each object only its namespace,
 * name, labels and containers. Entities are then matched locally with the
 * Kubernetes backend's own rules (see kubernetesConfig.ts) and the API
 * server's label selectors; clusters read per entity go through the
 * workloads query as outside a run.
 */
export class KubernetesClusterRun implements ContainerSourceRun {
  private plan?: Promise<Plan>;

  constructor(
    private readonly options: {
      baseUrl: () => Promise<string>;
      auth: AuthService;
      logger?: LoggerService;
      settings: KubernetesSourceSettings;
      signal: AbortSignal;
      timeoutMs: number;
      /** The workloads query for one entity (the per-entity source). */
      perEntity: (entity: Entity, platform: string) => Promise<FoundContainers>;
      error: ErrorFactory;
      /** Told the source of every cluster once the run has chosen. */
      onChoices: (choices: ClusterSourceChoice[]) => void;
    },
  ) {}

  async find(entity: Entity, platform: string): Promise<FoundContainers> {
    if (!hasKubernetesAnnotation(entity)) return { containers: [], errors: [] };
    const annotations = entity.metadata.annotations ?? {};
    this.plan ??= this.makePlan();
    const plan = await this.plan;
    const locatedOrUnknown = locateClusters(
      this.options.settings.locator,
      entity,
      plan.clusters,
    );
    if (plan.listed && locatedOrUnknown?.length === 0) {
      // on no cluster: the workloads query would answer nothing either
      return { containers: [], errors: [] };
    }
    const located = locatedOrUnknown ?? [];
    const perEntity = located.filter(
      c => plan.choices.get(c)?.source !== 'clusterWide',
    );
    const clusterWide = located.filter(
      c => plan.choices.get(c)?.source === 'clusterWide',
    );
    if (clusterWide.length === 0) {
      // nothing read cluster-wide for this entity: exactly the workloads query
      return this.options.perEntity(entity, platform);
    }

    const containers = new Map<string, FoundContainer>();
    const errors: FoundContainers['errors'] = [];
    const failed = new Set<string>();
    let perEntityUnread: FoundContainers['unread'];
    if (perEntity.length > 0) {
      const answer = await this.options.perEntity(entity, platform);
      const mine = new Set(perEntity);
      for (const c of answer.containers) {
        if (mine.has(c.workload.cluster ?? '')) containers.set(c.key, c);
      }
      for (const e of answer.errors) {
        const cluster = e.source.startsWith('kubernetes:')
          ? e.source.slice('kubernetes:'.length)
          : undefined;
        if (cluster === undefined || mine.has(cluster)) errors.push(e);
      }
      if (answer.unread) {
        const unread = answer.unread;
        perEntityUnread = c => mine.has(c.workload.cluster ?? '') && unread(c);
      }
    }

    const id = annotations[ANNOTATION_KUBERNETES_ID] || entity.metadata.name;
    const selector =
      annotations[ANNOTATION_KUBERNETES_LABEL_SELECTOR] ||
      `${ANNOTATION_KUBERNETES_ID}=${id}`;
    const namespace = annotations[ANNOTATION_KUBERNETES_NAMESPACE];
    let requirements: LabelRequirement[] | undefined;
    let selectorError: string | undefined;
    try {
      requirements = parseLabelSelector(selector);
    } catch (error) {
      selectorError = (error as Error).message;
    }
    for (const cluster of clusterWide) {
      const listing = plan.listings.get(cluster)!;
      const fetchErrors: FetchError[] = [];
      if (listing.unreachable !== undefined) {
        fetchErrors.push({
          errorType: 'FETCH_ERROR',
          message: listing.unreachable,
        });
      } else {
        const failedTypes = new Map(
          listing.failures.map(f => [f.type.objectType, f.failure]),
        );
        for (const type of this.options.settings.workloadTypes) {
          const failure = failedTypes.get(type.objectType);
          // The API server answers a selector it cannot parse with 400 for
          // every type, as the workloads query would have it answer.
          const answered =
            failure ??
            (selectorError
              ? { errorType: 'BAD_REQUEST', statusCode: 400 }
              : undefined);
          if (answered) {
            fetchErrors.push({
              ...answered,
              resourcePath: resourcePath(type, namespace),
            });
          }
        }
        if (requirements) {
          for (const object of this.candidates(listing, requirements)) {
            if (namespace && object.namespace !== namespace) continue;
            if (!matchesLabelSelector(object.labels, requirements)) continue;
            for (const template of object.containers) {
              const c = foundContainer(template, {
                cluster,
                namespace: object.namespace,
                kind: object.kind,
                name: object.name,
                platform,
              });
              containers.set(c.key, c);
            }
          }
        }
      }
      const clusterErrorList = clusterErrors(
        cluster,
        fetchErrors,
        this.options.error,
      );
      if (clusterErrorList.length > 0) {
        failed.add(cluster);
        for (const e of clusterErrorList) {
          errors.push({ ...e, source: `kubernetes:${cluster}` });
          this.options.logger?.warn('Kubernetes cluster failed', {
            entityRef: stringifyEntityRef(entity),
            cluster,
            errorClass: e.class,
            error: e.message,
            ...(selectorError ? { selectorError } : {}),
          });
        }
      }
    }
    const unread =
      failed.size > 0 || perEntityUnread
        ? (c: FoundContainer) =>
            failed.has(c.workload.cluster ?? '') ||
            (perEntityUnread?.(c) ?? false)
        : undefined;
    return {
      containers: [...containers.values()],
      errors,
      ...(unread ? { unread } : {}),
    };
  }

  async end(): Promise<void> {
    // The listings are the run's: let them go with it.
    this.plan = undefined;
  }

  /** The objects that can match: those an `=`/`in` requirement pins, via the index; else all. */
  private candidates(
    listing: ClusterListing,
    requirements: readonly LabelRequirement[],
  ): readonly ClusterObject[] {
    let best: ClusterObject[] | undefined;
    for (const r of requirements) {
      const values = requiredValues([r], r.key);
      if (!values) continue;
      let byValue = listing.index.get(r.key);
      if (!byValue) {
        byValue = new Map();
        for (const object of listing.objects) {
          if (!Object.prototype.hasOwnProperty.call(object.labels, r.key)) {
            continue;
          }
          const value = object.labels[r.key];
          const list = byValue.get(value);
          if (list) list.push(object);
          else byValue.set(value, [object]);
        }
        listing.index.set(r.key, byValue);
      }
      const found = values.flatMap(v => byValue!.get(v) ?? []);
      if (!best || found.length < best.length) best = found;
    }
    return best ?? listing.objects;
  }

  private async makePlan(): Promise<Plan> {
    const { settings, logger } = this.options;
    const choices = new Map<string, ClusterSourceChoice>();
    const listings = new Map<string, ClusterListing>();
    let clusters: Array<{ name: string; authProvider?: string }>;
    try {
      clusters = await this.listClusters();
    } catch (error) {
      logger?.warn(
        'Kubernetes clusters could not be listed; every entity is read with the workloads query',
        { reason: 'clusters-unlisted', error: (error as Error).message },
      );
      this.options.onChoices([
        { cluster: '', source: 'perEntity', reason: 'clusters-unlisted' },
      ]);
      return { listed: false, clusters: [], choices, listings };
    }
    for (const cluster of clusters) {
      choices.set(cluster.name, this.choose(cluster));
    }
    const pairs = clusters
      .filter(c => choices.get(c.name)!.source === 'clusterWide')
      .flatMap(c =>
        settings.workloadTypes.map(type => ({ cluster: c.name, type })),
      );
    const started = performance.now();
    for (const { cluster } of pairs) {
      if (!listings.has(cluster)) {
        listings.set(cluster, {
          objects: [],
          failures: [],
          requests: 0,
          index: new Map(),
        });
      }
    }
    await mapLimit(pairs, LIST_CONCURRENCY, ({ cluster, type }) =>
      this.listType(cluster, type, listings.get(cluster)!),
    );
    for (const [cluster, listing] of listings) {
      const choice = choices.get(cluster)!;
      if (listing.refused !== undefined && settings.mode === 'auto') {
        const reason =
          {
            401: 'proxy-unauthorized',
            403: 'proxy-forbidden',
            404: 'proxy-not-found',
          }[listing.refused] ?? `proxy-${listing.refused}`;
        choices.set(cluster, { cluster, source: 'perEntity', reason });
        listings.delete(cluster);
        continue;
      }
      if (listing.refused !== undefined) {
        // clusterWide was asked for: the refusal is the cluster's error
        listing.failures = settings.workloadTypes.map(type => ({
          type,
          failure: {
            errorType: errorTypeForStatus(listing.refused!),
            statusCode: listing.refused,
          },
        }));
      }
      choices.set(cluster, {
        ...choice,
        requests: listing.requests,
        objects: listing.objects.length,
      });
    }
    for (const choice of choices.values()) {
      logger?.info('Kubernetes source for cluster', {
        cluster: choice.cluster,
        source: choice.source,
        reason: choice.reason,
        ...(choice.source === 'clusterWide'
          ? {
              requests: choice.requests,
              objects: choice.objects,
              durationMs: Math.round(performance.now() - started),
            }
          : {}),
      });
    }
    this.options.onChoices([...choices.values()]);
    return {
      listed: true,
      clusters: clusters.map(c => c.name),
      choices,
      listings,
    };
  }

  private choose(cluster: {
    name: string;
    authProvider?: string;
  }): ClusterSourceChoice {
    const { mode, locator } = this.options.settings;
    const name = cluster.name;
    if (mode !== 'auto') {
      return { cluster: name, source: mode, reason: 'configured' };
    }
    if (!locator || !KNOWN_LOCATORS.has(locator)) {
      return { cluster: name, source: 'perEntity', reason: 'unknown-locator' };
    }
    const provider = cluster.authProvider ?? '';
    if (SERVER_SIDE_AUTH_PROVIDERS.has(provider)) {
      return {
        cluster: name,
        source: 'clusterWide',
        reason: 'server-side-auth',
      };
    }
    return {
      cluster: name,
      source: 'perEntity',
      reason: CLIENT_SIDE_AUTH_PROVIDERS.has(provider)
        ? 'client-side-auth'
        : 'unknown-auth',
    };
  }

  private async listClusters(): Promise<
    Array<{ name: string; authProvider?: string }>
  > {
    const response = await this.get('/clusters');
    if (!response.ok) {
      throw new Error(
        `GET /api/kubernetes/clusters answered ${response.status} ${response.statusText}`,
      );
    }
    return clustersSchema.parse(await response.json()).items;
  }

  /** Lists one workload type of one cluster, a page at a time, into `listing`. */
  private async listType(
    cluster: string,
    type: WorkloadType,
    listing: ClusterListing,
  ): Promise<void> {
    const { pageSize } = this.options.settings;
    const kept: ClusterObject[] = [];
    let token: string | undefined;
    let restarted = false;
    for (;;) {
      const query = new URLSearchParams({ limit: String(pageSize) });
      if (token) query.set('continue', token);
      let response: Response;
      try {
        response = await this.get(
          `/proxy${resourcePath(type)}?${query}`,
          cluster,
        );
      } catch (error) {
        listing.unreachable ??= (error as Error).message;
        return;
      }
      listing.requests++;
      if (!response.ok) {
        const body: unknown = await response.json().catch(() => undefined);
        if (statusSchema.safeParse(body).success) {
          if (response.status === 410 && token && !restarted) {
            // The continue token expired (the list took longer than etcd
            // keeps its revision): list this type again from the start, once.
            restarted = true;
            token = undefined;
            kept.length = 0;
            continue;
          }
          listing.failures.push({
            type,
            failure: {
              errorType: errorTypeForStatus(response.status),
              statusCode: response.status,
            },
          });
          return;
        }
        const backstageError = backstageErrorSchema.safeParse(body);
        if ([401, 403, 404].includes(response.status)) {
          listing.refused ??= response.status;
          return;
        }
        const detail = backstageError.success
          ? [
              backstageError.data.error.message,
              backstageError.data.error.cause?.message,
            ]
              .filter(Boolean)
              .join(': ')
          : `${response.status} ${response.statusText}`;
        listing.unreachable ??= detail;
        return;
      }
      const page = listPageSchema.safeParse(await response.json());
      if (!page.success) {
        listing.unreachable ??= `the list of ${type.objectType} is not a Kubernetes list`;
        return;
      }
      for (const item of page.data.items) {
        const holder = type.read(item);
        if (!holder) continue;
        const containers = containerTemplates(holder, type.specPath);
        if (containers.length === 0) continue;
        kept.push({
          namespace: holder.namespace,
          name: holder.name,
          kind: type.kind,
          labels: holder.labels ?? {},
          containers,
        });
      }
      token = page.data.metadata?.continue || undefined;
      if (!token) break;
    }
    for (const object of kept) listing.objects.push(object);
  }

  /** A GET to the Kubernetes backend with a plugin token (and the cluster header for the proxy). */
  private async get(path: string, cluster?: string): Promise<Response> {
    const { auth, signal, timeoutMs } = this.options;
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'kubernetes',
    });
    return fetch(`${await this.options.baseUrl()}${path}`, {
      headers: {
        accept: 'application/json',
        authorization: `Bearer ${token}`,
        ...(cluster ? { 'backstage-kubernetes-cluster': cluster } : {}),
      },
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    });
  }
}
