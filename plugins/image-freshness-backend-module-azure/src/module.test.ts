import {
  expectNothingWithoutConfig,
  expectRenewalInsideMargin,
  RENEWED_TOKEN_LIFETIME_SECONDS,
} from '@internal/test/harness/credentialBackend';
import { startAcrParts, TENANT } from '../test/parts';
import { imageFreshnessModuleAzure } from './module';

jest.setTimeout(120_000);

// @azure/identity caches tokens per process: one identity stand-in per file
describe('ACR credentials from a managed identity', () => {
  let parts: Awaited<ReturnType<typeof startAcrParts>>;
  beforeAll(async () => {
    // fresh for 2 s: the core asks again 5 minutes before expiry
    parts = await startAcrParts({
      expiresInSeconds: RENEWED_TOKEN_LIFETIME_SECONDS,
    });
  });
  afterAll(() => parts?.stop());

  it('exchanges the Entra ID token for a refresh token the registry takes (one for two repositories), again inside the renewal margin, logging neither', async () => {
    const { acr } = parts;
    await expectRenewalInsideMargin({
      backend: {
        features: [imageFreshnessModuleAzure],
        config: parts.config,
        images: parts.images,
        entities: 2,
      },
      registry: parts.minting,
      minted: () => acr.minted(),
      checkFirst: () => expect(acr.exchanges()).toEqual([`200 ${TENANT}`]),
      checkSecond: () =>
        expect(acr.exchanges()).toEqual([`200 ${TENANT}`, `200 ${TENANT}`]),
      secrets: () => [...acr.minted(), ...acr.issued()],
    });
  });

  it('adds nothing without imageFreshness.azure: anonymous, refused, no token asked for', async () => {
    await expectNothingWithoutConfig({
      features: [imageFreshnessModuleAzure],
      image: parts.images[0],
      host: parts.acr.registryHost,
      asked: () => parts.acr.issued().length,
    });
  });
});
