/**
 * A Tech Insights fact retriever for image freshness: stale images, the
 * oldest image's age, rebuilds due, critical vulnerabilities and images
 * with unknown build time per entity, for scorecards and checks.
 *
 * @packageDocumentation
 */
export { techInsightsModuleImageFreshness as default } from './module';
export {
  createImageFreshnessFactRetriever,
  type ImageFreshnessFactRetrieverOptions,
} from './factRetriever';
export {
  IMAGE_FRESHNESS_FACT_RETRIEVER_ID,
  IMAGE_FRESHNESS_FACT_RETRIEVER_KEY,
  imageFreshnessFactSchema,
} from './schema';
