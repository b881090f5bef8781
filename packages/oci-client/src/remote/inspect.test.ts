/**
 * Malformed bodies that OciClient.inspect once crashed on with a TypeError
 * (counterexamples of inspect.fuzz.test.ts): each now fails with a
 * SERVER_ERROR that names the registry, the reference and the bad field.
 */
import { OciClient } from '../client';
import { OciError } from '../errors';
import { MEDIA_TYPES } from '../manifest';
import { Json, MemoryRegistry } from '../testing/memoryRegistry';

function image(registry: MemoryRegistry, config: Json, layers: Json = []) {
  const configDigest = registry.putBlob(config);
  return {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: 'x', digest: configDigest, size: 2 },
    layers,
  };
}

async function inspectError(setup: (registry: MemoryRegistry) => void) {
  const registry = new MemoryRegistry();
  setup(registry);
  const client = new OciClient({ fetch: registry.fetch });
  const error = await client.inspect('localhost:5000/app:v1').catch(e => e);
  expect(error).toBeInstanceOf(OciError);
  expect(error.code).toBe('SERVER_ERROR');
  expect(error.host).toBe('localhost:5000');
  expect(error.message).toContain('localhost:5000/app:v1');
  expect(error.message).toContain('report it to the registry operator');
  return error.message as string;
}

describe('inspect with malformed bodies', () => {
  it('refuses an index that is an array', async () => {
    const message = await inspectError(r =>
      r.putManifest([], MEDIA_TYPES.ociIndex, 'v1'),
    );
    expect(message).toContain('it is not a JSON object');
  });

  it('refuses an index without manifests', async () => {
    const message = await inspectError(r =>
      r.putManifest(
        { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex },
        MEDIA_TYPES.ociIndex,
        'v1',
      ),
    );
    expect(message).toContain('.manifests is not an array');
  });

  it('refuses an index entry that is null or has no digest', async () => {
    expect(
      await inspectError(r =>
        r.putManifest(
          { mediaType: MEDIA_TYPES.ociIndex, manifests: [null] },
          MEDIA_TYPES.ociIndex,
          'v1',
        ),
      ),
    ).toContain('.manifests[0] is not an object');
    expect(
      await inspectError(r =>
        r.putManifest(
          { mediaType: MEDIA_TYPES.ociIndex, manifests: [{ size: 1 }] },
          MEDIA_TYPES.ociIndex,
          'v1',
        ),
      ),
    ).toContain('.manifests[0].digest is not a sha256 or sha512 digest');
  });

  it('refuses a layer that is null', async () => {
    const message = await inspectError(r =>
      r.putManifest(image(r, {}, [null]), MEDIA_TYPES.ociManifest, 'v1'),
    );
    expect(message).toContain('.layers[0] is not an object');
  });

  it('refuses a config that is null or whose architecture is not a string', async () => {
    expect(
      await inspectError(r =>
        r.putManifest(image(r, null), MEDIA_TYPES.ociManifest, 'v1'),
      ),
    ).toContain('malformed config');
    expect(
      await inspectError(r =>
        r.putManifest(
          image(r, { os: 'linux', architecture: [] }),
          MEDIA_TYPES.ociManifest,
          'v1',
        ),
      ),
    ).toContain('.architecture is not a string');
  });

  it('still reads null optional fields as absent', async () => {
    const registry = new MemoryRegistry();
    const manifest = {
      ...image(registry, { os: 'linux', config: { Labels: null } }, null),
      annotations: null,
    };
    registry.putManifest(manifest, MEDIA_TYPES.ociManifest, 'v1');
    const details = await new OciClient({ fetch: registry.fetch }).inspect(
      'localhost:5000/app:v1',
    );
    expect(details).toMatchObject({ labels: {}, annotations: {}, size: 2 });
  });
});
