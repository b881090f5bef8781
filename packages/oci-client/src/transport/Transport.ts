import { Authenticator } from '../auth/Authenticator';
import { authLayer } from '../auth/authLayer';
import {
  CredentialSource,
  CredentialsRefused,
  RegistryCredentials,
  staticCredentials,
} from '../auth/credentials';
import { TokenCache } from '../auth/TokenCache';
import { OciError } from '../errors';
import { registryEndpoint } from '../reference';
import { isLoopback } from '../registryHost';
import { answerError, checked } from './check';
import { addressCheckingDispatcher } from './connectCheck';
import { hostCheckLayer } from './hostCheck';
import { httpRoundTrip } from './httpFetch';
import { InFlight } from './InFlight';
import { HostLimiter, limitLayer } from './limiter';
import { observeLayer, RequestKind, RequestObserver } from './observer';
import { redirectLayer } from './redirects';
import {
  parseRetryAfter,
  RetryOptions,
  RetryPolicy,
  retryLayer,
  retryPolicy,
} from './retry';
import { Answer, compose, Exchange, RoundTrip } from './roundTrip';
import { timeoutLayer } from './timeout';

/** A setting for all registries, or per registry (undefined falls back to the default). @public */
export type PerRegistry<T> = T | ((registry: string) => T | undefined);

/** How the client talks to registries. @public */
export interface TransportOptions {
  /** Per-request timeout in milliseconds (each attempt, body included). Default 30 000. */
  timeoutMs?: PerRegistry<number>;
  /**
   * Credentials: a function of the registry (and repository), or a map keyed
   * like Docker config `auths`. Anonymous when none. See
   * `credentialsFromDockerConfig`, `credentialsFromPullSecret`, `chainCredentials`.
   */
  credentials?: CredentialSource | Record<string, RegistryCredentials>;
  /**
   * Told when a registry or its token endpoint answers 401 to the
   * credentials' answer (revoked, rotated); answer true when fresh ones are
   * to be had, and the same request is tried once more with them.
   */
  credentialsRefused?: CredentialsRefused;
  /** Whether a registry speaks plain HTTP; when unsaid, only localhost, 127.0.0.0/8 and [::1] do. */
  insecure?: PerRegistry<boolean>;
  /** Requests at once per registry. Default 8. */
  maxConcurrency?: PerRegistry<number>;
  /** Request starts per second per registry. Default unlimited. */
  requestsPerSecond?: PerRegistry<number>;
  /** Retries with exponential backoff, jitter and Retry-After; only GET and HEAD are retried. */
  retry?: RetryOptions;
  /** Receives every HTTP exchange (method, host, kind, status, duration, retry). */
  observer?: RequestObserver;
  /** Bearer tokens; pass one cache to several clients to share tokens. Default: one per client. */
  tokens?: TokenCache;
  /**
   * Called with the `host[:port]` of every URL before it is contacted: the
   * registry, its token endpoint, every redirect target. Throw (e.g. an
   * OciError with code BLOCKED_HOST) to refuse; the error is passed on as is.
   */
  checkHost?: (host: string) => void | Promise<void>;
  /**
   * Called for every connection the client opens (to a registry, a token
   * endpoint, a redirect target) with the URL's `host[:port]` and each
   * address the socket may connect to, after DNS: the check is made where
   * the socket gets its address, so a name that answers one address when
   * `checkHost` asks and another when the connection is made (DNS
   * rebinding) cannot get past it. Throw to refuse: the request fails with
   * the thrown error as it is, without retries, as with `checkHost`.
   */
  checkAddress?: (
    host: string,
    address: string,
    family: 4 | 6,
  ) => void | Promise<void>;
  /** Resolves host names for `checkAddress`'s connections to all their addresses; `dns.lookup` by default. */
  resolveHost?: (hostname: string) => Promise<string[]>;
  /**
   * The fetch to use; Node's own by default. With `checkAddress`, it is
   * passed undici's `dispatcher` option, which it must honour as Node's does.
   */
  fetch?: typeof fetch;
  userAgent?: string;
}

/** One request to a registry. */
export interface RegistryRequest {
  /** The registry as written in references; decides endpoint, auth, limits and settings. */
  registry: string;
  /** For credential lookups by repository. */
  repository?: string;
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** `/v2/...` on the registry, or an absolute URL from a Location or Link header. */
  url: string;
  kind: RequestKind;
  /** Token scopes, e.g. `repository:team/app:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer;
  /** The largest body accepted; beyond it the request fails with TOO_LARGE. */
  maxBytes: number;
  /** Statuses besides 2xx that are answers rather than errors (e.g. 404 for "blob exists?"). */
  allow?: number[];
  /** What was asked, for messages: `GET the manifest of ghcr.io/a/b:1`. */
  what: string;
  /** Whether identical in-flight GET/HEAD requests share one exchange. Default true. */
  share?: boolean;
  /** Aborts the request: its exchange, a retry's wait, a wait for a slot. */
  signal?: AbortSignal;
}

/** An answer, its body read. @public */
export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

function perRegistry<T>(
  setting: PerRegistry<T> | undefined,
  registry: string,
): T | undefined {
  return typeof setting === 'function'
    ? (setting as (registry: string) => T | undefined)(registry)
    : setting;
}

