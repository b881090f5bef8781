import { createHash } from 'node:crypto';
import { OciError } from '../errors';
import { abortable } from '../transport/abort';
import { answerError, checked, failureError } from '../transport/check';
import { CheckHost, hostRefusal } from '../transport/hostCheck';
import { ERROR_BODY_BYTES } from '../transport/httpFetch';
import { RequestKind } from '../transport/observer';
import { Answer, RoundTrip } from '../transport/roundTrip';
import { AuthChallenge, parseChallenges } from './challenge';
import {
  CredentialSource,
  CredentialsRefused,
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
export type AuthResponse = Pick<Answer, 'status' | 'headers' | 'body'>;

/** The Authorization header chosen for a request, and the token it came from. */
export interface Authorization {
  header: string;
  /** Set for cached bearer tokens, so a refused one can be dropped. */
  tokenKey?: string;
  token?: string;
  /** The header is the credential source's own credentials (Basic, or its bearer token), not a token endpoint's. */
  fromSource?: boolean;
}

/** What the authenticator needs: the layers below it, and the client's settings. */
export interface AuthenticatorOptions {
  credentials: CredentialSource;
  /** Told when `credentials`' answer was refused; true when it has fresh credentials to try. */
  credentialsRefused?: CredentialsRefused;
  tokens: TokenCache;
  /**
   * The layers below authentication (retries, limits, timeout, redirects,
   * host check, observation): pings and token requests go through them.
   */
  send: RoundTrip;
  /** `https://endpoint` of a registry, or `http://` when it is allowed plain HTTP. */
  baseUrl: (registry: string) => string;
  /** Whether a URL may carry credentials: https, or http to a host allowed plain HTTP. */
  mayCarrySecrets: (url: URL) => boolean;
  /** Asked first when credentials would go to a token endpoint over plain HTTP, so a blocked host is named as such. */
  checkHost?: CheckHost;
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

  /** The credential source's answer for `registry` and `repository`. */
  async credentials(
    registry: string,
    repository: string | undefined,
  ): Promise<RegistryCredentials | undefined> {
    return this.options.credentials(registry, repository);
  }

  /**
   * The Authorization for a request to `registry` needing `scopes` with
   * `credentials` (from {@link Authenticator.credentials}); undefined means none.
   */
  async authorize(
    registry: string,
    credentials: RegistryCredentials | undefined,
    scopes: string[],
    signal?: AbortSignal,
  ): Promise<Authorization | undefined> {
    if (credentials && 'token' in credentials) {
      return { header: `Bearer ${credentials.token}`, fromSource: true };
    }
    // The ping and the token request are shared with other callers: an abort
    // ends this caller's wait, not the work the others wait for.
    const host = await abortable(this.hostAuth(registry), signal);
    if (host.scheme === 'none') {
      return undefined;
    }
    if (host.scheme === 'basic') {
      return credentials && 'password' in credentials
        ? {
            header: basicHeader(credentials.username, credentials.password),
            fromSource: true,
          }
        : undefined;
    }
    const sorted = mergeScopes(scopes);
    const tokenKey = [
      host.realm,
      host.service ?? '',
      sorted.join(' '),
      fingerprint(credentials),
    ].join('|');
    const token = await abortable(
      this.options.tokens.get(tokenKey, () =>
        this.fetchToken(registry, host, sorted, credentials),
      ),
      signal,
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

  /**
   * The registry or its token endpoint refused `credentials`, which the
   * source gave for `registry` and `repository`: tells the source, and
   * answers whether it has fresh ones to try (false without a hook).
   */
  async credentialsRefused(
    registry: string,
    repository: string | undefined,
    credentials: RegistryCredentials,
  ): Promise<boolean> {
    return (
      (await this.options.credentialsRefused?.(
        registry,
        repository,
        credentials,
      )) ?? false
    );
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

  /** One request below authentication, as the authenticator makes them. */
  private send(
    registry: string,
    kind: RequestKind,
    request: {
      url: URL;
      method: 'GET' | 'POST';
      headers?: Record<string, string>;
      body?: Buffer;
    },
  ): Promise<Answer> {
    return this.options.send({
      registry,
      kind,
      method: request.method,
      url: request.url,
      headers: request.headers ?? {},
      body: request.body,
      maxBytes: ERROR_BODY_BYTES,
      retry: 0,
      redirected: false,
    });
  }

  /** `GET /v2/` on the registry, unauthenticated: any of 2xx, 401, 403 and 404 is an answer. */
  private ping(registry: string): Promise<AuthResponse> {
    const url = new URL(`${this.options.baseUrl(registry)}/v2/`);
    return checked(
      registry,
      `GET /v2/ (the API check) of ${registry}`,
      () => this.send(registry, 'ping', { url, method: 'GET' }),
      { allow: [401, 403, 404] },
    );
  }

  /** A request to a token endpoint: its 2xx answer, else an OciError with `advice`. */
  private requestToken(
    registry: string,
    request: {
      url: URL;
      method: 'GET' | 'POST';
      headers: Record<string, string>;
      body?: Buffer;
      what: string;
      advice: string;
    },
  ): Promise<AuthResponse> {
    const what = `a request for ${request.what}`;
    return checked(
      registry,
      what,
      () => this.send(registry, 'token', request),
      {
        refused: answer => answerError(registry, what, answer, request.advice),
      },
    );
  }

  private hostAuth(registry: string): Promise<HostAuth> {
    let host = this.hosts.get(registry);
    if (!host) {
      host = this.ping(registry).then(response => {
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
      const refused = await hostRefusal(this.options.checkHost, url);
      if (refused) {
        throw failureError(registry, `a request for ${what}`, refused);
      }
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
      response = await this.requestToken(registry, {
        url,
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
      response = await this.requestToken(registry, {
        url,
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
