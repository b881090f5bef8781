import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { techInsightsFactRetrieversExtensionPoint } from '@backstage-community/plugin-tech-insights-node';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { createImageFreshnessFactRetriever } from './factRetriever';
import { IMAGE_FRESHNESS_FACT_RETRIEVER_KEY } from './schema';

/**
 * Adds the image-freshness fact retriever to the Tech Insights backend. It
 * runs on the cadence configured at
 * `techInsights.factRetrievers.imageFreshnessFactRetriever` (and not at all
 * without that entry, like every Tech Insights retriever).
 *
 * @public
 */
export const techInsightsModuleImageFreshness = createBackendModule({
  pluginId: 'tech-insights',
  moduleId: 'image-freshness',
  register(reg) {
    reg.registerInit({
      deps: {
        retrievers: techInsightsFactRetrieversExtensionPoint,
        catalog: catalogServiceRef,
        logger: coreServices.logger,
        config: coreServices.rootConfig,
      },
      async init({ retrievers, catalog, logger, config }) {
        retrievers.addFactRetrievers({
          [IMAGE_FRESHNESS_FACT_RETRIEVER_KEY]:
            createImageFreshnessFactRetriever({ catalog }),
        });
        if (
          !config.has(
            `techInsights.factRetrievers.${IMAGE_FRESHNESS_FACT_RETRIEVER_KEY}`,
          )
        ) {
          logger.warn(
            `The image-freshness fact retriever is installed but not scheduled: add techInsights.factRetrievers.${IMAGE_FRESHNESS_FACT_RETRIEVER_KEY} with a cadence to the app config`,
          );
        }
      },
    });
  },
});
