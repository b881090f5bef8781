import type {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  type Clock,
  type ErrorClass,
  type ImageError,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type {
  ContainerSource,
  ContainerSourceRun,
  FoundContainer,
  FoundContainers,
} from 'backstage-plugin-image-freshness-node';
import { Gauge, Registry } from 'prom-client';
import { z } from 'zod';
import {
  adviceFor,
  classForStatus,
  classOf,
  type ErrorSubject,
} from '../lib/errorClasses';
import {
  type ClusterSourceChoice,
  KubernetesClusterRun,
} from './KubernetesClusterRun';
import type { KubernetesSourceSettings } from './kubernetesConfig';
import {
  clusterErrors,
  hasKubernetesAnnotation,
  containerTemplates,
  fetchErrorSchema,
  foundContainer,
  isKubernetesContainer,
  WORKLOAD_TYPE_BY_OBJECT_TYPE,
} from './kubernetesObjects';

/*
 * The parts of the Kubernetes backend's `ObjectsByEntityResponse`
 * (@backstage/plugin-kubernetes-common) this source reads.
 */
const objectsByEntityResponseSchema = z.object({
  items: z.array(
    z.object({
      cluster: z.object({ name: z.string() }),
      resources: z
        .array(z.object({ type: z.string(), resources: z.array(z.unknown()) }))
        .optional(),
      errors: z.array(fetchErrorSchema).optional(),
    }),
  ),
});

const DEFAULT_TIMEOUT_MS = 60_000;

/** Options for {@link KubernetesWorkloadSource}. */
export interface KubernetesWorkloadSourceOptions {
  discovery: DiscoveryService;
  auth: AuthService;
  logger?: LoggerService;
  /** How long to wait for the Kubernetes backend, in milliseconds (default 60 000). */
  timeoutMs?: number;
  /**
   * How scheduled runs read the clusters (`imageFreshness.kubernetes`);
   * without it every run reads per entity, as outside a run.
   */
  settings?: KubernetesSourceSettings;
  now?: Clock;
}

/**
 * Finds the containers an entity runs on Kubernetes by asking the Kubernetes
 * backend plugin (`POST /api/kubernetes/resources/workloads/query`) with a
 * plugin-to-plugin token: every init, regular and ephemeral container of
 * every Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job and CronJob,
 * per cluster, with the container-image-exporter's jsonpath, and for pods the
 * digest that really runs. A cluster that fails becomes an error beside the
 * containers of the others, and its containers are marked unread so their
 * last good answers are kept; nothing here throws.
 */
export class KubernetesWorkloadSource implements ContainerSource {
  readonly name = 'kubernetes';
  private readonly discovery: DiscoveryService;
  private readonly auth: AuthService;
  private readonly logger?: LoggerService;
  private readonly timeoutMs: number;
  private readonly settings?: KubernetesSourceSettings;
  private readonly now: Clock;
  /** `image_freshness_kubernetes_source_info`, rendered on /metrics. */
  readonly metrics = new Registry();
  private readonly sourceInfo: Gauge<'cluster' | 'source' | 'reason'>;

  constructor(options: KubernetesWorkloadSourceOptions) {
    this.discovery = options.discovery;
    this.auth = options.auth;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.settings = options.settings;
    this.now = options.now ?? systemClock;
    this.sourceInfo = new Gauge({
      name: 'image_freshness_kubernetes_source_info',
      help: 'How the last scheduled refresh on this replica read each Kubernetes cluster: source clusterWide (listed once through the Kubernetes backend proxy) or perEntity (the workloads query per entity), and why.',
      labelNames: ['cluster', 'source', 'reason'],
      registers: [this.metrics],
    });
  }

  /**
   * A scheduled run: the clusters are listed once, on the run's first
   * Kubernetes entity, and every entity of the run is matched against
   * them (see {@link KubernetesClusterRun}); without settings, every entity
   * of the run goes through the workloads query.
   */
  async startRun(options: {
    signal: AbortSignal;
  }): Promise<ContainerSourceRun> {
    if (!this.settings) return { find: (e, p) => this.find(e, p) };
    return new KubernetesClusterRun({
      baseUrl: () => this.discovery.getBaseUrl('kubernetes'),
      auth: this.auth,
      logger: this.logger,
      settings: this.settings,
      signal: options.signal,
      timeoutMs: this.timeoutMs,
      perEntity: (e, p) => this.find(e, p),
      error: this.error,
      onChoices: choices => this.recordChoices(choices),
    });
  }

  async find(entity: Entity, platform: string): Promise<FoundContainers> {
    if (!hasKubernetesAnnotation(entity)) return { containers: [], errors: [] };
    const entityRef = stringifyEntityRef(entity);

    let body: unknown;
    try {
      body = await this.query(entityRef);
    } catch (error) {
      const imageError = this.backendError(error, entityRef);
      this.logger?.warn('Kubernetes backend query failed', {
        entityRef,
        errorClass: imageError.class,
        error: imageError.message,
      });
      return {
        containers: [],
        errors: [{ ...imageError, source: 'kubernetes' }],
        unread: isKubernetesContainer,
      };
    }
    const parsed = objectsByEntityResponseSchema.safeParse(body);
    if (!parsed.success) {
      const message = `The Kubernetes backend answered a workloads query for ${entityRef} with a body that is not an ObjectsByEntityResponse: ${parsed.error.issues[0]?.message}`;
      this.logger?.warn('Kubernetes backend answer not understood', {
        entityRef,
        error: message,
      });
      return {
        containers: [],
        errors: [
          {
            ...this.error('UNKNOWN', 'kubernetes-backend', message),
            source: 'kubernetes',
          },
        ],
        unread: isKubernetesContainer,
      };
    }

    const containers = new Map<string, FoundContainer>();
    const errors: FoundContainers['errors'] = [];
    const failedClusters = new Set<string>();
    let skipped = 0;
    for (const cluster of parsed.data.items) {
      const clusterName = cluster.cluster.name;
      for (const response of cluster.resources ?? []) {
        const type = WORKLOAD_TYPE_BY_OBJECT_TYPE.get(response.type);
        if (!type) continue;
        for (const object of response.resources) {
          const holder = type.read(object);
          if (!holder) {
            skipped++;
            continue;
          }
          for (const template of containerTemplates(holder, type.specPath)) {
            const container = foundContainer(template, {
              cluster: clusterName,
              namespace: holder.namespace,
              kind: type.kind,
              name: holder.name,
              platform,
            });
            containers.set(container.key, container);
          }
        }
      }
      for (const error of clusterErrors(
        clusterName,
        cluster.errors ?? [],
        this.error,
      )) {
        errors.push({ ...error, source: `kubernetes:${clusterName}` });
        failedClusters.add(clusterName);
        this.logger?.warn('Kubernetes cluster failed', {
          entityRef,
          cluster: clusterName,
          errorClass: error.class,
          error: error.message,
        });
      }
    }
    this.logger?.debug('Found Kubernetes workload containers', {
      entityRef,
      clusters: parsed.data.items.length,
      containers: containers.size,
      errors: errors.length,
      skippedObjects: skipped,
    });
    return {
      containers: [...containers.values()],
      errors,
      ...(failedClusters.size > 0
        ? {
            unread: (c: FoundContainer) =>
              failedClusters.has(c.workload.cluster ?? ''),
          }
        : {}),
    };
  }

  /** POSTs the workloads query; throws on transport errors and non-2xx answers. */
  private async query(entityRef: string): Promise<unknown> {
    const baseUrl = await this.discovery.getBaseUrl('kubernetes');
    const { token } = await this.auth.getPluginRequestToken({
      onBehalfOf: await this.auth.getOwnServiceCredentials(),
      targetPluginId: 'kubernetes',
    });
    const response = await fetch(`${baseUrl}/resources/workloads/query`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
      },
      body: JSON.stringify({ entityRef }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) {
      throw await ResponseError.fromResponse(response);
    }
    return response.json();
  }

  /** The one error for a failed call to the Kubernetes backend itself. */
  private backendError(error: unknown, entityRef: string): ImageError {
    if (error instanceof ResponseError) {
      const detail = error.cause?.message;
      const status = `${error.statusCode} ${error.statusText}`.trim();
      const hint =
        error.statusCode === 404
          ? '; is @backstage/plugin-kubernetes-backend installed, with a kubernetes config section?'
          : '';
      return this.error(
        classForStatus(error.statusCode),
        'kubernetes-backend',
        `The Kubernetes backend answered ${status} to the workloads query for ${entityRef}${
          detail && detail !== error.message ? `: ${detail}` : ''
        }${hint}`,
      );
    }
    const message = error instanceof Error ? error.message : String(error);
    return this.error(
      classOf(error),
      'kubernetes-backend',
      `Could not query the Kubernetes backend for ${entityRef}: ${message}`,
    );
  }

  private readonly error = (
    errorClass: ErrorClass,
    subject: ErrorSubject,
    message: string,
  ): ImageError => ({
    class: errorClass,
    message,
    advice: adviceFor(errorClass, subject),
    at: this.now().toISOString(),
  });

  /** Sets `image_freshness_kubernetes_source_info` to this run's choices. */
  private recordChoices(choices: ClusterSourceChoice[]): void {
    this.sourceInfo.reset();
    for (const c of choices) {
      this.sourceInfo.set(
        { cluster: c.cluster, source: c.source, reason: c.reason },
        1,
      );
    }
  }
}
