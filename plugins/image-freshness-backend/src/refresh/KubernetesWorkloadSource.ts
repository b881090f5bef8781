import type {
  AuthService,
  DiscoveryService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import {
  adviceFor,
  classForStatus,
  classOf,
  type ErrorSubject,
} from '../lib/errorClasses';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { ResponseError } from '@backstage/errors';
import {
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  ContainerKind,
  ErrorClass,
  ImageError,
} from 'backstage-plugin-image-freshness-common';
import { z } from 'zod';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type {
  FoundContainer,
  ContainerSource,
  FoundContainers,
} from 'backstage-plugin-image-freshness-node';

/*
 * The parts of the Kubernetes backend's `ObjectsByEntityResponse`
 * (@backstage/plugin-kubernetes-common) this source reads. Everything else is
 * stripped; an object that does not fit is skipped, never fatal.
 */
const containerSchema = z.object({
  name: z.string(),
  image: z.string().optional(),
});
const containerStatusSchema = z.object({
  name: z.string(),
  imageID: z.string().optional(),
});
const podSpecSchema = z.object({
  containers: z.array(containerSchema).optional(),
  initContainers: z.array(containerSchema).optional(),
  ephemeralContainers: z.array(containerSchema).optional(),
});
const metadataSchema = z.object({
  name: z.string(),
  namespace: z.string().optional(),
});
const podSchema = z.object({
  metadata: metadataSchema,
  spec: podSpecSchema.optional(),
  status: z
    .object({
      containerStatuses: z.array(containerStatusSchema).optional(),
      initContainerStatuses: z.array(containerStatusSchema).optional(),
      ephemeralContainerStatuses: z.array(containerStatusSchema).optional(),
    })
    .optional(),
});
const templateSchema = z.object({ spec: podSpecSchema.optional() });
const templatedSchema = z.object({
  metadata: metadataSchema,
  spec: z.object({ template: templateSchema.optional() }).optional(),
});
const cronJobSchema = z.object({
  metadata: metadataSchema,
  spec: z
    .object({
      jobTemplate: z
        .object({
          spec: z.object({ template: templateSchema.optional() }).optional(),
        })
        .optional(),
    })
    .optional(),
});
/** `StatusError | RawFetchError` of plugin-kubernetes-common. */
const fetchErrorSchema = z.object({
  errorType: z.string(),
  statusCode: z.number().optional(),
  resourcePath: z.string().optional(),
  message: z.string().optional(),
});
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

type PodSpec = z.infer<typeof podSpecSchema>;
type ContainerStatus = z.infer<typeof containerStatusSchema>;
type FetchError = z.infer<typeof fetchErrorSchema>;

/** One object with the pod spec inside it and, for pods, its status. */
interface PodSpecHolder {
  namespace?: string;
  name: string;
  spec?: PodSpec;
  statuses?: Partial<Record<StatusField, ContainerStatus[]>>;
}

type StatusField =
  | 'containerStatuses'
  | 'initContainerStatuses'
  | 'ephemeralContainerStatuses';

/** Workload types of the response, their kind and where the pod spec is (the seed's jsonpath prefix). */
const WORKLOAD_TYPES: Record<
  string,
  {
    kind: ContainerKind;
    specPath: string;
    read: (object: unknown) => PodSpecHolder | undefined;
  }
> = {
  pods: { kind: 'Pod', specPath: '.spec', read: readPod },
  deployments: {
    kind: 'Deployment',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  replicasets: {
    kind: 'ReplicaSet',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  statefulsets: {
    kind: 'StatefulSet',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  daemonsets: {
    kind: 'DaemonSet',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  jobs: { kind: 'Job', specPath: '.spec.template.spec', read: readTemplated },
  cronjobs: {
    kind: 'CronJob',
    specPath: '.spec.jobTemplate.spec.template.spec',
    read: readCronJob,
  },
};

/** The three container lists of a pod spec and where a pod reports their status. */
const CONTAINER_LISTS: ReadonlyArray<{
  field: keyof PodSpec;
  statusField: StatusField;
}> = [
  { field: 'containers', statusField: 'containerStatuses' },
  { field: 'initContainers', statusField: 'initContainerStatuses' },
  { field: 'ephemeralContainers', statusField: 'ephemeralContainerStatuses' },
];

/** A manifest digest pinned in an `imageID`; `docker://sha256:...` (an image ID) does not count. */
const PINNED_DIGEST = /@(sha256:[a-f0-9]{64})$/;

const DEFAULT_TIMEOUT_MS = 60_000;

/** Options for {@link KubernetesWorkloadSource}. */
export interface KubernetesWorkloadSourceOptions {
  discovery: DiscoveryService;
  auth: AuthService;
  logger?: LoggerService;
  /** How long to wait for the Kubernetes backend, in milliseconds (default 60 000). */
  timeoutMs?: number;
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
  private readonly now: Clock;

  constructor(options: KubernetesWorkloadSourceOptions) {
    this.discovery = options.discovery;
    this.auth = options.auth;
    this.logger = options.logger;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.now = options.now ?? systemClock;
  }

  async find(entity: Entity, platform: string): Promise<FoundContainers> {
    const annotations = entity.metadata.annotations ?? {};
    if (
      !annotations[ANNOTATION_KUBERNETES_ID] &&
      !annotations[ANNOTATION_KUBERNETES_LABEL_SELECTOR]
    ) {
      return { containers: [], errors: [] };
    }
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
        const type = WORKLOAD_TYPES[response.type];
        if (!type) continue;
        for (const object of response.resources) {
          const holder = type.read(object);
          if (!holder) {
            skipped++;
            continue;
          }
          for (const container of extractContainers(holder, {
            cluster: clusterName,
            kind: type.kind,
            specPath: type.specPath,
            platform,
          })) {
            containers.set(container.key, container);
          }
        }
      }
      for (const error of this.clusterErrors(
        clusterName,
        cluster.errors ?? [],
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

  /**
   * One error per cluster and class. Errors about object types that hold no
   * containers (services, ingresses, HPAs...) are left to the Kubernetes
   * plugin's own page: they hide no image.
   */
  private clusterErrors(
    cluster: string,
    fetchErrors: FetchError[],
  ): ImageError[] {
    const byClass = new Map<ErrorClass, FetchError[]>();
    for (const fetchError of fetchErrors) {
      if (fetchError.resourcePath && !isWorkloadPath(fetchError.resourcePath)) {
        continue;
      }
      const errorClass = classifyFetchError(fetchError);
      byClass.set(errorClass, [...(byClass.get(errorClass) ?? []), fetchError]);
    }
    return [...byClass].map(([errorClass, group]) =>
      this.error(errorClass, 'cluster', describeClusterErrors(cluster, group)),
    );
  }

  private error(
    errorClass: ErrorClass,
    subject: ErrorSubject,
    message: string,
  ): ImageError {
    return {
      class: errorClass,
      message,
      advice: adviceFor(errorClass, subject),
      at: this.now().toISOString(),
    };
  }
}

/** Whether a container was found on a cluster (rather than declared in an annotation). */
function isKubernetesContainer(container: FoundContainer): boolean {
  return container.workload.cluster !== undefined;
}

function readPod(object: unknown): PodSpecHolder | undefined {
  const pod = podSchema.safeParse(object);
  if (!pod.success) return undefined;
  return {
    ...pod.data.metadata,
    spec: pod.data.spec,
    statuses: pod.data.status,
  };
}

function readTemplated(object: unknown): PodSpecHolder | undefined {
  const workload = templatedSchema.safeParse(object);
  if (!workload.success) return undefined;
  return {
    ...workload.data.metadata,
    spec: workload.data.spec?.template?.spec,
  };
}

function readCronJob(object: unknown): PodSpecHolder | undefined {
  const cronJob = cronJobSchema.safeParse(object);
  if (!cronJob.success) return undefined;
  return {
    ...cronJob.data.metadata,
    spec: cronJob.data.spec?.jobTemplate?.spec?.template?.spec,
  };
}

/** Every container of one object, keyed cluster/namespace/kind/name/jsonpath. */
function extractContainers(
  holder: PodSpecHolder,
  where: {
    cluster: string;
    kind: ContainerKind;
    specPath: string;
    platform: string;
  },
): FoundContainer[] {
  const found: FoundContainer[] = [];
  for (const { field, statusField } of CONTAINER_LISTS) {
    const list = holder.spec?.[field] ?? [];
    list.forEach((container, index) => {
      if (!container.image) return;
      const jsonpath = `{${where.specPath}.${field}[${index}]}`;
      const status = holder.statuses?.[statusField]?.find(
        s => s.name === container.name,
      );
      const runningDigest = status?.imageID?.match(PINNED_DIGEST)?.[1];
      found.push({
        key: [
          where.cluster,
          holder.namespace ?? '',
          where.kind,
          holder.name,
          jsonpath,
        ].join('/'),
        container: container.name,
        workload: {
          cluster: where.cluster,
          namespace: holder.namespace,
          kind: where.kind,
          name: holder.name,
          jsonpath,
        },
        image: container.image,
        platform: where.platform,
        ...(runningDigest ? { runningDigest } : {}),
      });
    });
  }
  return found;
}

/** Whether a resource path (`/apis/apps/v1/namespaces/x/deployments`) lists a workload type. */
function isWorkloadPath(resourcePath: string): boolean {
  const plural = resourcePath.split('/').filter(Boolean).pop() ?? '';
  return plural in WORKLOAD_TYPES;
}

/** Classifies the Kubernetes backend's per-cluster errors (`KubernetesErrorTypes`). */
function classifyFetchError(fetchError: FetchError): ErrorClass {
  if (fetchError.statusCode !== undefined) {
    return classForStatus(fetchError.statusCode);
  }
  switch (fetchError.errorType) {
    case 'UNAUTHORIZED_ERROR':
      return 'AUTHENTICATION';
    case 'SYSTEM_ERROR':
      return 'SERVER_ERROR';
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'BAD_REQUEST':
      return 'INVALID_REQUEST';
    case 'FETCH_ERROR':
      return /timed? ?out|ETIMEDOUT/i.test(fetchError.message ?? '')
        ? 'TIMEOUT'
        : 'UNKNOWN';
    default:
      return 'UNKNOWN';
  }
}

function describeClusterErrors(cluster: string, group: FetchError[]): string {
  const first = group[0];
  const what =
    first.errorType === 'FETCH_ERROR'
      ? `could not be reached: ${first.message ?? 'fetch failed'}`
      : `answered ${first.statusCode ?? '?'} (${first.errorType})`;
  const paths = [
    ...new Set(group.map(e => e.resourcePath).filter((p): p is string => !!p)),
  ];
  const listed =
    paths.length === 0
      ? ''
      : ` for ${paths.slice(0, 3).join(', ')}${
          paths.length > 3 ? ` and ${paths.length - 3} more` : ''
        }`;
  return `Kubernetes cluster "${cluster}" ${what}${listed}`;
}
