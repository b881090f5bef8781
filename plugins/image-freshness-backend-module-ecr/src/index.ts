/**
 * AWS ECR and ECR Public registry credentials for the image-freshness backend plugin.
 *
 * @packageDocumentation
 */
export { imageFreshnessModuleEcr as default } from './module';
export { EcrCredentialProvider, ECR_PROVIDER } from './EcrCredentialProvider';
export { parseEcrHost, readEcrConfig, type EcrConfig } from './config';
