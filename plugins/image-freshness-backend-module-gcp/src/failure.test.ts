import { startCredentialBackend } from '@internal/test/harness/credentialBackend';
import { startGoogleParts } from '../test/parts';
import { imageFreshnessModuleGcp } from './module';

jest.setTimeout(120_000);

// its own file: google-auth-library remembers "this is GCE" per process
describe('Artifact Registry credentials that cannot be had', () => {
  let parts: Awaited<ReturnType<typeof startGoogleParts>>;
  beforeAll(async () => {
    parts = await startGoogleParts({
      expiresInSeconds: 3600,
      refuseTokens: true,
    });
  });
  afterAll(() => parts?.stop());

  it('fails the image with AUTHENTICATION naming the provider, the registry and what to configure', async () => {
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleGcp],
      config: parts.config,
      images: parts.images.slice(0, 1),
      entities: 1,
    });
    try {
      const report = await backend.resolve();
      const error = report.containers[0].error;
      expect(error?.class).toBe('AUTHENTICATION');
      expect(error?.message).toContain(
        `No credentials for ${parts.registry.host}: the google-adc credential provider: Application Default Credentials gave no access token for ${parts.registry.host} (`,
      );
      expect(error?.message).toContain(
        'configure Application Default Credentials for the backend (workload identity, GOOGLE_APPLICATION_CREDENTIALS',
      );
      expect(parts.metadata.requests()).toContain(
        'GET /computeMetadata/v1/instance/service-accounts/default/token 404',
      );
      expect(parts.metadata.minted()).toEqual([]);
    } finally {
      await backend.stop();
    }
  });
});