/**
 * Sends requests to registries through a stack of small layers, each
 * wrapping the next, as go-containerregistry's `transport` does:
 *
 * in-flight sharing and the final check (here) → auth → retry → per-host
 * limits → timeout → redirects → host check → observation → `fetch` with
 * body caps, its connections' addresses checked.
 *
 * The authenticator's pings and token requests enter below auth, so retries,
 * limits, timeouts, host checks and observation apply to them too.
 */
export class Transport {
  private readonly options: TransportOptions;
  private readonly policy: RetryPolicy;
  private readonly auth: Authenticator;
  private readonly shared = new InFlight<RegistryResponse>();
  private readonly roundTrip: RoundTrip;

  constructor(options: TransportOptions = {}) {
    this.options = options;
    this.policy = retryPolicy(options.retry);
    const userAgent = options.userAgent ?? 'oci-client';
    const limiter = new HostLimiter({
      maxConcurrency: host => perRegistry(options.maxConcurrency, host) ?? 8,
      requestsPerSecond: host => perRegistry(options.requestsPerSecond, host),
    });
    const originOf = (registry: string) =>
      new URL(this.baseUrl(registry)).origin;
    const allowsPlainHttp = (host: string) =>
      perRegistry(options.insecure, host) ?? isLoopback(host);
    const belowAuth = compose(
      [
        retryLayer(this.policy),
        // A registry's requests are limited under its name (the settings' key); others by host.
        limitLayer(limiter, ({ registry, url }) =>
          url.origin === originOf(registry) ? registry : url.host,
        ),
        timeoutLayer(
          registry => perRegistry(options.timeoutMs, registry) ?? 30_000,
        ),
        redirectLayer({ allowsPlainHttp, checkHost: options.checkHost }),
        hostCheckLayer(options.checkHost),
        observeLayer(options.observer),
      ],
      httpRoundTrip({
        fetch: options.fetch,
        userAgent,
        dispatcher: options.checkAddress
          ? addressCheckingDispatcher({
              checkAddress: options.checkAddress,
              resolve: options.resolveHost,
            })
          : undefined,
      }),
    );
    const credentials = options.credentials;
    this.auth = new Authenticator({
      credentials:
        typeof credentials === 'function'
          ? credentials
          : staticCredentials(credentials ?? {}),
      credentialsRefused: options.credentialsRefused,
      tokens: options.tokens ?? new TokenCache(),
      userAgent,
      send: belowAuth,
      baseUrl: registry => this.baseUrl(registry),
      mayCarrySecrets: url =>
        url.protocol === 'https:' ||
        (url.protocol === 'http:' && allowsPlainHttp(url.host)),
      checkHost: options.checkHost,
    });
    this.roundTrip = authLayer(this.auth, originOf)(belowAuth);
  }

  /** `https://endpoint`, or `http://` for registries allowed plain HTTP. */
  baseUrl(registry: string): string {
    const endpoint = registryEndpoint(registry);
    const insecure =
      perRegistry(this.options.insecure, registry) ?? isLoopback(endpoint);
    return `${insecure ? 'http' : 'https'}://${endpoint}`;
  }

  /** Sends a request; resolves with 2xx (and `allow`ed) answers, throws OciError otherwise. */
  send(request: RegistryRequest): Promise<RegistryResponse> {
    const url = request.url.startsWith('/')
      ? new URL(`${this.baseUrl(request.registry)}${request.url}`)
      : new URL(request.url);
    const share =
      (request.share ?? true) &&
      (request.method === 'GET' || request.method === 'HEAD');
    if (!share) {
      return this.sendOnce(request, url, request.signal);
    }
    const key = [
      request.method,
      url.href,
      request.headers?.accept ?? '',
      request.headers?.authorization ?? '',
      request.maxBytes,
      (request.allow ?? []).join(','),
    ].join(' ');
    return this.shared.run(
      key,
      signal => this.sendOnce(request, url, signal),
      request.signal,
    );
  }

  private async sendOnce(
    request: RegistryRequest,
    url: URL,
    signal: AbortSignal | undefined,
  ): Promise<RegistryResponse> {
    const exchange: Exchange = {
      registry: request.registry,
      method: request.method,
      url,
      kind: request.kind,
      headers: request.headers ?? {},
      body: request.body,
      maxBytes: request.maxBytes,
      signal,
      retry: 0,
      redirected: false,
      auth: { repository: request.repository, scopes: request.scopes },
    };
    const answer = await checked(
      request.registry,
      request.what,
      () => this.roundTrip(exchange),
      { allow: request.allow, refused: a => this.refused(request, a) },
    );
    return {
      status: answer.status,
      headers: answer.headers,
      body: answer.body,
      url: answer.url,
    };
  }

  /** The error for an unsuccessful answer, with advice for refused credentials and long Retry-Afters. */
  private async refused(
    request: RegistryRequest,
    answer: Answer,
  ): Promise<OciError> {
    let advice: string | undefined;
    if (answer.status === 401 || answer.status === 403) {
      advice = await this.auth.refusal(request.registry, request.repository);
    }
    if (answer.status === 429) {
      const retryAfter = parseRetryAfter(answer.headers.get('retry-after'));
      if (
        retryAfter !== undefined &&
        retryAfter > this.policy.maxRetryAfterMs
      ) {
        advice = `it asks to wait ${Math.ceil(
          retryAfter / 1000,
        )} s, longer than the client waits; lower the request rate or add credentials with a higher quota`;
      }
    }
    return answerError(request.registry, request.what, answer, advice);
  }
}
