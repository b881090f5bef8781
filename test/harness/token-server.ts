/*
 * A token endpoint for tests: the bearer-token flow Docker Hub, GHCR and GCR use, for a real
 * `docker-registry` started with `startRegistry({ tokenAuth: server.registryAuth })`.
 * It signs RS256 JWTs with a fresh self-signed certificate (header `x5c`), which the registry
 * trusts through `auth.token.rootcertbundle`.
 */
import { execFile } from 'node:child_process';
import {
  createPrivateKey,
  KeyObject,
  randomUUID,
  sign,
  X509Certificate,
} from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireBinaries } from './registry';
import { realClockEnv, serverNow } from './serverClock';

/** One `type:name:actions` entry of a token request or a token's `access` claim. */
export interface TokenScope {
  type: string;
  name: string;
  actions: string[];
}

/** A request the token endpoint received. */
export interface TokenRequest {
  method: string;
  /** `basic`, `password` (POST), `refresh_token` (POST) or `anonymous` */
  grant: 'basic' | 'password' | 'refresh_token' | 'anonymous';
  /** the authenticated user; undefined when anonymous or refused */
  user?: string;
  service?: string;
  /** scopes as requested, e.g. `repository:team/app:pull,push` */
  scopes: string[];
  /** the answer's status */
  status: number;
}

/** Options for {@link startTokenServer}. */
export interface TokenServerOptions {
  /** users and their passwords */
  users?: Record<string, string>;
  /** the actions to grant; default: users get what they ask for, anonymous callers only `pull` */
  grant?: (user: string | undefined, scope: TokenScope) => string[];
  /** whether anonymous callers may pull (default true) */
  anonymousPull?: boolean;
  /** `expires_in` of issued tokens, in seconds (default 300) */
  expiresIn?: number;
  /** the `aud` claim and the `service` the registry announces (default `test-registry`) */
  service?: string;
  /** the `iss` claim (default `test-token-issuer`) */
  issuer?: string;
}

/** What `startRegistry({ tokenAuth })` needs to trust this token endpoint. */
export interface RegistryTokenAuth {
  realm: string;
  service: string;
  issuer: string;
  /** PEM file with the certificate the tokens are signed with */
  rootCertBundle: string;
}

/** A running token endpoint started by {@link startTokenServer}. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT/token` */
  realm: string;
  service: string;
  /** pass to `startRegistry({ tokenAuth })` */
  registryAuth: RegistryTokenAuth;
  /** every request received so far, in order */
  requests(): TokenRequest[];
  /** a refresh token (a Docker config `identitytoken`) for `user`, accepted by POST grant_type=refresh_token */
  issueRefreshToken(user: string): string;
  /** signs a token for any claims, e.g. a wrong audience, to test the registry's refusal */
  signToken(claims: Record<string, unknown>): string;
  /** changes `expires_in` for tokens issued from now on */
  setExpiresIn(seconds: number): void;
  /** from now on logs `username` in with this password only (a rotation: its old password answers 401) */
  acceptOnly(credentials: { username: string; password: string }): void;
  stop(): Promise<void>;
}

