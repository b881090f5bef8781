import { CompoundEntityRef } from '@backstage/catalog-model';
import { createApiRef } from '@backstage/core-plugin-api';
import type { EntityImageReport } from 'backstage-plugin-image-freshness-common';

/** The image-freshness backend, as the frontend sees it. @public */
export interface ImageFreshnessApi {
  getEntityReport(entity: CompoundEntityRef): Promise<EntityImageReport>;
  refreshEntity(entity: CompoundEntityRef): Promise<void>;
}

/** @public */
export const imageFreshnessApiRef = createApiRef<ImageFreshnessApi>({
  id: 'plugin.image-freshness.api',
});
