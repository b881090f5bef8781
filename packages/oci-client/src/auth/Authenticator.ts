import { createHash } from 'node:crypto';
import { OciError } from '../errors';
import { AuthChallenge, parseChallenges } from './challenge';
import {
  CredentialSource,
  describeCredentials,
  RegistryCredentials,
} from './credentials';
import { IssuedToken, TokenCache } from './TokenCache';

/** How a registry wants to be addressed, learnt from its challenge. */
export type HostAuth =
  | { scheme: 'none' }
  | { scheme: 'basic' }
  | { scheme: 'bearer'; realm: string; service?: string };

/** An answer as the authenticator needs it. */
export interface AuthResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** The Authorization header chosen for a request, and the token it came from. */
export interface Authorization {
  header: string;
  /** Set for cached bearer tokens, so a refused one can be dropped. */
  tokenKey?: string;
  token?: string;
}

/** What the authenticator needs from the transport. */
export interface AuthenticatorOptions {
  credentials: CredentialSource;
  tokens: TokenCache;
  /** `GET /v2/` on the registry, unauthenticated; any status. */
  ping: (registry: string) => Promise<AuthResponse>;
  /** A request to a token endpoint; resolves with 200 answers, throws OciError otherwise. */
  requestToken: (request: {
    registry: string;
    url: string;
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: Buffer;
    what: string;
    advice: string;
  }) => Promise<AuthResponse>;
  /** Whether a URL may carry credentials: https, or http to a host allowed plain HTTP. */
  mayCarrySecrets: (url: URL) => boolean;
  /** Throws a BLOCKED_HOST OciError when the URL's host may not be contacted at all. */
  refuseBlockedHost: (
    registry: string,
    url: URL,
    what: string,
  ) => Promise<void>;
  userAgent: string;
}

function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

