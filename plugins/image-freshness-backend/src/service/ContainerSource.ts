import type { Entity } from '@backstage/catalog-model';
import type { ImageError } from 'backstage-plugin-image-freshness-common';
import type { FoundContainer } from '../database/FreshnessStore';

/** What a source found for one entity. */
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

/** Finds the containers an entity runs: from its annotations, from Kubernetes... */
export interface ContainerSource {
  readonly name: string;
  find(entity: Entity, platform: string): Promise<FoundContainers>;
}
