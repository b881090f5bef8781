import { startCredentialBackend } from '@internal/test/harness/credentialBackend';
import type { TestRegistry } from '@internal/test/harness/registry';
import { startGoogleParts } from '../test/parts';
import { GOOGLE_REGISTRY_USER } from './GoogleCredentialProvider';
import { imageFreshnessModuleGcp } from './module';

jest.setTimeout(120_000);

/** How the registry answers `GET /v2/` with user oauth2accesstoken and `password`. */
async function v2Status(registry: TestRegistry, password: string) {
  const basic = Buffer.from(`${GOOGLE_REGISTRY_USER}:${password}`).toString(
    'base64',
  );
  return (
    await fetch(`${registry.url}/v2/`, {
      headers: { authorization: `Basic ${basic}` },
    })
  ).status;
}

// google-auth-library remembers "this is GCE" per process: one metadata server per file
describe('Artifact Registry and GCR credentials from the metadata server', () => {
  let parts: Awaited<ReturnType<typeof startGoogleParts>>;
  beforeAll(async () => {
    // fresh for 2 s: the core asks again 5 minutes before expiry
    parts = await startGoogleParts({ expiresInSeconds: 5 * 60 + 2 });
  });
  afterAll(() => parts?.stop());

  it('resolves images with the minted access token (one for two repositories), mints again inside the renewal margin, logs no token', async () => {
    const { registry, metadata } = parts;
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleGcp],
      config: parts.config,
      images: parts.images,
      entities: 2,
    });
    try {
      const first = await backend.resolve();
      expect(first.containers.map(c => [c.metadata?.digest, c.error])).toEqual(
        parts.digests.map(digest => [digest, undefined]),
      );
      expect(metadata.minted()).toHaveLength(1);
      expect(metadata.requests()).toContain(
        'GET /computeMetadata/v1/instance/service-accounts/default/token 200',
      );
      expect(await v2Status(registry, metadata.minted()[0])).toBe(200);
      expect(await v2Status(registry, parts.initialPassword)).toBe(401);

      await new Promise(r => setTimeout(r, 2500));
      const second = await backend.resolve();
      expect(second.containers.map(c => [c.metadata?.digest, c.error])).toEqual(
        parts.digests.map(digest => [digest, undefined]),
      );
      expect(metadata.minted()).toHaveLength(2);
      const [old, renewed] = metadata.minted();
      expect(await v2Status(registry, renewed)).toBe(200);
      expect(await v2Status(registry, old)).toBe(401);

      const everything = [
        ...backend.logs(),
        JSON.stringify(first),
        JSON.stringify(second),
      ].join('\n');
      for (const token of metadata.minted()) {
        expect(everything).not.toContain(token);
      }
    } finally {
      await backend.stop();
    }
  });

  it('adds nothing without imageFreshness.gcp: anonymous, refused, the metadata server not asked', async () => {
    const before = parts.metadata.requests().length;
    const backend = await startCredentialBackend({
      features: [imageFreshnessModuleGcp],
      config: {},
      images: parts.images.slice(0, 1),
      entities: 1,
    });
    try {
      const report = await backend.resolve();
      expect(report.containers[0].error).toMatchObject({
        class: 'AUTHENTICATION',
        message: expect.stringContaining(
          `no credentials are configured for ${parts.registry.host}`,
        ),
      });
      expect(parts.metadata.requests()).toHaveLength(before);
    } finally {
      await backend.stop();
    }
  });
});
