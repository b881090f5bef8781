import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { Entity } from '@backstage/catalog-model';
import type {
  ContainerReport,
  ImageError,
} from 'backstage-plugin-image-freshness-common';

/**
 * One container a source found for an entity.
 *
 * @public
 */
export interface FoundContainer {
  /** Unique within the entity: cluster, namespace, kind, name and jsonpath. */
  key: string;
  container: string;
  workload: ContainerReport['workload'];
  image: string;
  /** os/architecture[/variant] to pick from multi-arch images. */
  platform: string;
  /** The digest a pod really runs (`status.containerStatuses[].imageID`). */
  runningDigest?: string;
}

/**
 * What a source found for one entity.
 *
 * @public
 */
export interface FoundContainers {
  containers: FoundContainer[];
  /** Failures of the source itself (a cluster that did not answer), never fatal. */
  errors: Array<ImageError & { source: string }>;
  /**
   * Which stored containers this source could not list this time (those of a
   * cluster that failed): they are kept with their last good answer rather
   * than removed as gone. None when absent.
   */
  unread?: (container: FoundContainer) => boolean;
}

/**
 * Finds the containers an entity runs: from its annotations, from
 * Kubernetes, from anything else a module knows.
 *
 * @public
 */
export interface ContainerSource {
  /** Names the source in logs and in `image_freshness_source_errors_total{source}`. */
  readonly name: string;
  /**
   * Catalog annotations that mark an entity as this source's: the scheduled
   * refresh reads the entities that carry any of them, beside those with the
   * plugin's own (`image-freshness/images`, `backstage.io/kubernetes-id`,
   * `backstage.io/kubernetes-label-selector`).
   */
  readonly annotations?: readonly string[];
  /**
   * The entity's containers. `platform` is the one to pick from multi-arch
   * images (the entity's annotation, else the configured default). Throwing
   * fails this source for this entity only; prefer `errors`.
   */
  find(entity: Entity, platform: string): Promise<FoundContainers>;
  /**
   * Optional: called once at the start of every scheduled refresh run,
   * before its first entity, for a source that reads in bulk (every object
   * of a cluster once per run rather than once per entity). The run's
   * entities are then found through the returned {@link ContainerSourceRun};
   * `find` still serves single entities outside a run (the Refresh button).
   * `signal` aborts when the run is stopped (shutdown, the schedule's
   * timeout). A source without it is asked through `find` in runs too. If it
   * throws, the run uses `find` for this source and logs why.
   */
  startRun?(options: { signal: AbortSignal }): Promise<ContainerSourceRun>;
}

/**
 * A source's part in one scheduled refresh run, from
 * {@link ContainerSource.startRun}.
 *
 * @public
 */
export interface ContainerSourceRun {
  /** The entity's containers, as {@link ContainerSource.find} answers. */
  find(entity: Entity, platform: string): Promise<FoundContainers>;
  /**
   * Called once when the run ends (finished, stopped or failed), so the
   * source can let go of what it read for the run.
   */
  end?(): Promise<void>;
}

/**
 * Adds container sources. The core plugin registers two by default: the
 * `image-freshness/images` annotation and the Kubernetes backend's
 * workloads query.
 *
 * @public
 */
export interface ImageFreshnessContainerSourcesExtensionPoint {
  addContainerSource(...sources: ContainerSource[]): void;
}

/**
 * The extension point for container sources.
 *
 * @public
 */
export const imageFreshnessContainerSourcesExtensionPoint =
  createExtensionPoint<ImageFreshnessContainerSourcesExtensionPoint>({
    id: 'image-freshness.container-sources',
  });
