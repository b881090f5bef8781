import type { Config } from '@backstage/config';
import type {
  ProvidedCredentials,
  RegistryCredentialProvider,
} from 'backstage-plugin-image-freshness-node';
import { GoogleAuth } from 'google-auth-library';

/** The provider's name in logs and errors. */
export const GOOGLE_PROVIDER = 'google-adc';

/** The user name Artifact Registry and GCR take with an access token. */
export const GOOGLE_REGISTRY_USER = 'oauth2accesstoken';

const DEFAULT_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

/** Whether a host is Artifact Registry (`*-docker.pkg.dev`) or Container Registry (`gcr.io`, `*.gcr.io`). */
export function isGoogleRegistry(host: string): boolean {
  const name = host.toLowerCase();
  return (
    /^[a-z0-9-]+-docker\.pkg\.dev$/.test(name) ||
    name === 'gcr.io' ||
    /^[a-z0-9-]+\.gcr\.io$/.test(name)
  );
}

/** `imageFreshness.gcp`, read once; undefined when absent. */
export interface GoogleConfig {
  hosts: string[];
  scopes: string[];
}

export function readGoogleConfig(config: Config): GoogleConfig | undefined {
  const gcp = config.getOptionalConfig('imageFreshness.gcp');
  if (!gcp) return undefined;
  return {
    hosts: gcp.getOptionalStringArray('hosts') ?? [],
    scopes: gcp.getOptionalStringArray('scopes') ?? DEFAULT_SCOPES,
  };
}

/**
 * Access tokens for Artifact Registry and GCR from Application Default
 * Credentials. One token serves every Google registry and lives about an
 * hour; the core keeps it per registry until 5 minutes before it expires.
 */
export class GoogleCredentialProvider implements RegistryCredentialProvider {
  readonly name = GOOGLE_PROVIDER;
  readonly scope = 'registry';
  private readonly hosts: Set<string>;
  private readonly auth: GoogleAuth;

  constructor(options: { config: GoogleConfig }) {
    this.hosts = new Set(options.config.hosts);
    this.auth = new GoogleAuth({ scopes: options.config.scopes });
  }

  matches(registry: string): boolean {
    return this.hosts.has(registry) || isGoogleRegistry(registry);
  }

  async getCredentials({
    registry,
  }: {
    registry: string;
  }): Promise<ProvidedCredentials | undefined> {
    const advice =
      'configure Application Default Credentials for the backend (workload identity, GOOGLE_APPLICATION_CREDENTIALS with a service-account key, or the metadata server of its VM) for a principal with roles/artifactregistry.reader on the repositories';
    try {
      const client = await this.auth.getClient();
      const { token } = await client.getAccessToken();
      if (!token) {
        throw new Error('no access token in the answer');
      }
      const expiry = client.credentials.expiry_date;
      return {
        credentials: { username: GOOGLE_REGISTRY_USER, password: token },
        ...(typeof expiry === 'number' ? { expiresAt: new Date(expiry) } : {}),
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const short =
        message.length > 300 ? `${message.slice(0, 300)}…` : message;
      throw new Error(
        `Application Default Credentials gave no access token for ${registry} (${short}); ${advice}`,
      );
    }
  }
}
