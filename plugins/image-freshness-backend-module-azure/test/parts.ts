/*
 * The test's registry (accepting only the newest ACR refresh token minted at the exchange
 * stand-in in front of it) with two images, the managed identity stand-in the real
 * @azure/identity is pointed at, and the backend configuration for this module.
 */
import { startMintingRegistry } from '@internal/test/harness/mintingRegistry';
import { ACR_REFRESH_TOKEN_USER } from '../src/AcrCredentialProvider';
import { startAcrStandIn } from '@internal/test/harness/acrStandIn';

export const TENANT = '72f988bf-0000-0000-0000-000000000001';

export async function startAcrParts(options: {
  expiresInSeconds: number;
  configuredTenant?: string;
}) {
  const minting = await startMintingRegistry({
    username: ACR_REFRESH_TOKEN_USER,
    repositories: ['team/api', 'team/web'],
  });
  const { registry } = minting;
  const acr = await startAcrStandIn({
    registryHost: registry.host,
    tenantId: TENANT,
    identityHeader: 'stand-in-identity-header',
    expiresInSeconds: options.expiresInSeconds,
    onMint: refreshToken => minting.acceptOnly(refreshToken),
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
    minting,
    acr,
    images: [
      `${acr.registryHost}/team/api:1.0`,
      `${acr.registryHost}/team/web:1.0`,
    ],
    digests: minting.digests,
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
