/*
 * The test's registry (accepting only the newest ACR refresh token minted at the exchange
 * stand-in in front of it) with two images, the managed identity stand-in the real
 * @azure/identity is pointed at, and the backend configuration for this module.
 */
import { pushImage } from '@internal/test/harness/images';
import { startRegistry } from '@internal/test/harness/registry';
import { ACR_REFRESH_TOKEN_USER } from '../src/AcrCredentialProvider';
import { startAcrStandIn } from './acrStandIn';

const INITIAL = 'initial-password-nobody-is-given';
export const TENANT = '72f988bf-0000-0000-0000-000000000001';

export async function startAcrParts(options: {
  expiresInSeconds: number;
  configuredTenant?: string;
}) {
  const registry = await startRegistry({
    basicAuth: { username: ACR_REFRESH_TOKEN_USER, password: INITIAL },
  });
  const auth = { username: ACR_REFRESH_TOKEN_USER, password: INITIAL };
  const api = await pushImage(registry.url, 'team/api', '1.0', {}, auth);
  const web = await pushImage(registry.url, 'team/web', '1.0', {}, auth);
  const acr = await startAcrStandIn({
    registryHost: registry.host,
    tenantId: TENANT,
    identityHeader: 'stand-in-identity-header',
    expiresInSeconds: options.expiresInSeconds,
    onMint: refreshToken =>
      registry.acceptOnly({
        username: ACR_REFRESH_TOKEN_USER,
        password: refreshToken,
      }),
  });
  for (const name of [
    'AZURE_CLIENT_ID',
    'AZURE_TENANT_ID',
    'AZURE_CLIENT_SECRET',
    'AZURE_FEDERATED_TOKEN_FILE',
    'MSI_ENDPOINT',
    'MSI_SECRET',
  ]) {
    delete process.env[name];
  }
  process.env.IDENTITY_ENDPOINT = acr.identityEndpoint;
  process.env.IDENTITY_HEADER = 'stand-in-identity-header';
  return {
    registry,
    acr,
    images: [
      `${acr.registryHost}/team/api:1.0`,
      `${acr.registryHost}/team/web:1.0`,
    ],
    digests: [api.digest, web.digest],
    initialPassword: INITIAL,
    config: {
      imageFreshness: {
        azure: {
          hosts: [acr.registryHost],
          tenantId: options.configuredTenant ?? TENANT,
        },
      },
    },
    async stop() {
      await acr.stop();
      await registry.stop();
    },
  };
}
