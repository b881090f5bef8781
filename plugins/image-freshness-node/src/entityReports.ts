import type { Entity } from '@backstage/catalog-model';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';

/**
 * Read access to the entity reports the core keeps, for features that act
 * on verdicts (scorecards, owner notifications, rebuild triggers). The
 * reports are the ones `GET /entities/:kind/:namespace/:name` serves, built
 * from the store with the verdicts as of the core's clock; never calls a
 * registry or a cluster.
 *
 * @public
 */
export interface EntityImageReports {
  /** Every entity the store knows (`kind:namespace/name`), sorted: with data, or waiting for its first refresh. */
  listEntityRefs(): Promise<string[]>;
  /**
   * The report of `entity`: its containers with freshness verdicts (against
   * the entity's `image-freshness/max-age` or the configured limit), its base
   * images with rebuild verdicts, and its errors. An entity without stored
   * data gets a report with no containers.
   */
  build(entity: Entity): Promise<EntityImageReport>;
}
