import type {
  BaseImageReport,
  ImageMetadata,
} from 'backstage-plugin-image-freshness-common';
import { parseEntityRef } from '@backstage/catalog-model';
import type { StoredContainer, StoredEntity } from '../refresh/EntityStore';
import { redactImage } from '../lib/redactImage';

export { redactImage };

/** An entity as the snapshot sees it: the store's facts plus its base images. */
export type SnapshotEntity = StoredEntity & {
  baseImages?: readonly BaseImageReport[];
};

/** One sample of a family: its labels and its value. */
export type Sample = readonly [labels: Record<string, string>, value: number];

/** The cardinality guards every family applies to what images carry. */
export interface SeriesGuards {
  /** Whether an image label key is exported. */
  labelKeyAllowed(key: string): boolean;
  /** Whether a manifest annotation key is exported. */
  annotationKeyAllowed(key: string): boolean;
  /** A label or annotation value cut to `maxValueLength` characters. */
  value(text: string): string;
}

/**
 * One metric family rendered from the store snapshot. Adding a series to the
 * `/metrics` route is one more of these in {@link DEFAULT_SNAPSHOT_SERIES}:
 * its name, help, label names and a generator of its samples, which the
 * collector pulls a few thousand at a time, letting waiting requests run in
 * between (a family of 40,000 series is 80 ms of work). Families earlier in
 * the list win when `maxSeries` is reached.
 */
export interface SnapshotSeries {
  name: string;
  help: string;
  labelNames: readonly string[];
  samples(
    entities: readonly SnapshotEntity[],
    guards: SeriesGuards,
  ): Iterable<Sample>;
}

/** The Kubernetes group and version of each container kind, as the seed exports them. */
const GROUP_VERSION: Record<string, { group: string; version: string }> = {
  Pod: { group: '', version: 'v1' },
  Deployment: { group: 'apps', version: 'v1' },
  ReplicaSet: { group: 'apps', version: 'v1' },
  StatefulSet: { group: 'apps', version: 'v1' },
  DaemonSet: { group: 'apps', version: 'v1' },
  Job: { group: 'batch', version: 'v1' },
  CronJob: { group: 'batch', version: 'v1' },
  // Declared in `image-freshness/images` on a catalog entity: the holding
  // object is the entity itself (apiVersion backstage.io/v1alpha1).
  Annotation: { group: 'backstage.io', version: 'v1alpha1' },
};

/** The jsonpath given to annotation-declared images. */
export const ANNOTATION_JSONPATH =
  '{.metadata.annotations.image-freshness/images}';

/** The labels that identify a container, in the seed's order plus `cluster` and `entity`. */
function containerLabels(
  entity: StoredEntity,
  namespaceOfEntity: string,
  c: StoredContainer,
): Record<string, string> {
  const { kind } = c.workload;
  const gv = GROUP_VERSION[kind] ?? { group: '', version: '' };
  const annotation = kind === 'Annotation';
  return {
    group: gv.group,
    version: gv.version,
    kind,
    namespace: annotation ? namespaceOfEntity : c.workload.namespace ?? '',
    name: c.workload.name,
    jsonpath: annotation ? ANNOTATION_JSONPATH : c.workload.jsonpath ?? '',
    image: redactImage(c.image),
    digest: c.digest ?? '',
    cluster: c.workload.cluster ?? '',
    entity: entity.entityRef,
  };
}

function entityNamespace(entityRef: string): string {
  try {
    return parseEntityRef(entityRef).namespace;
  } catch {
    return '';
  }
}

/** Each distinct image digest that has metadata, with it (first seen wins). */
function* images(
  entities: readonly SnapshotEntity[],
): Generator<readonly [digest: string, metadata: ImageMetadata]> {
  const seen = new Set<string>();
  for (const entity of entities) {
    for (const c of entity.containers) {
      if (c.digest && c.metadata && !seen.has(c.digest)) {
        seen.add(c.digest);
        yield [c.digest, c.metadata];
      }
    }
  }
}

