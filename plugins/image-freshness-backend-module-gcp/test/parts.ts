/*
 * The test's registry (accepting only the newest access token the metadata stand-in minted)
 * with two images, and the backend configuration that sends its host to this module.
 */
import { pushImage } from '@internal/test/harness/images';
import { startRegistry } from '@internal/test/harness/registry';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GOOGLE_REGISTRY_USER } from '../src/GoogleCredentialProvider';
import { startMetadataStandIn, useOnlyMetadataServer } from './metadataStandIn';

const INITIAL = 'initial-password-nobody-is-given';

export async function startGoogleParts(options: {
  expiresInSeconds: number;
  refuseTokens?: boolean;
}) {
  const registry = await startRegistry({
    basicAuth: { username: GOOGLE_REGISTRY_USER, password: INITIAL },
  });
  const auth = { username: GOOGLE_REGISTRY_USER, password: INITIAL };
  const api = await pushImage(registry.url, 'proj/repo/api', '1.0', {}, auth);
  const web = await pushImage(registry.url, 'proj/repo/web', '1.0', {}, auth);
  const metadata = await startMetadataStandIn({
    ...options,
    onMint: token =>
      registry.acceptOnly({ username: GOOGLE_REGISTRY_USER, password: token }),
  });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gcp-empty-home-'));
  useOnlyMetadataServer(metadata.host, home);
  return {
    registry,
    metadata,
    images: [
      `${registry.host}/proj/repo/api:1.0`,
      `${registry.host}/proj/repo/web:1.0`,
    ],
    digests: [api.digest, web.digest],
    initialPassword: INITIAL,
    config: { imageFreshness: { gcp: { hosts: [registry.host] } } },
    async stop() {
      await metadata.stop();
      await registry.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
