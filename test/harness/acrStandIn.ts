/*
 * Stand-ins for what ACR credentials need besides the registry, for the real @azure/identity:
 * - a managed identity endpoint, App Service style (IDENTITY_ENDPOINT / IDENTITY_HEADER), that
 *   issues short-lived Entra ID tokens for ACR's resource;
 * - ACR's `/oauth2/exchange` on the registry's own host: a small server in front of the test's
 *   docker-registry that trades a token it issued (for the expected tenant) for a fresh refresh
 *   token, hands it to `onMint` (the registry then accepts only it) and passes every other
 *   request through to the registry.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AcrStandIn {
  /** `http://127.0.0.1:PORT/msi/token`, for IDENTITY_ENDPOINT */
  identityEndpoint: string;
  /** `127.0.0.1:PORT` of the server in front of the registry: use it in image references */
  registryHost: string;
  /** Entra ID tokens issued */
  issued(): string[];
  /** refresh tokens minted at /oauth2/exchange */
  minted(): string[];
  /** exchange attempts: `status tenant` */
  exchanges(): string[];
  stop(): Promise<void>;
}

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>(resolve =>
    server.listen(0, '127.0.0.1', () => resolve()),
  );
  return (server.address() as AddressInfo).port;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise(resolve => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

export async function startAcrStandIn(options: {
  /** the registry behind the front server, `127.0.0.1:PORT` */
  registryHost: string;
  tenantId: string;
  identityHeader: string;
  expiresInSeconds: number;
  onMint: (refreshToken: string) => Promise<void>;
}): Promise<AcrStandIn> {
  const issued: string[] = [];
  const minted: string[] = [];
  const exchanges: string[] = [];

  const identity = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://identity');
    if (
      url.pathname !== '/msi/token' ||
      req.headers['x-identity-header'] !== options.identityHeader ||
      url.searchParams.get('resource') !== 'https://containerregistry.azure.net'
    ) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    const token = `eyJ.entra-${issued.length + 1}-${randomBytes(12).toString(
      'hex',
    )}`;
    issued.push(token);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(
          Math.floor(Date.now() / 1000) + options.expiresInSeconds,
        ),
        resource: 'https://containerregistry.azure.net',
        token_type: 'Bearer',
      }),
    );
  });

  const front = http.createServer(async (req, res) => {
    if (req.method === 'POST' && req.url === '/oauth2/exchange') {
      const form = new URLSearchParams(await readBody(req));
      const tenant = form.get('tenant') ?? '';
      const known =
        form.get('grant_type') === 'access_token' &&
        issued.includes(form.get('access_token') ?? '') &&
        form.get('service') === req.headers.host;
      let status = 200;
      if (!known) status = 400;
      else if (tenant !== options.tenantId) status = 401;
      exchanges.push(`${status} ${tenant}`);
      if (status !== 200) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            errors: [
              { code: 'UNAUTHORIZED', message: 'authentication required' },
            ],
          }),
        );
        return;
      }
      const refreshToken = `acr-refresh-${minted.length + 1}-${randomBytes(
        16,
      ).toString('hex')}`;
      minted.push(refreshToken);
      await options.onMint(refreshToken);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ refresh_token: refreshToken }));
      return;
    }
    // everything else is the registry's
    const [hostname, port] = options.registryHost.split(':');
    const upstream = http.request(
      {
        hostname,
        port: Number(port),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: options.registryHost },
      },
      answer => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });

  const identityPort = await listen(identity);
  const frontPort = await listen(front);
  const close = (server: http.Server) =>
    new Promise<void>(resolve => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    identityEndpoint: `http://127.0.0.1:${identityPort}/msi/token`,
    registryHost: `127.0.0.1:${frontPort}`,
    issued: () => [...issued],
    minted: () => [...minted],
    exchanges: () => [...exchanges],
    stop: async () => {
      await close(identity);
      await close(front);
    },
  };
}