/** Unix seconds of an ISO time, or undefined when absent, unparsable or not after 1970. */
export function unixSeconds(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : undefined;
}

const CONTAINER_LABEL_NAMES = [
  'group',
  'version',
  'kind',
  'namespace',
  'name',
  'jsonpath',
  'image',
  'digest',
  'cluster',
  'entity',
] as const;

/**
 * `container_image_container_info`: exactly the seed's labels plus `cluster`
 * and `entity`. An error never changes a container's labels (alert `for:`
 * timers and `changes()` survive it); its class is on
 * {@link containerError}.
 */
export const containerInfo: SnapshotSeries = {
  name: 'container_image_container_info',
  help: 'Containers found for catalog entities (Pods and their controllers, and annotation-declared images), with the digest their image reference resolves to; digest="" when it never resolved.',
  labelNames: CONTAINER_LABEL_NAMES,
  *samples(entities) {
    for (const entity of entities) {
      const ns = entityNamespace(entity.entityRef);
      for (const c of entity.containers) {
        yield [containerLabels(entity, ns, c), 1];
      }
    }
  },
};

/**
 * `container_image_container_error`: the container labels of
 * `container_image_container_info` plus the class of the error that stands
 * for it; present only while resolving its image fails. Join it with
 * `* on (cluster, entity, namespace, kind, name, jsonpath, image) group_left (error)`.
 */
export const containerError: SnapshotSeries = {
  name: 'container_image_container_error',
  help: 'Containers whose image currently fails to resolve (1), with the container labels of container_image_container_info plus the error class; no series while the image resolves.',
  labelNames: [...CONTAINER_LABEL_NAMES, 'error'],
  *samples(entities) {
    for (const entity of entities) {
      const ns = entityNamespace(entity.entityRef);
      for (const c of entity.containers) {
        if (!c.error) continue;
        yield [{ ...containerLabels(entity, ns, c), error: c.error.class }, 1];
      }
    }
  },
};

/** `container_image_running_info`: what pods really run beside what their tag points at now. */
export const runningInfo: SnapshotSeries = {
  name: 'container_image_running_info',
  help: 'The digest a pod container really runs (running_digest) beside the digest its reference resolves to now (digest): 1 when they match, 0 when they differ (drift) or the current digest is unknown.',
  labelNames: [...CONTAINER_LABEL_NAMES, 'running_digest'],
  *samples(entities) {
    for (const entity of entities) {
      const ns = entityNamespace(entity.entityRef);
      for (const c of entity.containers) {
        if (!c.runningDigest) continue;
        const labels = containerLabels(entity, ns, c);
        labels.running_digest = c.runningDigest;
        const current =
          c.digest !== undefined &&
          (c.runningDigest === c.digest ||
            c.runningDigest === c.metadata?.digest);
        yield [labels, current ? 1 : 0];
      }
    }
  },
};

/** `image_freshness_entity_info`: ownership, joinable on `entity`. */
export const entityInfo: SnapshotSeries = {
  name: 'image_freshness_entity_info',
  help: 'Catalog entities with images and their ownership; join on entity.',
  labelNames: ['entity', 'owner', 'system', 'lifecycle', 'type'],
  *samples(entities) {
    for (const entity of entities) {
      yield [
        {
          entity: entity.entityRef,
          owner: entity.info.owner ?? '',
          system: entity.info.system ?? '',
          lifecycle: entity.info.lifecycle ?? '',
          type: entity.info.type ?? '',
        },
        1,
      ];
    }
  },
};

/** `container_image_size_bytes{digest}` */
export const sizeBytes: SnapshotSeries = {
  name: 'container_image_size_bytes',
  help: 'The size of the image in the registry (config plus layers), in bytes.',
  labelNames: ['digest'],
  *samples(entities) {
    for (const [digest, metadata] of images(entities)) {
      yield [{ digest }, metadata.size];
    }
  },
};

