/*
 * A stand-in for the GitHub API's App endpoints, for the real @backstage/integration (its
 * `apiBaseUrl` pointed here): one installation for the owner `team`, and a fresh installation
 * token per `POST /app/installations/1/access_tokens`. A personal access token needs no call.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubStandIn {
  /** `127.0.0.1:PORT`, for `integrations.github[].host` */
  host: string;
  /** `http://127.0.0.1:PORT`, for `apiBaseUrl` */
  apiBaseUrl: string;
  /** a private key for the App's JWTs (`apps[].privateKey`) */
  privateKey: string;
  /** `METHOD path status` of every request */
  requests(): string[];
  /** installation tokens issued */
  issued(): string[];
  stop(): Promise<void>;
}

export async function startGithubStandIn(): Promise<GithubStandIn> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const requests: string[] = [];
  const issued: string[] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: unknown) => {
      requests.push(`${req.method} ${path} ${status}`);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    // the App's JWT
    if (!/^bearer /i.test(String(req.headers.authorization ?? ''))) {
      answer(401, { message: 'Requires authentication' });
      return;
    }
    if (req.method === 'GET' && path === '/app/installations') {
      answer(200, [
        {
          id: 1,
          account: { login: 'team' },
          repository_selection: 'all',
          suspended_at: null,
        },
      ]);
    } else if (
      req.method === 'POST' &&
      path === '/app/installations/1/access_tokens'
    ) {
      const token = `ghs_${randomBytes(18).toString('hex')}`;
      issued.push(token);
      answer(201, {
        token,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { packages: 'read', contents: 'read' },
        repository_selection: 'all',
      });
    } else {
      answer(404, { message: 'Not Found' });
    }
  });
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    apiBaseUrl: `http://127.0.0.1:${port}`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    requests: () => [...requests],
    issued: () => [...issued],
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
