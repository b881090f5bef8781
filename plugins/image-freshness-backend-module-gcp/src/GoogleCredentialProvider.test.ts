import { ConfigReader } from '@backstage/config';
import {
  GoogleCredentialProvider,
  isGoogleRegistry,
  readGoogleConfig,
} from './GoogleCredentialProvider';

describe('Google registry hosts', () => {
  it('speaks for Artifact Registry, GCR and the configured hosts only', () => {
    for (const host of [
      'europe-west1-docker.pkg.dev',
      'us-docker.pkg.dev',
      'gcr.io',
      'eu.gcr.io',
      'asia.gcr.io',
    ]) {
      expect(isGoogleRegistry(host)).toBe(true);
    }
    for (const host of [
      'europe-west1-npm.pkg.dev',
      'docker.pkg.dev',
      'gcr.io.evil.example',
      'evilgcr.io',
      'ghcr.io',
    ]) {
      expect(isGoogleRegistry(host)).toBe(false);
    }
    expect(readGoogleConfig(new ConfigReader({}))).toBeUndefined();
    const provider = new GoogleCredentialProvider({
      config: readGoogleConfig(
        new ConfigReader({
          imageFreshness: { gcp: { hosts: ['mirror.internal:5000'] } },
        }),
      )!,
    });
    expect(provider.matches('mirror.internal:5000')).toBe(true);
    expect(provider.matches('gcr.io')).toBe(true);
    expect(provider.matches('quay.io')).toBe(false);
  });
});
