import { CompoundEntityRef } from '@backstage/catalog-model';
import { createApiRef } from '@backstage/core-plugin-api';
import type {
  EntityImageReport,
  EntityRebuilds,
  RebuildAttempt,
  ImageFreshnessOverview,
  OverviewVerdict,
} from 'backstage-plugin-image-freshness-common';

/** A page of the org-wide overview and its filters (absent: all). @public */
export interface OverviewRequest {
  offset?: number;
  /** Rows per page, 1 to 200 (default 50). */
  limit?: number;
  /** An owner's entity ref, e.g. `group:default/team-a`. */
  owner?: string;
  /** A system's entity ref. */
  system?: string;
  verdict?: OverviewVerdict;
  /** A registry host, e.g. `ghcr.io`. */
  registry?: string;
  /** Text in the entity ref, title, image, owner or system. */
  q?: string;
}

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
  /** Every entity's images the user may read, most urgent first. */
  getOverview(request: OverviewRequest): Promise<ImageFreshnessOverview>;
}

/** @public */
export const imageFreshnessApiRef = createApiRef<ImageFreshnessApi>({
  id: 'plugin.image-freshness.api',
});