/** `container_image_created{digest}`; none for an image without a build time. */
export const created: SnapshotSeries = {
  name: 'container_image_created',
  help: 'The created date from the image config. Expressed as a Unix Epoch Time.',
  labelNames: ['digest'],
  *samples(entities) {
    for (const [digest, metadata] of images(entities)) {
      const seconds = unixSeconds(metadata.created);
      if (seconds !== undefined) yield [{ digest }, seconds];
    }
  },
};

/** `container_image_label{digest,key,value}` for allowed keys. */
export const imageLabel: SnapshotSeries = {
  name: 'container_image_label',
  help: 'Labels from the image config (org.opencontainers.image.* and imageFreshness.metrics.labelKeys).',
  labelNames: ['digest', 'key', 'value'],
  *samples(entities, guards) {
    for (const [digest, metadata] of images(entities)) {
      for (const [key, value] of Object.entries(metadata.labels ?? {})) {
        if (guards.labelKeyAllowed(key)) {
          yield [{ digest, key, value: guards.value(value) }, 1];
        }
      }
    }
  },
};

/** `container_image_annotation{digest,key,value}` for allowed keys. */
export const imageAnnotation: SnapshotSeries = {
  name: 'container_image_annotation',
  help: 'Annotations from the image manifest (org.opencontainers.image.* and imageFreshness.metrics.annotationKeys).',
  labelNames: ['digest', 'key', 'value'],
  *samples(entities, guards) {
    for (const [digest, metadata] of images(entities)) {
      for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
        if (guards.annotationKeyAllowed(key)) {
          yield [{ digest, key, value: guards.value(value) }, 1];
        }
      }
    }
  },
};

/** `container_image_base_info{digest,base_name,base_digest,source}`: what each image is built on. */
export const baseInfo: SnapshotSeries = {
  name: 'container_image_base_info',
  help: 'The base image each image is built on (base_digest: the digest it was built on, "" when unknown) and where that was found (annotation, label, dockerfile).',
  labelNames: ['digest', 'base_name', 'base_digest', 'source'],
  *samples(entities) {
    const seen = new Set<string>();
    for (const entity of entities) {
      for (const report of entity.baseImages ?? []) {
        if (!report.imageDigest || !report.base) continue;
        const labels = {
          digest: report.imageDigest,
          base_name: report.base.name,
          base_digest: report.base.builtOnDigest ?? '',
          source: report.base.source.kind,
        };
        const key = Object.values(labels).join('\n');
        if (seen.has(key)) continue;
        seen.add(key);
        yield [labels, 1];
      }
    }
  },
};

/** `container_image_rebuild_due{entity,digest}`: 1 when the base moved more than the rebuild delay ago. */
export const rebuildDue: SnapshotSeries = {
  name: 'container_image_rebuild_due',
  help: 'Whether an image of the entity is due for a rebuild because its base moved more than the rebuild delay ago (1) or not (0); images with an unknown base have no series.',
  labelNames: ['entity', 'digest'],
  *samples(entities) {
    for (const entity of entities) {
      const seen = new Set<string>();
      for (const report of entity.baseImages ?? []) {
        const verdict = report.verdict.verdict;
        if (!report.imageDigest || verdict === 'unknown') continue;
        if (seen.has(report.imageDigest)) continue;
        seen.add(report.imageDigest);
        yield [
          { entity: entity.entityRef, digest: report.imageDigest },
          verdict === 'rebuild-due' ? 1 : 0,
        ];
      }
    }
  },
};

/**
 * Every family rendered from the store, most important first (they keep their
 * series when `maxSeries` cuts): ownership and containers before per-image
 * details, labels and annotations last.
 */
export const DEFAULT_SNAPSHOT_SERIES: readonly SnapshotSeries[] = [
  entityInfo,
  containerInfo,
  containerError,
  runningInfo,
  sizeBytes,
  created,
  baseInfo,
  rebuildDue,
  imageLabel,
  imageAnnotation,
];
