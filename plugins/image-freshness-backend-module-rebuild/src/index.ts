/**
 * The rebuild module for the image-freshness backend plugin: a GitHub
 * Actions workflow_dispatch or a GitLab pipeline once per base move of a
 * managed image whose rebuild is due.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleRebuild as default } from './module';
export { readRebuildConfig, type RebuildConfig } from './config';
export {
  ANNOTATION_AUTO_REBUILD,
  ANNOTATION_REBUILD_REF,
  ANNOTATION_REBUILD_REPOSITORY,
  ANNOTATION_REBUILD_WORKFLOW,
} from './targets';
