import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { Config } from '@backstage/config';
import type {
  ProvidedCredentials,
  RegistryCredentialProvider,
} from 'backstage-plugin-image-freshness-node';
import { isLoopback } from 'oci-client';

/** The provider's name in logs and errors. */
export const ACR_PROVIDER = 'azure-acr';

/** The user name ACR takes with a refresh token from `/oauth2/exchange`. */
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000';

/** The scope of Entra ID tokens ACR exchanges. */
export const ACR_SCOPE = 'https://containerregistry.azure.net/.default';

/** Whether a host is ACR: `*.azurecr.io`, or a sovereign cloud's `*.azurecr.cn`, `*.azurecr.us`. */
export function isAzureRegistry(host: string): boolean {
  return /^[a-z0-9-]+(\.[a-z0-9-]+)?\.azurecr\.(io|cn|us)$/.test(
    host.toLowerCase(),
  );
}

/** `imageFreshness.azure`, read once; undefined when absent. */
export interface AcrConfig {
  hosts: string[];
  tenantId?: string;
}

export function readAcrConfig(config: Config): AcrConfig | undefined {
  const azure = config.getOptionalConfig('imageFreshness.azure');
  if (!azure) return undefined;
  return {
    hosts: azure.getOptionalStringArray('hosts') ?? [],
    tenantId: azure.getOptionalString('tenantId'),
  };
}

function short(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}

/** The `exp` of a JWT, when the refresh token is one (ACR's are). */
function jwtExpiry(token: string): Date | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = JSON.parse(Buffer.from(payload, 'base64url').toString()).exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * ACR credentials: an Entra ID token from `DefaultAzureCredential`,
 * exchanged at the registry's `/oauth2/exchange` for a refresh token, which
 * the registry then takes as the password of the all-zero user (as `az acr
 * login` does). One refresh token serves the whole registry.
 */
export class AcrCredentialProvider implements RegistryCredentialProvider {
  readonly name = ACR_PROVIDER;
  readonly scope = 'registry';
  private readonly hosts: Set<string>;
  private readonly tenantId?: string;
  private readonly credential: TokenCredential;
  private readonly fetch: typeof fetch;

  constructor(options: {
    config: AcrConfig;
    credential?: TokenCredential;
    fetch?: typeof fetch;
  }) {
    this.hosts = new Set(options.config.hosts);
    this.tenantId = options.config.tenantId;
    this.credential = options.credential ?? new DefaultAzureCredential();
    this.fetch = options.fetch ?? fetch;
  }

  matches(registry: string): boolean {
    return this.hosts.has(registry) || isAzureRegistry(registry);
  }

  async getCredentials({
    registry,
  }: {
    registry: string;
  }): Promise<ProvidedCredentials | undefined> {
    let aad: { token: string; expiresOnTimestamp: number } | null;
    try {
      aad = await this.credential.getToken(ACR_SCOPE, {
        tenantId: this.tenantId,
      });
    } catch (error) {
      throw new Error(
        `DefaultAzureCredential gave no Entra ID token for ${registry} (${short(
          error,
        )}); configure an identity for the backend (AZURE_CLIENT_ID with AZURE_TENANT_ID and a secret or certificate, workload identity, or a managed identity) with the AcrPull role on the registry`,
      );
    }
    if (!aad) {
      throw new Error(
        `DefaultAzureCredential gave no Entra ID token for ${registry}; configure an identity for the backend with the AcrPull role on the registry`,
      );
    }
    const scheme = isLoopback(registry) ? 'http' : 'https';
    const form = new URLSearchParams({
      grant_type: 'access_token',
      service: registry,
      access_token: aad.token,
    });
    if (this.tenantId) form.set('tenant', this.tenantId);
    let answer: Response;
    try {
      answer = await this.fetch(`${scheme}://${registry}/oauth2/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
    } catch (error) {
      throw new Error(
        `the token exchange of ${registry} (/oauth2/exchange) could not be reached (${short(
          error,
        )}); check that the registry is reachable from the backend`,
      );
    }
    if (!answer.ok) {
      await answer.body?.cancel();
      throw new Error(
        `${registry} refused the Entra ID token at /oauth2/exchange (HTTP ${
          answer.status
        }); check imageFreshness.azure.tenantId (the registry's tenant${
          this.tenantId ? `, now ${this.tenantId}` : ''
        }) and that the backend's identity has the AcrPull role on the registry`,
      );
    }
    const body = (await answer.json().catch(() => ({}))) as {
      refresh_token?: unknown;
    };
    if (typeof body.refresh_token !== 'string' || !body.refresh_token) {
      throw new Error(
        `${registry} answered /oauth2/exchange without a refresh token; check that it is an Azure Container Registry`,
      );
    }
    return {
      credentials: {
        username: ACR_REFRESH_TOKEN_USER,
        password: body.refresh_token,
      },
      expiresAt:
        jwtExpiry(body.refresh_token) ?? new Date(aad.expiresOnTimestamp),
    };
  }
}
