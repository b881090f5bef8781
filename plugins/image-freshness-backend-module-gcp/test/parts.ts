/*
 * The test's registry (accepting only the newest access token the metadata stand-in minted)
 * with two images, and the backend configuration that sends its host to this module.
 */
import { startMintingRegistry } from '@internal/test/harness/mintingRegistry';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GOOGLE_REGISTRY_USER } from '../src/GoogleCredentialProvider';
import { startMetadataStandIn, useOnlyMetadataServer } from './metadataStandIn';

export async function startGoogleParts(options: {
  expiresInSeconds: number;
  refuseTokens?: boolean;
}) {
  const minting = await startMintingRegistry({
    username: GOOGLE_REGISTRY_USER,
    repositories: ['proj/repo/api', 'proj/repo/web'],
  });
  const { registry } = minting;
  const metadata = await startMetadataStandIn({
    ...options,
    onMint: token => minting.acceptOnly(token),
  });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'gcp-empty-home-'));
  useOnlyMetadataServer(metadata.host, home);
  return {
    registry,
    minting,
    metadata,
    images: minting.images,
    digests: minting.digests,
    config: { imageFreshness: { gcp: { hosts: [registry.host] } } },
    async stop() {
      await metadata.stop();
      await registry.stop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
