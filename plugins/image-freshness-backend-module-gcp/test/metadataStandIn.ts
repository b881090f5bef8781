/*
 * A stand-in for the GCE metadata server, for the real google-auth-library (pointed here with
 * GCE_METADATA_HOST): it says "this is GCE", has no project id, and mints a fresh access token
 * for the default service account per token request, handing it to `onMint` (the test registry
 * then accepts only it); or refuses the token request as a VM without a service account does.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const TOKEN_PATH =
  '/computeMetadata/v1/instance/service-accounts/default/token';

export interface MetadataStandIn {
  /** `127.0.0.1:PORT`, for GCE_METADATA_HOST */
  host: string;
  /** the paths asked, in order, with their answer's status */
  requests(): string[];
  minted(): string[];
  stop(): Promise<void>;
}

export async function startMetadataStandIn(options: {
  expiresInSeconds: number;
  refuseTokens?: boolean;
  onMint?: (token: string) => Promise<void>;
}): Promise<MetadataStandIn> {
  const requests: string[] = [];
  const minted: string[] = [];
  const server = http.createServer(async (req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: string, type = 'text/plain') => {
      requests.push(`${req.method} ${path} ${status}`);
      res.writeHead(status, {
        'metadata-flavor': 'Google',
        'content-type': type,
      });
      res.end(body);
    };
    if (req.headers['metadata-flavor'] !== 'Google') {
      answer(403, 'Missing Metadata-Flavor: Google header');
      return;
    }
    if (path === '/computeMetadata/v1/instance') {
      answer(200, '{}', 'application/json');
    } else if (path === TOKEN_PATH) {
      if (options.refuseTokens) {
        answer(
          404,
          'The default service account was not found on this instance.',
        );
        return;
      }
      const token = `ya29.minted-${minted.length + 1}-${randomBytes(
        16,
      ).toString('hex')}`;
      minted.push(token);
      await options.onMint?.(token);
      answer(
        200,
        JSON.stringify({
          access_token: token,
          expires_in: options.expiresInSeconds,
          token_type: 'Bearer',
        }),
        'application/json',
      );
    } else {
      answer(404, 'Not Found');
    }
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    requests: () => [...requests],
    minted: () => [...minted],
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Points Application Default Credentials at the stand-in only: no credentials file, an empty
 * home and gcloud config, so the metadata server is the one source left.
 */
export function useOnlyMetadataServer(host: string, emptyDir: string): void {
  delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GCE_METADATA_HOST = host;
  process.env.HOME = emptyDir;
  process.env.CLOUDSDK_CONFIG = emptyDir;
}
