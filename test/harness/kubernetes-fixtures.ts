/*
 * Realistic Kubernetes objects for the stand-in: what `kubectl get -o json`
 * shows for an application deployed the usual ways. A Deployment with its
 * current (and optionally a previous, scaled-down) ReplicaSet and their Pods, a
 * StatefulSet, a DaemonSet, a CronJob with one Job, a Service, a ConfigMap, an
 * HPA and an Ingress, all labelled `backstage.io/kubernetes-id: <id>`.
 *
 * Images are passed in, so tests can point them at a real local registry; the
 * digest each pod runs is passed in too, so it can differ from the digest the
 * tag points at now (drift).
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject, ObjectMeta } from './kubernetes';

/** A container as it appears in a pod spec. */
export interface Container {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  args?: string[];
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  env?: Array<{ name: string; value?: string }>;
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
  /** for init containers that keep running (native sidecars) */
  restartPolicy?: 'Always';
  /** for ephemeral containers */
  targetContainerName?: string;
  stdin?: boolean;
  tty?: boolean;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
}

/** The parts of a pod spec the fixtures fill in. */
export interface PodSpec {
  initContainers?: Container[];
  containers: Container[];
  ephemeralContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  serviceAccountName?: string;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
  dnsPolicy?: string;
  schedulerName?: string;
}

/** A container's status in a pod's status. */
export interface ContainerStatus {
  name: string;
  image: string;
  /** `docker-pullable://REPO@sha256:...` (Docker) or `REPO@sha256:...` (containerd) */
  imageID: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: Record<string, Record<string, unknown>>;
}

/** Which container runtime the nodes run; decides the form of `imageID`. */
export type ContainerRuntime = 'containerd' | 'docker';

/** Images of the fixture app; only `app` is required. */
export interface AppImages {
  /** The Deployment's main container, e.g. `127.0.0.1:5000/shop/checkout:1.4.2`. */
  app: string;
  /** A sidecar next to it (the Deployment's second container). */
  sidecar?: string;
  /** The Deployment's first init container (waits for the database). */
  init?: string;
  /** The Deployment's second init container (runs migrations). */
  migrate?: string;
  /** The StatefulSet's container. */
  cache?: string;
  /** The DaemonSet's container; its init container uses `init`. */
  agent?: string;
  /** The CronJob's (and its Job's) container. */
  job?: string;
  /** The ephemeral container `kubectl debug` added to the first app pod. */
  debug?: string;
}

/** Options for {@link buildAppObjects}. */
export interface AppFixtureOptions {
  /** Application name; prefixes every object name. */
  name: string;
  /** `backstage.io/kubernetes-id` label value (default: `name`). */
  kubernetesId?: string;
  namespace?: string;
  images: AppImages;
  /**
   * The digest (`sha256:...`) each image really runs in the pods, by image
   * reference. Defaults to a made-up digest derived from the reference: pass
   * the registry's current digest for "no drift", an older one for drift.
   */
  running?: Record<string, string>;
  /** `imageID` form in pod statuses (default `containerd`). */
  runtime?: ContainerRuntime;
  /** App pods (default 2). */
  replicas?: number;
  /**
   * Adds the previous rollout's ReplicaSet, scaled to zero, whose main
   * container ran this image (as `kubectl rollout` leaves it behind).
   */
  previousAppImage?: string;
  /** `app.kubernetes.io/part-of` (default: `name`). */
  partOf?: string;
  /** Extra labels on every object and pod template, e.g. `{ environment: 'staging' }`. */
  labels?: Record<string, string>;
  /** When the objects were created (default 2026-03-02T09:14:07Z). */
  createdAt?: string;
  /** Node the pods run on (default `ip-10-0-12-34.eu-west-1.compute.internal`). */
  nodeName?: string;
}

