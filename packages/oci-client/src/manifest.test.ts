import { ImageIndex, parsePlatform, selectPlatform } from './manifest';

const entry = (
  digit: string,
  platform: ImageIndex['manifests'][0]['platform'],
) => ({
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  digest: `sha256:${digit.repeat(64)}`,
  size: 100,
  platform,
});

const index: ImageIndex = {
  schemaVersion: 2,
  manifests: [
    entry('1', { os: 'unknown', architecture: 'unknown' }),
    entry('2', { os: 'linux', architecture: 'arm64', variant: 'v8' }),
    entry('3', { os: 'linux', architecture: 'amd64' }),
  ],
};

describe('selectPlatform', () => {
  it('picks the wanted platform, arm64 meaning v8', () => {
    expect(selectPlatform(index, parsePlatform('linux/arm64'))?.digest).toBe(
      `sha256:${'2'.repeat(64)}`,
    );
  });
  it('falls back to linux/amd64', () => {
    expect(selectPlatform(index, parsePlatform('linux/s390x'))?.digest).toBe(
      `sha256:${'3'.repeat(64)}`,
    );
  });
  it('falls back to the first entry, skipping attestations', () => {
    const armOnly = { ...index, manifests: index.manifests.slice(0, 2) };
    expect(
      selectPlatform(armOnly, parsePlatform('windows/amd64'))?.digest,
    ).toBe(`sha256:${'2'.repeat(64)}`);
  });
  it('rejects a platform without an architecture', () => {
    expect(() => parsePlatform('linux')).toThrow(/Invalid platform "linux"/);
  });
});
