import { startCredentialBackend } from '@internal/test/harness/credentialBackend';
import type { TestRegistry } from '@internal/test/harness/registry';
import { startAcrParts, TENANT } from '../test/parts';
import { ACR_REFRESH_TOKEN_USER } from './AcrCredentialProvider';
import { imageFreshnessModuleAzure } from './module';

jest.setTimeout(120_000);

/** How the registry answers `GET /v2/` with the all-zero user and `password`. */
async function v2Status(registry: TestRegistry, password: string) {
  const basic = Buffer.from(`${ACR_REFRESH_TOKEN_USER}:${password}`).toString(
    'base64',
  );
  return (
    await fetch(`${registry.url}/v2/`, {
      headers: { authorization: `Basic ${basic}` },
    })
  ).status;
}

// @azure/identity caches tokens per process: one identity stand-in per file
describe('ACR credentials from a managed identity', () => {
  let parts: Awaited<ReturnType<typeof startAcrParts>>;
  beforeAll(async () => {
    // fresh for 2 s: the core asks again 5 minutes before expiry
    parts = await startAcrParts({ expiresInSeconds: 5 * 60 + 2 });
  });
  afterAll(() => parts?.stop());

  it('exchanges the Entra ID token for a refresh token the registry takes (one for two repositories), again inside the renewal margin, logging neither', async () => {
    const { registry, acr } = parts;
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleAzure],
      config: parts.config,
      images: parts.images,
      entities: 2,
    });
    try {
      const first = await backend.resolve();
      expect(first.containers.map(c => [c.metadata?.digest, c.error])).toEqual(
        parts.digests.map(digest => [digest, undefined]),
      );
      expect(acr.exchanges()).toEqual([`200 ${TENANT}`]);
      expect(await v2Status(registry, acr.minted()[0])).toBe(200);
      expect(await v2Status(registry, parts.initialPassword)).toBe(401);

      await new Promise(r => setTimeout(r, 2500));
      const second = await backend.resolve();
      expect(second.containers.map(c => [c.metadata?.digest, c.error])).toEqual(
        parts.digests.map(digest => [digest, undefined]),
      );
      expect(acr.exchanges()).toEqual([`200 ${TENANT}`, `200 ${TENANT}`]);
      const [old, renewed] = acr.minted();
      expect(await v2Status(registry, renewed)).toBe(200);
      expect(await v2Status(registry, old)).toBe(401);

      const everything = [
        ...backend.logs(),
        JSON.stringify(first),
        JSON.stringify(second),
      ].join('\n');
      for (const token of [...acr.minted(), ...acr.issued()]) {
        expect(everything).not.toContain(token);
      }
    } finally {
      await backend.stop();
    }
  });

  it('adds nothing without imageFreshness.azure: anonymous, refused, no token asked for', async () => {
    const issued = parts.acr.issued().length;
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleAzure],
      config: {},
      images: parts.images.slice(0, 1),
      entities: 1,
    });
    try {
      const report = await backend.resolve();
      expect(report.containers[0].error).toMatchObject({
        class: 'AUTHENTICATION',
        message: expect.stringContaining(
          `no credentials are configured for ${parts.acr.registryHost}`,
        ),
      });
      expect(parts.acr.issued()).toHaveLength(issued);
    } finally {
      await backend.stop();
    }
  });
});