function fingerprint(credentials: RegistryCredentials | undefined): string {
  if (!credentials) return 'anonymous';
  let secret: string;
  if ('password' in credentials) {
    secret = `${credentials.username}:${credentials.password}`;
  } else if ('identityToken' in credentials) {
    secret = credentials.identityToken;
  } else {
    secret = credentials.token;
  }
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

function hostAuthFrom(challenges: AuthChallenge[]): HostAuth | undefined {
  const bearer = challenges.find(c => c.scheme === 'bearer' && c.params.realm);
  if (bearer) {
    return {
      scheme: 'bearer',
      realm: bearer.params.realm,
      service: bearer.params.service,
    };
  }
  return challenges.some(c => c.scheme === 'basic')
    ? { scheme: 'basic' }
    : undefined;
}

/**
 * Chooses the Authorization header of each request: nothing, Basic, or a
 * bearer token for the request's scopes from the registry's token endpoint.
 * A registry's scheme is learnt once per client from a `GET /v2/` ping (shared
 * by concurrent callers) and updated by any later 401 challenge.
 */
export class Authenticator {
  private readonly options: AuthenticatorOptions;
  private readonly hosts = new Map<string, Promise<HostAuth>>();

  constructor(options: AuthenticatorOptions) {
    this.options = options;
  }

  /** The Authorization for a request to `registry` needing `scopes`; undefined means none. */
  async authorize(
    registry: string,
    repository: string | undefined,
    scopes: string[],
  ): Promise<Authorization | undefined> {
    const credentials = await this.options.credentials(registry, repository);
    if (credentials && 'token' in credentials) {
      return { header: `Bearer ${credentials.token}` };
    }
    const host = await this.hostAuth(registry);
    if (host.scheme === 'none') {
      return undefined;
    }
    if (host.scheme === 'basic') {
      return credentials && 'password' in credentials
        ? { header: basicHeader(credentials.username, credentials.password) }
        : undefined;
    }
    const sorted = mergeScopes(scopes);
    const tokenKey = [
      host.realm,
      host.service ?? '',
      sorted.join(' '),
      fingerprint(credentials),
    ].join('|');
    const token = await this.options.tokens.get(tokenKey, () =>
      this.fetchToken(registry, host, sorted, credentials),
    );
    return { header: `Bearer ${token}`, tokenKey, token };
  }

  /**
   * Learns from a 401: records the registry's scheme, drops a refused token
   * and says whether another attempt could succeed, with the scopes the
   * challenge asked for added to the request's.
   */
  async unauthorized(
    registry: string,
    repository: string | undefined,
    response: AuthResponse,
    used: Authorization | undefined,
    scopes: string[],
  ): Promise<{ retry: boolean; scopes: string[] }> {
    const challenges = parseChallenges(
      response.headers.get('www-authenticate') ?? '',
    );
    const learnt = hostAuthFrom(challenges);
    if (!learnt) {
      return { retry: false, scopes };
    }
    const before = await this.hostAuth(registry).catch(() => undefined);
    this.hosts.set(registry, Promise.resolve(learnt));
    if (used?.tokenKey && used.token) {
      this.options.tokens.invalidate(used.tokenKey, used.token);
    }
    const asked = challenges
      .find(c => c.scheme === learnt.scheme)
      ?.params.scope?.split(' ')
      .filter(Boolean);
    const merged = mergeScopes([...scopes, ...(asked ?? [])]);
    if (learnt.scheme === 'bearer') {
      // A fresh token may carry what the cached one lacked (expired, scope missing).
      return { retry: true, scopes: merged };
    }
    const credentials = await this.options.credentials(registry, repository);
    const canSendBasic = !!credentials && 'password' in credentials;
    return {
      retry: canSendBasic && before?.scheme !== 'basic',
      scopes: merged,
    };
  }

  /** The message for a request still refused after authenticating. */
  async refusal(registry: string, repository?: string): Promise<string> {
    const credentials = await this.options.credentials(registry, repository);
    return credentials
      ? `check the credentials configured for ${registry} (${describeCredentials(
          credentials,
        )}) and that they grant access to ${repository ?? 'this registry'}`
      : `no credentials are configured for ${registry}; add them`;
  }

  private hostAuth(registry: string): Promise<HostAuth> {
    let host = this.hosts.get(registry);
    if (!host) {
      host = this.options.ping(registry).then(response => {
        if (response.status === 401) {
          return (
            hostAuthFrom(
              parseChallenges(response.headers.get('www-authenticate') ?? ''),
            ) ?? { scheme: 'none' }
          );
        }
        return { scheme: 'none' } as HostAuth;
      });
      // A failed ping is not remembered: the next request asks again.
      host.catch(() => this.hosts.delete(registry));
      this.hosts.set(registry, host);
    }
    return host;
  }

  private async fetchToken(
    registry: string,
    host: Extract<HostAuth, { scheme: 'bearer' }>,
    scopes: string[],
    credentials: RegistryCredentials | undefined,
  ): Promise<IssuedToken> {
    let url: URL;
    try {
      url = new URL(host.realm);
    } catch (error) {
      throw new OciError(
        'AUTHENTICATION',
        `${registry} named a token endpoint that is not a URL ("${host.realm}"); report it to the registry operator.`,
        { host: registry, cause: error },
      );
    }
    const what = `a token for ${scopes.join(' ') || registry}`;
    if (credentials && !this.options.mayCarrySecrets(url)) {
      // a blocked host is refused as such, whatever the scheme
      await this.options.refuseBlockedHost(
        registry,
        url,
        `a request for ${what}`,
      );
      throw new OciError(
        'AUTHENTICATION',
        `${registry} asked for credentials to be sent to ${url.origin} over plain HTTP; refused. Configure the token host as insecure only if that is intended.`,
        { host: registry },
      );
    }
    const advice = credentials
      ? `check the credentials configured for ${registry} (${describeCredentials(
          credentials,
        )})`
      : `no credentials are configured for ${registry}; add them`;
    const headers: Record<string, string> = {};
    let response: AuthResponse;
    if (credentials && 'identityToken' in credentials) {
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: credentials.identityToken,
        client_id: this.options.userAgent,
        scope: scopes.join(' '),
      });
      if (host.service) form.set('service', host.service);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      response = await this.options.requestToken({
        registry,
        url: url.href,
        method: 'POST',
        headers,
        body: Buffer.from(form.toString()),
        what,
        advice,
      });
    } else {
      if (host.service) url.searchParams.set('service', host.service);
      for (const scope of scopes) url.searchParams.append('scope', scope);
      if (credentials && 'password' in credentials) {
        url.searchParams.set('account', credentials.username);
        headers.authorization = basicHeader(
          credentials.username,
          credentials.password,
        );
      }
      response = await this.options.requestToken({
        registry,
        url: url.href,
        method: 'GET',
        headers,
        what,
        advice,
      });
    }
    let parsed: { token?: string; access_token?: string; expires_in?: number };
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch (error) {
      throw new OciError(
        'AUTHENTICATION',
        `The token endpoint of ${registry} (${url.origin}) answered with something other than JSON; report it to the registry operator.`,
        { host: registry, cause: error },
      );
    }
    const token = parsed.token || parsed.access_token;
    if (!token) {
      throw new OciError(
        'AUTHENTICATION',
        `The token endpoint of ${registry} (${url.origin}) answered without a token; report it to the registry operator.`,
        { host: registry },
      );
    }
    const expires = Number(parsed.expires_in);
    return {
      token,
      expiresInSeconds: Number.isFinite(expires) && expires > 0 ? expires : 60,
    };
  }
}

/**
 * Merges scopes, joining the actions of the same resource:
 * `repository:a:pull` + `repository:a:push` → `repository:a:pull,push`.
 */
export function mergeScopes(scopes: string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const last = scope.lastIndexOf(':');
    if (last <= 0) continue;
    const resource = scope.slice(0, last);
    const actions = byResource.get(resource) ?? new Set<string>();
    scope
      .slice(last + 1)
      .split(',')
      .filter(Boolean)
      .forEach(a => actions.add(a));
    byResource.set(resource, actions);
  }
  return [...byResource.entries()]
    .map(
      ([resource, actions]) => `${resource}:${[...actions].sort().join(',')}`,
    )
    .sort();
}
