import {
  expectNothingWithoutConfig,
  expectRenewalInsideMargin,
  RENEWED_TOKEN_LIFETIME_SECONDS,
} from '@internal/test/harness/credentialBackend';
import { startGoogleParts } from '../test/parts';
import { imageFreshnessModuleGcp } from './module';

jest.setTimeout(120_000);

// google-auth-library remembers "this is GCE" per process: one metadata server per file
describe('Artifact Registry and GCR credentials from the metadata server', () => {
  let parts: Awaited<ReturnType<typeof startGoogleParts>>;
  beforeAll(async () => {
    // fresh for 2 s: the core asks again 5 minutes before expiry
    parts = await startGoogleParts({
      expiresInSeconds: RENEWED_TOKEN_LIFETIME_SECONDS,
    });
  });
  afterAll(() => parts?.stop());

  it('resolves images with the minted access token (one for two repositories), mints again inside the renewal margin, logs no token', async () => {
    const { metadata } = parts;
    await expectRenewalInsideMargin({
      backend: {
        features: [imageFreshnessModuleGcp],
        config: parts.config,
        images: parts.images,
        entities: 2,
      },
      registry: parts.minting,
      minted: () => metadata.minted(),
      checkFirst: () => {
        expect(metadata.minted()).toHaveLength(1);
        expect(metadata.requests()).toContain(
          'GET /computeMetadata/v1/instance/service-accounts/default/token 200',
        );
      },
      checkSecond: () => expect(metadata.minted()).toHaveLength(2),
      secrets: () => metadata.minted(),
    });
  });

  it('adds nothing without imageFreshness.gcp: anonymous, refused, the metadata server not asked', async () => {
    await expectNothingWithoutConfig({
      features: [imageFreshnessModuleGcp],
      image: parts.images[0],
      host: parts.registry.host,
      asked: () => parts.metadata.requests().length,
    });
  });
});