const DEFAULT_IMAGES: Required<Omit<AppImages, 'app'>> = {
  sidecar: 'registry.example.com/platform/envoy:v1.30.1',
  init: 'registry.example.com/platform/busybox:1.36.1',
  migrate: 'registry.example.com/platform/migrate:v4.17.0',
  cache: 'registry.example.com/platform/redis:7.2.4-alpine',
  agent: 'registry.example.com/platform/fluent-bit:3.0.4',
  job: 'registry.example.com/platform/report-runner:2.3.0',
  debug: 'registry.example.com/platform/netshoot:v0.12',
};

/** A made-up but well-formed `sha256:` digest, stable for a given seed. */
export function fakeDigest(seed: string): string {
  return `sha256:${createHash('sha256').update(seed).digest('hex')}`;
}

/** The repository part of a reference: `host/repo:tag` and `host/repo@sha256:...` → `host/repo`. */
export function repositoryOf(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.lastIndexOf(':');
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** The `imageID` a runtime reports for an image pulled at `digest`. */
export function imageIdFor(
  image: string,
  digest: string,
  runtime: ContainerRuntime,
): string {
  const pinned = `${repositoryOf(image)}@${digest}`;
  return runtime === 'docker' ? `docker-pullable://${pinned}` : pinned;
}

/**
 * Builds the objects of one application as a cluster holds them:
 *
 * - Deployment `NAME` (init containers `wait-for-db`, `migrate`; containers
 *   `NAME`, `envoy`) → ReplicaSet `NAME-HASH` → `replicas` Pods; the first pod
 *   has an ephemeral `debugger-XXXXX` container; with `previousAppImage` also
 *   the old ReplicaSet, scaled to zero.
 * - StatefulSet `NAME-cache` (container `redis`) → Pod `NAME-cache-0`.
 * - DaemonSet `NAME-log-agent` (init `init-config`, container `fluent-bit`) → one Pod.
 * - CronJob `NAME-nightly-report` (container `report`) → Job → completed Pod.
 * - Service, ConfigMap, HorizontalPodAutoscaler and Ingress `NAME`.
 *
 * Pods carry `ownerReferences` to their controller and
 * `status.{init,ephemeral,}containerStatuses[].imageID` with the running digest.
 */
export function buildAppObjects(
  options: AppFixtureOptions,
): KubernetesObject[] {
  const name = options.name;
  const namespace = options.namespace ?? 'default';
  const images = { ...DEFAULT_IMAGES, ...options.images };
  const runtime = options.runtime ?? 'containerd';
  const created = options.createdAt ?? '2026-03-02T09:14:07Z';
  const nodeName =
    options.nodeName ?? 'ip-10-0-12-34.eu-west-1.compute.internal';
  const replicas = options.replicas ?? 2;
  const common = {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': options.partOf ?? name,
    'app.kubernetes.io/managed-by': 'Helm',
    'backstage.io/kubernetes-id': options.kubernetesId ?? name,
    ...options.labels,
  };
  const labelsFor = (component: string) => ({
    ...common,
    'app.kubernetes.io/component': component,
  });
  const selectorFor = (component: string) => ({
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/component': component,
  });
  const seed = `${namespace}/${name}`;
  const meta = (
    kind: string,
    objectName: string,
    labels: Record<string, string>,
    extra: Partial<ObjectMeta> = {},
  ): ObjectMeta => ({
    name: objectName,
    namespace,
    uid: uidFor(`${seed}/${kind}/${objectName}`),
    resourceVersion: String(
      48_000_000 + (hashNumber(`${kind}/${objectName}`) % 200_000),
    ),
    generation: 1,
    creationTimestamp: created,
    labels,
    ...extra,
  });
  const owner = (o: KubernetesObject) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  });
  const runningDigest = (image: string) =>
    options.running?.[image] ?? fakeDigest(image);
  const statusOf = (
    c: Container,
    state: ContainerStatus['state'],
    ready: boolean,
  ): ContainerStatus => ({
    name: c.name,
    image: c.image,
    imageID: imageIdFor(c.image, runningDigest(c.image), runtime),
    containerID: `${
      runtime === 'docker' ? 'docker' : 'containerd'
    }://${createHash('sha256')
      .update(`${seed}/${c.name}/${JSON.stringify(state)}`)
      .digest('hex')}`,
    ready,
    started: ready,
    restartCount: 0,
    state,
  });
  const running = { running: { startedAt: created } };
  const completed = {
    terminated: {
      exitCode: 0,
      reason: 'Completed',
      startedAt: created,
      finishedAt: created,
    },
  };
  let podIp = hashNumber(seed) % 200;
  const podStatus = (
    spec: PodSpec,
    phase: 'Running' | 'Succeeded',
  ): Record<string, unknown> => ({
    phase,
    conditions: [
      { type: 'Initialized', status: 'True', lastTransitionTime: created },
      {
        type: 'Ready',
        status: phase === 'Running' ? 'True' : 'False',
        lastTransitionTime: created,
      },
      {
        type: 'ContainersReady',
        status: phase === 'Running' ? 'True' : 'False',
        lastTransitionTime: created,
      },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
    ],
    hostIP: '10.0.12.34',
    podIP: `10.42.3.${(podIp += 1) % 250}`,
    startTime: created,
    qosClass: 'Burstable',
    ...(spec.initContainers?.length
      ? {
          initContainerStatuses: spec.initContainers.map(c =>
            statusOf(c, completed, false),
          ),
        }
      : {}),
    containerStatuses: spec.containers.map(c =>
      phase === 'Running'
        ? statusOf(c, running, true)
        : statusOf(c, completed, false),
    ),
    ...(spec.ephemeralContainers?.length
      ? {
          ephemeralContainerStatuses: spec.ephemeralContainers.map(c =>
            statusOf(c, running, false),
          ),
        }
      : {}),
  });
  const podDefaults = {
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    schedulerName: 'default-scheduler',
  };
  const pod = (
    podName: string,
    labels: Record<string, string>,
    ownerObject: KubernetesObject,
    spec: PodSpec,
    phase: 'Running' | 'Succeeded' = 'Running',
  ): KubernetesObject => {
    const fullSpec: PodSpec = { ...podDefaults, ...spec, nodeName };
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('Pod', podName, labels, {
        generateName: podName.replace(/[^-]+$/, ''),
        ownerReferences: [owner(ownerObject)],
        generation: undefined,
      }),
      spec: fullSpec,
      status: podStatus(fullSpec, phase),
    };
  };
  const resources = (cpu: string, memory: string) => ({
    requests: { cpu, memory },
    limits: { memory },
  });

  // Deployment → ReplicaSet → Pods
  const serverLabels = labelsFor('server');
  const appSpec = (appImage: string): PodSpec => ({
    serviceAccountName: name,
    initContainers: [
      {
        name: 'wait-for-db',
        image: images.init,
        command: ['sh', '-c', `until nc -z ${name}-db 5432; do sleep 2; done`],
        imagePullPolicy: 'IfNotPresent',
      },
      {
        name: 'migrate',
        image: images.migrate,
        args: ['-path', '/migrations', '-database', '$(DATABASE_URL)', 'up'],
        env: [
          { name: 'DATABASE_URL', value: `postgres://${name}-db:5432/${name}` },
        ],
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    containers: [
      {
        name,
        image: appImage,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env: [{ name: 'LOG_LEVEL', value: 'info' }],
        resources: resources('250m', '256Mi'),
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      },
      {
        name: 'envoy',
        image: images.sidecar,
        args: ['--config-path', '/etc/envoy/envoy.yaml'],
        ports: [{ name: 'envoy-admin', containerPort: 9901, protocol: 'TCP' }],
        resources: resources('100m', '128Mi'),
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
  });
  const deployment: KubernetesObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('Deployment', name, serverLabels, {
      generation: options.previousAppImage ? 2 : 1,
      annotations: {
        'deployment.kubernetes.io/revision': options.previousAppImage
          ? '2'
          : '1',
        'meta.helm.sh/release-name': name,
        'meta.helm.sh/release-namespace': namespace,
      },
    }),
    spec: {
      replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: selectorFor('server') },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: {
        metadata: { labels: serverLabels },
        spec: appSpec(images.app),
      },
    },
    status: {
      observedGeneration: options.previousAppImage ? 2 : 1,
      replicas,
      updatedReplicas: replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
        },
        {
          type: 'Progressing',
          status: 'True',
          reason: 'NewReplicaSetAvailable',
        },
      ],
    },
  };
  const replicaSet = (appImage: string, revision: number, count: number) => {
    const hash = k8sRandom(`${seed}/${appImage}/${revision}`, 10);
    const labels = { ...serverLabels, 'pod-template-hash': hash };
    const rs: KubernetesObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta('ReplicaSet', `${name}-${hash}`, labels, {
        annotations: {
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + 1),
          'deployment.kubernetes.io/revision': String(revision),
        },
        ownerReferences: [owner(deployment)],
      }),
      spec: {
        replicas: count,
        selector: {
          matchLabels: { ...selectorFor('server'), 'pod-template-hash': hash },
        },
        template: { metadata: { labels }, spec: appSpec(appImage) },
      },
      status: {
        replicas: count,
        fullyLabeledReplicas: count,
        readyReplicas: count || undefined,
        availableReplicas: count || undefined,
        observedGeneration: 1,
      },
    };
    return { rs, hash, labels };
  };
  const objects: KubernetesObject[] = [deployment];
  if (options.previousAppImage) {
    objects.push(replicaSet(options.previousAppImage, 1, 0).rs);
  }
  const current = replicaSet(
    images.app,
    options.previousAppImage ? 2 : 1,
    replicas,
  );
  objects.push(current.rs);
  for (let i = 0; i < replicas; i++) {
    const podName = `${name}-${current.hash}-${k8sRandom(
      `${seed}/pod/${i}`,
      5,
    )}`;
    const spec = appSpec(images.app);
    if (i === 0) {
      spec.ephemeralContainers = [
        {
          name: `debugger-${k8sRandom(`${seed}/debug`, 5)}`,
          image: images.debug,
          targetContainerName: name,
          stdin: true,
          tty: true,
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ];
    }
    objects.push(pod(podName, current.labels, current.rs, spec));
  }

  // StatefulSet → Pod
  const cacheLabels = labelsFor('cache');
  const cacheSpec: PodSpec = {
    containers: [
      {
        name: 'redis',
        image: images.cache,
        args: ['--appendonly', 'yes'],
        ports: [{ name: 'redis', containerPort: 6379, protocol: 'TCP' }],
        resources: resources('100m', '512Mi'),
      },
    ],
  };
  const statefulSet: KubernetesObject = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta('StatefulSet', `${name}-cache`, cacheLabels),
    spec: {
      replicas: 1,
      serviceName: `${name}-cache`,
      podManagementPolicy: 'OrderedReady',
      selector: { matchLabels: selectorFor('cache') },
      template: { metadata: { labels: cacheLabels }, spec: cacheSpec },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: '8Gi' } },
          },
        },
      ],
    },
    status: {
      replicas: 1,
      readyReplicas: 1,
      currentReplicas: 1,
      updatedReplicas: 1,
    },
  };
  const revisionHash = `${name}-cache-${k8sRandom(`${seed}/sts`, 10)}`;
  objects.push(
    statefulSet,
    pod(
      `${name}-cache-0`,
      {
        ...cacheLabels,
        'controller-revision-hash': revisionHash,
        'statefulset.kubernetes.io/pod-name': `${name}-cache-0`,
        'apps.kubernetes.io/pod-index': '0',
      },
      statefulSet,
      cacheSpec,
    ),
  );

  // DaemonSet → Pod (one node)
  const agentLabels = labelsFor('log-agent');
  const agentSpec: PodSpec = {
    initContainers: [
      {
        name: 'init-config',
        image: images.init,
        command: ['sh', '-c', 'cp /config-template/* /fluent-bit/etc/'],
      },
    ],
    containers: [
      {
        name: 'fluent-bit',
        image: images.agent,
        resources: resources('50m', '64Mi'),
      },
    ],
  };
  const daemonSet: KubernetesObject = {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('DaemonSet', `${name}-log-agent`, agentLabels),
    spec: {
      selector: { matchLabels: selectorFor('log-agent') },
      template: { metadata: { labels: agentLabels }, spec: agentSpec },
      updateStrategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 1 },
      },
    },
    status: {
      currentNumberScheduled: 1,
      desiredNumberScheduled: 1,
      numberAvailable: 1,
      numberReady: 1,
      updatedNumberScheduled: 1,
    },
  };
  objects.push(
    daemonSet,
    pod(
      `${name}-log-agent-${k8sRandom(`${seed}/ds`, 5)}`,
      {
        ...agentLabels,
        'controller-revision-hash': k8sRandom(`${seed}/ds-rev`, 10),
        'pod-template-generation': '1',
      },
      daemonSet,
      agentSpec,
    ),
  );

  // CronJob → Job → completed Pod
  const batchLabels = labelsFor('batch');
  const jobSpec: PodSpec = {
    containers: [
      {
        name: 'report',
        image: images.job,
        args: ['--report', 'nightly'],
        resources: resources('500m', '1Gi'),
      },
    ],
    restartPolicy: 'OnFailure',
  };
  const cronJob: KubernetesObject = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: meta('CronJob', `${name}-nightly-report`, batchLabels),
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Etc/UTC',
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      suspend: false,
      jobTemplate: {
        metadata: { labels: batchLabels },
        spec: {
          backoffLimit: 2,
          template: { metadata: { labels: batchLabels }, spec: jobSpec },
        },
      },
    },
    status: { lastScheduleTime: created, lastSuccessfulTime: created },
  };
  const jobName = `${name}-nightly-report-29542500`;
  const job: KubernetesObject = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: meta('Job', jobName, batchLabels, {
      annotations: {
        'batch.kubernetes.io/cronjob-scheduled-timestamp': created,
      },
      ownerReferences: [owner(cronJob)],
    }),
    spec: {
      backoffLimit: 2,
      completions: 1,
      parallelism: 1,
      template: {
        metadata: {
          labels: { ...batchLabels, 'batch.kubernetes.io/job-name': jobName },
        },
        spec: jobSpec,
      },
    },
    status: {
      succeeded: 1,
      startTime: created,
      completionTime: created,
      conditions: [{ type: 'Complete', status: 'True' }],
    },
  };
  objects.push(
    cronJob,
    job,
    pod(
      `${jobName}-${k8sRandom(`${seed}/job`, 5)}`,
      {
        ...batchLabels,
        'batch.kubernetes.io/job-name': jobName,
        'job-name': jobName,
        'batch.kubernetes.io/controller-uid': job.metadata.uid!,
      },
      job,
      jobSpec,
      'Succeeded',
    ),
  );

  // The rest of what the Kubernetes backend lists for an entity.
  objects.push(
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta('Service', name, serverLabels),
      spec: {
        type: 'ClusterIP',
        clusterIP: `10.96.${hashNumber(seed) % 250}.17`,
        selector: selectorFor('server'),
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        ],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('ConfigMap', `${name}-config`, serverLabels),
      data: { LOG_LEVEL: 'info', FEATURE_FLAGS: 'checkout-v2' },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('HorizontalPodAutoscaler', name, serverLabels),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: replicas,
        maxReplicas: replicas * 5,
        metrics: [
          {
            type: 'Resource',
            resource: {
              name: 'cpu',
              target: { type: 'Utilization', averageUtilization: 70 },
            },
          },
        ],
      },
      status: { currentReplicas: replicas, desiredReplicas: replicas },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('Ingress', name, serverLabels),
      spec: {
        ingressClassName: 'nginx',
        rules: [
          {
            host: `${name}.example.com`,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name, port: { name: 'http' } } },
                },
              ],
            },
          },
        ],
      },
    },
  );
  return objects;
}

/** Kubernetes' alphabet for generated name suffixes (no vowels, no lookalikes). */
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function k8sRandom(seed: string, length: number): string {
  const bytes = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) {
    out += K8S_ALPHABET[bytes[i] % K8S_ALPHABET.length];
  }
  return out;
}

function hashNumber(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0);
}

function uidFor(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(
    13,
    16,
  )}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