/** Parses `repository:team/app:pull,push`; names may contain `:` (e.g. a port), actions are last. */
export function parseScope(text: string): TokenScope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first < 0 || last === first) {
    return undefined;
  }
  return {
    type: text.slice(0, first),
    name: text.slice(first + 1, last),
    actions: text
      .slice(last + 1)
      .split(',')
      .filter(Boolean),
  };
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Starts the token endpoint on a random 127.0.0.1 port with a fresh key and certificate. */
export async function startTokenServer(
  options: TokenServerOptions = {},
): Promise<TokenServer> {
  requireBinaries('openssl');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-token-server-'));
  const keyPath = path.join(dir, 'key.pem');
  const certPath = path.join(dir, 'cert.pem');
  await promisify(execFile)(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyPath,
      '-out',
      certPath,
      '-days',
      '2',
      '-subj',
      '/CN=test-token-issuer',
    ],
    // valid by the registry's clock, also when the tests' clock is shifted
    { env: realClockEnv() },
  );
  const key: KeyObject = createPrivateKey(fs.readFileSync(keyPath));
  const certDer = new X509Certificate(fs.readFileSync(certPath)).raw;

  const service = options.service ?? 'test-registry';
  const issuer = options.issuer ?? 'test-token-issuer';
  let users = options.users ?? {};
  const anonymousPull = options.anonymousPull ?? true;
  let expiresIn = options.expiresIn ?? 300;
  const refreshTokens = new Map<string, string>();
  const log: TokenRequest[] = [];

  const grant =
    options.grant ??
    ((user: string | undefined, scope: TokenScope) =>
      user
        ? scope.actions
        : scope.actions.filter(a => anonymousPull && a === 'pull'));

  const signToken = (claims: Record<string, unknown>): string => {
    const header = {
      alg: 'RS256',
      typ: 'JWT',
      x5c: [certDer.toString('base64')],
    };
    const input = `${base64url(JSON.stringify(header))}.${base64url(
      JSON.stringify(claims),
    )}`;
    return `${input}.${base64url(sign('sha256', Buffer.from(input), key))}`;
  };

  const issue = (user: string | undefined, scopes: string[]) => {
    // The registry checks exp and nbf by its own clock.
    const now = Math.floor(serverNow() / 1000);
    const access = scopes
      .map(parseScope)
      .filter((s): s is TokenScope => s !== undefined)
      .map(s => ({ type: s.type, name: s.name, actions: grant(user, s) }))
      .filter(s => s.actions.length > 0);
    const token = signToken({
      iss: issuer,
      sub: user ?? '',
      aud: service,
      exp: now + expiresIn,
      nbf: now - 10,
      iat: now,
      jti: randomUUID(),
      access,
    });
    return {
      token,
      access_token: token,
      expires_in: expiresIn,
      issued_at: new Date(now * 1000).toISOString(),
    };
  };

  const issueRefresh = (user: string) => {
    const token = randomUUID();
    refreshTokens.set(token, user);
    return token;
  };

  const passwordMatches = (user: string, password: string | null) =>
    users[user] !== undefined && users[user] === password;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const answer = (
        status: number,
        body: object,
        entry: Omit<TokenRequest, 'status' | 'method'>,
      ) => {
        log.push({ ...entry, method: req.method ?? '', status });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      /** A token for `user` (with a refresh token when asked), or 401 with `refusal` when no user was established. */
      const grantToken = (
        kind: TokenRequest['grant'],
        user: string | undefined,
        refusal: string,
        request: { service?: string; scopes: string[]; offline?: boolean },
      ) => {
        const entry = { service: request.service, scopes: request.scopes };
        if (user === undefined) {
          answer(401, { details: refusal }, { grant: kind, ...entry });
          return;
        }
        const body: Record<string, unknown> = issue(user, request.scopes);
        if (request.offline) {
          body.refresh_token = issueRefresh(user);
        }
        answer(200, body, { grant: kind, user, ...entry });
      };
      if (url.pathname !== '/token') {
        answer(
          404,
          { details: 'not found' },
          { grant: 'anonymous', scopes: [] },
        );
        return;
      }
      if (req.method === 'GET') {
        const scopes = url.searchParams
          .getAll('scope')
          .flatMap(s => s.split(' '));
        const svc = url.searchParams.get('service') ?? undefined;
        const authorization = req.headers.authorization ?? '';
        if (authorization.startsWith('Basic ')) {
          const decoded = Buffer.from(
            authorization.slice(6),
            'base64',
          ).toString();
          const colon = decoded.indexOf(':');
          const user = decoded.slice(0, colon);
          const password = decoded.slice(colon + 1);
          grantToken(
            'basic',
            colon >= 0 && passwordMatches(user, password) ? user : undefined,
            'incorrect username or password',
            {
              service: svc,
              scopes,
              offline: url.searchParams.get('offline_token') === 'true',
            },
          );
          return;
        }
        answer(200, issue(undefined, scopes), {
          grant: 'anonymous',
          service: svc,
          scopes,
        });
        return;
      }
      if (req.method === 'POST') {
        const form = new URLSearchParams(
          Buffer.concat(chunks).toString('utf8'),
        );
        const scopes = (form.get('scope') ?? '').split(' ').filter(Boolean);
        const svc = form.get('service') ?? undefined;
        const grantType = form.get('grant_type');
        if (grantType === 'refresh_token') {
          grantToken(
            'refresh_token',
            refreshTokens.get(form.get('refresh_token') ?? '') || undefined,
            'invalid refresh token',
            { service: svc, scopes },
          );
          return;
        }
        if (grantType === 'password') {
          const user = form.get('username') ?? '';
          grantToken(
            'password',
            passwordMatches(user, form.get('password')) ? user : undefined,
            'incorrect username or password',
            { service: svc, scopes },
          );
          return;
        }
      }
      answer(
        400,
        { details: 'unsupported request' },
        { grant: 'anonymous', scopes: [] },
      );
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const realm = `http://127.0.0.1:${port}/token`;

  return {
    realm,
    service,
    registryAuth: { realm, service, issuer, rootCertBundle: certPath },
    requests: () => [...log],
    issueRefreshToken: issueRefresh,
    signToken,
    acceptOnly: ({ username, password }) => {
      users = { ...users, [username]: password };
    },
    setExpiresIn: seconds => {
      expiresIn = seconds;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>(resolve => server.close(() => resolve()));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
