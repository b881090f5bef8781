import { startCredentialBackend } from '@internal/test/harness/credentialBackend';
import { startAcrParts } from '../test/parts';
import { imageFreshnessModuleAzure } from './module';

jest.setTimeout(120_000);

// its own file: @azure/identity caches tokens per process
describe('ACR credentials for the wrong tenant', () => {
  let parts: Awaited<ReturnType<typeof startAcrParts>>;
  beforeAll(async () => {
    parts = await startAcrParts({
      expiresInSeconds: 5 * 60 + 2,
      configuredTenant: 'wrong-tenant',
    });
  });
  afterAll(() => parts?.stop());

  it('fails the image with AUTHENTICATION naming the provider, the registry and the tenant to check, showing no token', async () => {
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleAzure],
      config: parts.config,
      images: parts.images.slice(0, 1),
      entities: 1,
    });
    try {
      const report = await backend.resolve();
      const host = parts.acr.registryHost;
      expect(report.containers[0].error).toMatchObject({
        class: 'AUTHENTICATION',
        message: expect.stringContaining(
          `No credentials for ${host}: the azure-acr credential provider: ${host} refused the Entra ID token at /oauth2/exchange (HTTP 401); check imageFreshness.azure.tenantId (the registry's tenant, now wrong-tenant) and that the backend's identity has the AcrPull role on the registry`,
        ),
      });
      expect(parts.acr.exchanges()).toEqual(['401 wrong-tenant']);
      expect(parts.acr.minted()).toEqual([]);
      const everything = [...backend.logs(), JSON.stringify(report)].join('\n');
      for (const token of parts.acr.issued()) {
        expect(everything).not.toContain(token);
      }
    } finally {
      await backend.stop();
    }
  });

  it('sends no Entra ID token to a registry host the policy blocks', async () => {
    const issued = parts.acr.issued().length;
    const exchanges = parts.acr.exchanges().length;
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleAzure],
      // loopback is blocked by default
      config: {
        ...parts.config,
        imageFreshness: { ...parts.config.imageFreshness, allowedHosts: [] },
      },
      images: parts.images.slice(0, 1),
      entities: 1,
    });
    try {
      const report = await backend.resolve();
      expect(report.containers[0].error?.class).toBe('BLOCKED_HOST');
      expect(parts.acr.issued()).toHaveLength(issued);
      expect(parts.acr.exchanges()).toHaveLength(exchanges);
    } finally {
      await backend.stop();
    }
  });
});
