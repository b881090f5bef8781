import {
  CredentialSource,
  CredentialsRefused,
  OciClient,
  RequestObserver,
} from 'oci-client';
import type { ImageFreshnessConfig, RegistrySettings } from './config';
import type { HostPolicy } from './HostPolicy';
import { configuredCredentials } from './registryAccess';

/**
 * The plugin's one OciClient: each registry's configured credentials, limits
 * and timeout; then a Docker config file's credentials; the host policy asked
 * before every host it contacts (registries, token endpoints, redirects) by
 * name, and for every connection it opens by address, names resolved with
 * the policy's resolver.
 */
export function createOciClient(options: {
  config: ImageFreshnessConfig;
  hosts: Pick<HostPolicy, 'check' | 'checkAddress' | 'resolve'>;
  /** Default: the configured registries' and the Docker config file's. */
  credentials?: CredentialSource;
  /** Told when the credentials are refused; true has the request tried once more with fresh ones. */
  credentialsRefused?: CredentialsRefused;
  observer?: RequestObserver;
}): OciClient {
  const { config, hosts, observer } = options;
  const byHost = new Map<string, RegistrySettings>(
    config.registries.map(r => [r.host, r]),
  );
  return new OciClient({
    userAgent: 'backstage-plugin-image-freshness',
    credentials: options.credentials ?? configuredCredentials(config),
    credentialsRefused: options.credentialsRefused,
    insecure: registry => byHost.get(registry)?.insecure,
    maxConcurrency: registry => byHost.get(registry)?.maxConcurrency,
    requestsPerSecond: registry => byHost.get(registry)?.requestsPerSecond,
    timeoutMs: registry => byHost.get(registry)?.timeout.toMillis(),
    checkHost: host => hosts.check(host),
    checkAddress: (host, address) => hosts.checkAddress(host, address),
    resolveHost: hostname => hosts.resolve(hostname),
    observer,
  });
}
