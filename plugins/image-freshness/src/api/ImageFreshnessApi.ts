import { CompoundEntityRef } from '@backstage/catalog-model';
import { createApiRef } from '@backstage/core-plugin-api';
import type {
  EntityImageReport,
  EntityRebuilds,
  RebuildAttempt,
} from 'backstage-plugin-image-freshness-common';

/** The image-freshness backend, as the frontend sees it. @public */
export interface ImageFreshnessApi {
  getEntityReport(entity: CompoundEntityRef): Promise<EntityImageReport>;
  refreshEntity(entity: CompoundEntityRef): Promise<void>;
  /**
   * The entity's rebuild attempts (the rebuild module); undefined when the
   * backend has no rebuild routes (the module is not installed or is off).
   */
  getRebuilds?(entity: CompoundEntityRef): Promise<EntityRebuilds | undefined>;
  /** Triggers a rebuild of a managed image now; answers the recorded attempt. */
  triggerRebuild?(
    entity: CompoundEntityRef,
    image: string,
  ): Promise<RebuildAttempt>;
}

/** @public */
export const imageFreshnessApiRef = createApiRef<ImageFreshnessApi>({
  id: 'plugin.image-freshness.api',
});
