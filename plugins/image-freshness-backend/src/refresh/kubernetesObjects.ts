/*
 * What both Kubernetes sources read from a workload object, and how both
 * turn a cluster's failures into errors: the per-entity source reads objects
 * from the Kubernetes backend's workloads query, the cluster-wide one from
 * list pages through its proxy, and the same object gives the same
 * containers, the same failure the same error, either way.
 */
import type { Entity } from '@backstage/catalog-model';
import {
  ANNOTATION_KUBERNETES_ID,
  ANNOTATION_KUBERNETES_LABEL_SELECTOR,
  type ContainerKind,
  type ErrorClass,
  type ImageError,
} from 'backstage-plugin-image-freshness-common';
import type { FoundContainer } from 'backstage-plugin-image-freshness-node';
import { z } from 'zod';
import { classForStatus, type ErrorSubject } from '../lib/errorClasses';

/*
 * The parts of Kubernetes objects the sources read. Everything else is
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
  labels: z.record(z.string()).optional(),
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

/** A per-cluster failure, as the Kubernetes backend reports it (`StatusError | RawFetchError`). */
export const fetchErrorSchema = z.object({
  errorType: z.string(),
  statusCode: z.number().optional(),
  resourcePath: z.string().optional(),
  message: z.string().optional(),
});
export type FetchError = z.infer<typeof fetchErrorSchema>;

type PodSpec = z.infer<typeof podSpecSchema>;
type ContainerStatus = z.infer<typeof containerStatusSchema>;
type StatusField =
  | 'containerStatuses'
  | 'initContainerStatuses'
  | 'ephemeralContainerStatuses';

/** One object with the pod spec inside it and, for pods, its status. */
export interface PodSpecHolder {
  namespace?: string;
  name: string;
  labels?: Record<string, string>;
  spec?: PodSpec;
  statuses?: Partial<Record<StatusField, ContainerStatus[]>>;
}

/** A workload type: where it is listed by default, its kind, where its pod spec is. */
export interface WorkloadType {
  /** The Kubernetes backend's object type (`kubernetes.objectTypes`), the plural. */
  objectType: string;
  group: string;
  apiVersion: string;
  kind: ContainerKind;
  /** The seed exporter's jsonpath prefix. */
  specPath: string;
  read: (object: unknown) => PodSpecHolder | undefined;
}

/**
 * The workload types, in the order of the Kubernetes backend's
 * `DEFAULT_OBJECTS` (KubernetesFanOutHandler), which is the order its
 * per-cluster errors come in.
 */
