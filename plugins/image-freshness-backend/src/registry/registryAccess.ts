import {
  chainCredentials,
  credentialsFromDockerConfigFile,
  CredentialSource,
  isLoopback,
  RegistryCredentials,
  staticCredentials,
} from 'oci-client';
import type { ImageFreshnessConfig } from './config';

/**
 * The credentials the plugin knows for a registry, in the order its own
 * client uses them: `imageFreshness.registries[].credentials`, then the
 * Docker config file's. `first` (e.g. a probe's own credentials) comes before
 * both.
 */
export function configuredCredentials(
  config: Pick<ImageFreshnessConfig, 'registries' | 'dockerConfigFile'>,
  first?: Record<string, RegistryCredentials>,
): CredentialSource {
  const configured: Record<string, RegistryCredentials> = {};
  for (const registry of config.registries) {
    if (registry.credentials) configured[registry.host] = registry.credentials;
  }
  return chainCredentials(
    first ? staticCredentials(first) : undefined,
    staticCredentials(configured),
    config.dockerConfigFile
      ? credentialsFromDockerConfigFile(config.dockerConfigFile)
      : undefined,
  );
}

/** Whether a registry speaks plain HTTP: as configured, else only localhost and loopback addresses (as oci-client decides). */
export function isInsecureRegistry(
  config: Pick<ImageFreshnessConfig, 'registries'>,
  registry: string,
): boolean {
  const configured = config.registries.find(r => r.host === registry)?.insecure;
  if (configured !== undefined) return configured;
  return isLoopback(registry);
}
