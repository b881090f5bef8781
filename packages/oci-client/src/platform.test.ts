import { OciError } from './errors';
import { ImageIndex } from './manifest';
import { parsePlatform, selectPlatform } from './platform';

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
    expect(() => parsePlatform('linux/arm/v7/extra')).toThrow(OciError);
  });
  it('accepts uname spellings and containerd default variants', () => {
    expect(parsePlatform('Linux/x86_64')).toEqual({
      os: 'linux',
      architecture: 'amd64',
      variant: undefined,
    });
    expect(selectPlatform(index, parsePlatform('linux/aarch64'))?.digest).toBe(
      `sha256:${'2'.repeat(64)}`,
    );
    const arm32 = {
      schemaVersion: 2,
      manifests: [
        entry('4', { os: 'linux', architecture: 'arm', variant: 'v6' }),
        entry('5', { os: 'linux', architecture: 'arm', variant: 'v7' }),
        entry('6', { os: 'linux', architecture: 'amd64', variant: 'v1' }),
      ],
    };
    expect(selectPlatform(arm32, parsePlatform('linux/arm'))?.digest).toBe(
      `sha256:${'5'.repeat(64)}`,
    );
    expect(selectPlatform(arm32, parsePlatform('linux/amd64'))?.digest).toBe(
      `sha256:${'6'.repeat(64)}`,
    );
  });
  it('skips attestations marked only by annotation, and reports nothing for an empty index', () => {
    const marked = {
      schemaVersion: 2,
      manifests: [
        {
          ...entry('7', undefined),
          annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
        },
        entry('8', { os: 'windows', architecture: 'amd64' }),
      ],
    };
    expect(selectPlatform(marked)?.digest).toBe(`sha256:${'8'.repeat(64)}`);
    expect(selectPlatform({ schemaVersion: 2, manifests: [] })).toBeUndefined();
  });
});