export const WORKLOAD_TYPES: readonly WorkloadType[] = [
  {
    objectType: 'pods',
    group: '',
    apiVersion: 'v1',
    kind: 'Pod',
    specPath: '.spec',
    read: readPod,
  },
  {
    objectType: 'deployments',
    group: 'apps',
    apiVersion: 'v1',
    kind: 'Deployment',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  {
    objectType: 'replicasets',
    group: 'apps',
    apiVersion: 'v1',
    kind: 'ReplicaSet',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  {
    objectType: 'jobs',
    group: 'batch',
    apiVersion: 'v1',
    kind: 'Job',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  {
    objectType: 'cronjobs',
    group: 'batch',
    apiVersion: 'v1',
    kind: 'CronJob',
    specPath: '.spec.jobTemplate.spec.template.spec',
    read: readCronJob,
  },
  {
    objectType: 'statefulsets',
    group: 'apps',
    apiVersion: 'v1',
    kind: 'StatefulSet',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
  {
    objectType: 'daemonsets',
    group: 'apps',
    apiVersion: 'v1',
    kind: 'DaemonSet',
    specPath: '.spec.template.spec',
    read: readTemplated,
  },
];

/** The workload type of a workloads-query response type (`pods`, `deployments`...). */
export const WORKLOAD_TYPE_BY_OBJECT_TYPE: ReadonlyMap<string, WorkloadType> =
  new Map(WORKLOAD_TYPES.map(t => [t.objectType, t]));

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

/** One container of an object, before it is placed on a cluster and given a platform. */
export interface ContainerTemplate {
  container: string;
  jsonpath: string;
  image: string;
  runningDigest?: string;
}

/** Every init, regular and ephemeral container with an image, with the seed's jsonpath. */
export function containerTemplates(
  holder: PodSpecHolder,
  specPath: string,
): ContainerTemplate[] {
  const found: ContainerTemplate[] = [];
  for (const { field, statusField } of CONTAINER_LISTS) {
    const list = holder.spec?.[field] ?? [];
    list.forEach((container, index) => {
      if (!container.image) return;
      const status = holder.statuses?.[statusField]?.find(
        s => s.name === container.name,
      );
      const runningDigest = status?.imageID?.match(PINNED_DIGEST)?.[1];
      found.push({
        container: container.name,
        jsonpath: `{${specPath}.${field}[${index}]}`,
        image: container.image,
        ...(runningDigest ? { runningDigest } : {}),
      });
    });
  }
  return found;
}

/** A container template placed: keyed cluster/namespace/kind/name/jsonpath. */
export function foundContainer(
  template: ContainerTemplate,
  where: {
    cluster: string;
    namespace?: string;
    kind: ContainerKind;
    name: string;
    platform: string;
  },
): FoundContainer {
  return {
    key: [
      where.cluster,
      where.namespace ?? '',
      where.kind,
      where.name,
      template.jsonpath,
    ].join('/'),
    container: template.container,
    workload: {
      cluster: where.cluster,
      namespace: where.namespace,
      kind: where.kind,
      name: where.name,
      jsonpath: template.jsonpath,
    },
    image: template.image,
    platform: where.platform,
    ...(template.runningDigest
      ? { runningDigest: template.runningDigest }
      : {}),
  };
}

/** Whether an entity names its workloads (`kubernetes-id` or `kubernetes-label-selector`). */
export function hasKubernetesAnnotation(entity: Entity): boolean {
  const annotations = entity.metadata.annotations ?? {};
  return Boolean(
    annotations[ANNOTATION_KUBERNETES_ID] ||
      annotations[ANNOTATION_KUBERNETES_LABEL_SELECTOR],
  );
}

/** Whether a container was found on a cluster (rather than declared in an annotation). */
export function isKubernetesContainer(container: FoundContainer): boolean {
  return container.workload.cluster !== undefined;
}

/**
 * Whether a resource path (`/apis/apps/v1/namespaces/x/deployments`) lists a
 * workload type. Pod metrics (`/apis/metrics.k8s.io/...`) hold no image.
 */
export function isWorkloadPath(path: string): boolean {
  if (path.startsWith('/apis/metrics.k8s.io/')) return false;
  const plural = path.split('/').filter(Boolean).pop() ?? '';
  return WORKLOAD_TYPE_BY_OBJECT_TYPE.has(plural);
}

/**
 * The path the Kubernetes backend lists a type at
 * (`KubernetesConnection.buildResourcePath`).
 */
export function resourcePath(
  type: { group: string; apiVersion: string; objectType: string },
  namespace?: string,
): string {
  const encode = encodeURIComponent;
  let path = type.group
    ? `/apis/${encode(type.group)}/${encode(type.apiVersion)}`
    : `/api/${encode(type.apiVersion)}`;
  if (namespace) path += `/namespaces/${encode(namespace)}`;
  return `${path}/${encode(type.objectType)}`;
}

/** The Kubernetes backend's error type for a cluster's status (`statusCodeToErrorType`). */
export function errorTypeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 401:
      return 'UNAUTHORIZED_ERROR';
    case 404:
      return 'NOT_FOUND';
    case 500:
      return 'SYSTEM_ERROR';
    default:
      return 'UNKNOWN_ERROR';
  }
}

/** Builds one error with its class's advice. */
export type ErrorFactory = (
  errorClass: ErrorClass,
  subject: ErrorSubject,
  message: string,
) => ImageError;

/**
 * One error per cluster and class. Errors about object types that hold no
 * containers (services, ingresses, HPAs, pod metrics...) are left to the
 * Kubernetes plugin's own page: they hide no image.
 */
export function clusterErrors(
  cluster: string,
  fetchErrors: readonly FetchError[],
  error: ErrorFactory,
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
    error(errorClass, 'cluster', describeClusterErrors(cluster, group)),
  );
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

function describeClusterErrors(
  cluster: string,
  group: readonly FetchError[],
): string {
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
