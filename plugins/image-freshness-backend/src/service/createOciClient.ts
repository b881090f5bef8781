import { OciClient } from 'oci-client';
import type { ImageFreshnessConfig, RegistrySettings } from '../config';

/** An OciClient that applies each registry's configured settings. */
export function createOciClient(config: ImageFreshnessConfig): OciClient {
  const byHost = new Map<string, RegistrySettings>(
    config.registries.map(r => [r.host, r]),
  );
  return new OciClient({
    userAgent: 'backstage-plugin-image-freshness',
    credentials: registry => byHost.get(registry)?.credentials,
    insecure: registry => byHost.get(registry)?.insecure,
    timeoutMs: registry => byHost.get(registry)?.timeout.toMillis(),
  });
}
