import { ConfigReader } from '@backstage/config';
import { GhcrCredentialProvider } from './GhcrCredentialProvider';

describe('GhcrCredentialProvider', () => {
  it('is off without imageFreshness.github, and speaks for ghcr.io (or the configured hosts) only', () => {
    expect(
      GhcrCredentialProvider.fromConfig(new ConfigReader({})),
    ).toBeUndefined();
    const ghcr = GhcrCredentialProvider.fromConfig(
      new ConfigReader({ imageFreshness: { github: {} } }),
    )!;
    expect(ghcr.matches('ghcr.io')).toBe(true);
    expect(ghcr.matches('docker.pkg.github.com')).toBe(false);
    expect(ghcr.matches('ghcr.io.evil.example')).toBe(false);
    const mirror = GhcrCredentialProvider.fromConfig(
      new ConfigReader({
        imageFreshness: { github: { hosts: ['ghcr.internal:5000'] } },
      }),
    )!;
    expect(mirror.matches('ghcr.internal:5000')).toBe(true);
    expect(mirror.matches('ghcr.io')).toBe(false);
  });
});
