import type { FactSchema } from '@backstage-community/plugin-tech-insights-common';
import type { ImageFreshnessFacts } from 'backstage-plugin-image-freshness-common';

/**
 * The id of the fact retriever: checks name it in `factIds`, and its facts
 * are stored under it.
 *
 * @public
 */
export const IMAGE_FRESHNESS_FACT_RETRIEVER_ID = 'image-freshness';

/**
 * The key of the retriever under `techInsights.factRetrievers` in the app
 * config (its cadence and lifecycle); the retriever runs only when it is
 * configured.
 *
 * @public
 */
export const IMAGE_FRESHNESS_FACT_RETRIEVER_KEY = 'imageFreshnessFactRetriever';

/**
 * The facts of one entity, as {@link reportFacts} computes them from the
 * entity's image-freshness report. Counts are of distinct images (a
 * Deployment, its ReplicaSet and its Pods running one image count once).
 *
 * @public
 */
export const imageFreshnessFactSchema: Record<
  keyof ImageFreshnessFacts,
  FactSchema[string]
> = {
  images: {
    type: 'integer',
    description: 'Distinct images the entity runs or declares',
  },
  staleImages: {
    type: 'integer',
    description: "Images older than the entity's freshness limit (max-age)",
  },
  agingImages: {
    type: 'integer',
    description: 'Images past half of the freshness limit',
  },
  imagesWithUnknownBuildTime: {
    type: 'integer',
    description: 'Images resolved but recording no build time',
  },
  imagesWithErrors: {
    type: 'integer',
    description:
      "Images whose last resolve failed (the error and what to do are on the entity's Image freshness tab)",
  },
  oldestImageAgeDays: {
    type: 'integer',
    description:
      'Age in whole days of the image built longest ago; absent when no image records a build time',
  },
  rebuildsDue: {
    type: 'integer',
    description:
      'Bases that moved longer than the rebuild delay ago: the image should be rebuilt',
  },
  basesUpdated: {
    type: 'integer',
    description: 'Bases that moved, the rebuild not yet due',
  },
  criticalVulnerabilities: {
    type: 'integer',
    description: "Critical vulnerabilities summed over the images' last scans",
  },
  highVulnerabilities: {
    type: 'integer',
    description: "High vulnerabilities summed over the images' last scans",
  },
  imagesNotScanned: {
    type: 'integer',
    description:
      'Resolved images without a vulnerability scan (no scanner on the backend, or not scanned yet)',
  },
  driftingContainers: {
    type: 'integer',
    description:
      'Pod containers running another digest than the one their tag points at now',
  },
  refreshedAt: {
    type: 'datetime',
    description: 'When the image-freshness backend last refreshed the entity',
  },
};
