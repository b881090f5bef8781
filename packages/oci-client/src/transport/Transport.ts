import { Authenticator, Authorization } from '../auth/Authenticator';
import {
  CredentialSource,
  RegistryCredentials,
  staticCredentials,
} from '../auth/credentials';
import { TokenCache } from '../auth/TokenCache';
import { OciError, OciErrorCode, statusError } from '../errors';
import { registryEndpoint } from '../reference';
import { BodyTooLarge, readBody } from './body';
import { InFlight } from './InFlight';
import { HostLimiter } from './limiter';
import { RequestKind, RequestObserver } from './observer';
import {
  backoffDelay,
  parseRetryAfter,
  RETRYABLE_METHODS,
  RETRYABLE_STATUSES,
  RetryOptions,
  RetryPolicy,
  retryPolicy,
} from './retry';

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
  /** The fetch to use; Node's own by default. */
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
}

/** A request plus the transport's own switches, for pings and token requests. */
interface SendRequest extends RegistryRequest {
  /** False: send no Authorization of the registry's (pings, token requests). */
  authenticate?: boolean;
  /** False: outside the per-registry limits (token endpoints are other hosts). */
  limit?: boolean;
  /** Replaces the default advice in error messages. */
  advice?: string;
}

/** An answer, its body read. @public */
export interface RegistryResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
}

interface Failure {
  code: OciErrorCode;
  /** An error to pass on as it is (from `checkHost`). */
  error?: unknown;
  detail: string;
  retryable: boolean;
  /** Who failed to answer: a registry, a token endpoint or a redirect target. */
  server: string;
  cause?: unknown;
}

type Outcome = { response: RegistryResponse } | { failure: Failure };

interface ExchangeOptions {
  registry: string;
  method: string;
  url: URL;
  kind: RequestKind;
  headers: Record<string, string>;
  authorization?: string;
  body?: Buffer;
  maxBytes: number;
  retry: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const ERROR_BODY_BYTES = 64 * 1024;

/** Whether a host is the local machine: localhost, 127.0.0.0/8 or [::1], with any port. @public */
export function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '');
  return (
    name === 'localhost' ||
    /^127\.\d+\.\d+\.\d+$/.test(name) ||
    name === '[::1]'
  );
}

function perRegistry<T>(
  setting: PerRegistry<T> | undefined,
  registry: string,
): T | undefined {
  return typeof setting === 'function'
    ? (setting as (registry: string) => T | undefined)(registry)
    : setting;
}

function sleep(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/** Explains a fetch failure: the system error code when there is one. */
function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })
    ?.cause;
  const code = cause?.code;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  if (
    code === 'UND_ERR_SOCKET' ||
    /other side closed|terminated/i.test(message)
  ) {
    return 'the connection closed before the answer was complete';
  }
  return code ? `${code}: ${message}` : message;
}

/**
 * Sends requests to registries: scheme, per-host limits, authentication,
 * timeouts, redirects, retries, in-flight sharing, body caps, observation and
 * the classification of failures. Higher layers speak in manifests and blobs.
 */
export class Transport {
  private readonly options: TransportOptions;
  private readonly policy: RetryPolicy;
  private readonly limiter: HostLimiter;
  private readonly auth: Authenticator;
  private readonly shared = new InFlight<RegistryResponse>();
  private readonly userAgent: string;

  constructor(options: TransportOptions = {}) {
    this.options = options;
    this.policy = retryPolicy(options.retry);
    this.userAgent = options.userAgent ?? 'oci-client';
    this.limiter = new HostLimiter({
      maxConcurrency: registry =>
        perRegistry(options.maxConcurrency, registry) ?? 8,
      requestsPerSecond: registry =>
        perRegistry(options.requestsPerSecond, registry),
    });
    const credentials = options.credentials;
    this.auth = new Authenticator({
      credentials:
        typeof credentials === 'function'
          ? credentials
          : staticCredentials(credentials ?? {}),
      tokens: options.tokens ?? new TokenCache(),
      userAgent: this.userAgent,
      mayCarrySecrets: url =>
        url.protocol === 'https:' ||
        (url.protocol === 'http:' && this.insecureAllowed(url.host)),
      ping: registry =>
        this.send({
          registry,
          method: 'GET',
          url: '/v2/',
          kind: 'ping',
          scopes: [],
          maxBytes: ERROR_BODY_BYTES,
          allow: [401, 403, 404],
          what: `GET /v2/ (the API check) of ${registry}`,
          authenticate: false,
        }),
      refuseBlockedHost: async (registry, url, what) => {
        const refused = await this.hostRefusal(url);
        if (refused && 'failure' in refused) {
          throw this.failureError({ registry, what }, refused.failure, 0);
        }
      },
      requestToken: request =>
        this.send({
          registry: request.registry,
          method: request.method,
          url: request.url,
          kind: 'token',
          scopes: [],
          headers: request.headers,
          body: request.body,
          maxBytes: ERROR_BODY_BYTES,
          what: `a request for ${request.what}`,
          advice: request.advice,
          authenticate: false,
          limit: false,
          share: request.method === 'GET',
        }),
    });
  }

  /** `https://endpoint`, or `http://` for registries allowed plain HTTP. */
  baseUrl(registry: string): string {
    const endpoint = registryEndpoint(registry);
    const insecure =
      perRegistry(this.options.insecure, registry) ?? isLoopback(endpoint);
    return `${insecure ? 'http' : 'https'}://${endpoint}`;
  }

  /** Sends a request; resolves with 2xx (and `allow`ed) answers, throws OciError otherwise. */
  send(request: SendRequest): Promise<RegistryResponse> {
    const url = this.resolve(request.registry, request.url);
    const share =
      (request.share ?? true) &&
      (request.method === 'GET' || request.method === 'HEAD');
    if (!share) {
      return this.sendUnshared(request, url);
    }
    const key = [
      request.method,
      url.href,
      request.headers?.accept ?? '',
      request.headers?.authorization ?? '',
      request.maxBytes,
      (request.allow ?? []).join(','),
    ].join(' ');
    return this.shared.run(key, () => this.sendUnshared(request, url));
  }

  private resolve(registry: string, url: string): URL {
    return url.startsWith('/')
      ? new URL(`${this.baseUrl(registry)}${url}`)
      : new URL(url);
  }

  private insecureAllowed(host: string): boolean {
    return perRegistry(this.options.insecure, host) ?? isLoopback(host);
  }

  private async sendUnshared(
    request: SendRequest,
    url: URL,
  ): Promise<RegistryResponse> {
    const { registry, method } = request;
    const retryable = RETRYABLE_METHODS.has(method);
    const registryOrigin = new URL(this.baseUrl(registry)).origin;
    let scopes = request.scopes;
    let retries = 0;
    let reauthenticated = false;
    for (;;) {
      let authorization: Authorization | undefined;
      if (request.authenticate !== false && url.origin === registryOrigin) {
        authorization = await this.auth.authorize(
          registry,
          request.repository,
          scopes,
        );
      }
      const exchange: ExchangeOptions = {
        registry,
        method,
        url,
        kind: request.kind,
        headers: request.headers ?? {},
        authorization: authorization?.header,
        body: request.body,
        maxBytes: request.maxBytes,
        retry: retries,
      };
      const outcome =
        request.limit === false
          ? await this.exchange(exchange)
          : await this.limiter.run(registry, () => this.exchange(exchange));

      if ('failure' in outcome) {
        const { failure } = outcome;
        if (failure.retryable && retryable && retries < this.policy.retries) {
          await sleep(backoffDelay(this.policy, retries));
          retries++;
          continue;
        }
        throw this.failureError(request, failure, retries);
      }

      const { response } = outcome;
      if (
        response.status === 401 &&
        !reauthenticated &&
        request.authenticate !== false &&
        url.origin === registryOrigin
      ) {
        const next = await this.auth.unauthorized(
          registry,
          request.repository,
          response,
          authorization,
          scopes,
        );
        if (next.retry) {
          reauthenticated = true;
          scopes = next.scopes;
          continue;
        }
      }
      const ok =
        (response.status >= 200 && response.status < 300) ||
        (request.allow ?? []).includes(response.status);
      if (ok) {
        return response;
      }
      if (
        RETRYABLE_STATUSES.has(response.status) &&
        retryable &&
        retries < this.policy.retries
      ) {
        const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
        if (
          retryAfter === undefined ||
          retryAfter <= this.policy.maxRetryAfterMs
        ) {
          await sleep(retryAfter ?? backoffDelay(this.policy, retries));
          retries++;
          continue;
        }
      }
      throw await this.responseError(request, response, retries);
    }
  }

  private async responseError(
    request: SendRequest,
    response: RegistryResponse,
    retries: number,
  ): Promise<OciError> {
    const server = new URL(response.url).host;
    let advice = request.advice;
    if (
      !advice &&
      (response.status === 401 || response.status === 403) &&
      request.authenticate !== false
    ) {
      advice = await this.auth.refusal(request.registry, request.repository);
    }
    if (!advice && response.status === 429) {
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      if (
        retryAfter !== undefined &&
        retryAfter > this.policy.maxRetryAfterMs
      ) {
        advice = `it asks to wait ${Math.ceil(
          retryAfter / 1000,
        )} s, longer than the client waits; lower the request rate or add credentials with a higher quota`;
      }
    }
    return statusError({
      registry: request.registry,
      server:
        server === registryEndpoint(request.registry) ? undefined : server,
      what: request.what,
      status: response.status,
      body: response.body,
      retries,
      advice,
    });
  }

  private failureError(
    request: Pick<RegistryRequest, 'registry' | 'what'>,
    failure: Failure,
    retries: number,
  ): Error {
    if (failure.error instanceof Error) {
      return failure.error;
    }
    const { registry, what } = request;
    const server =
      failure.server === registryEndpoint(registry) ? registry : failure.server;
    const after = retries ? ` (after ${retries} retries)` : '';
    let message = `${server} could not be reached for ${what}: ${failure.detail}${after}; check that the registry is up and reachable.`;
    if (failure.code === 'TIMEOUT') {
      message = `${server} did not answer ${what} within ${this.timeoutMs(
        registry,
      )} ms${after}; raise the timeout for ${registry} if it is slow.`;
    } else if (failure.code === 'BLOCKED_HOST') {
      message = `${what} was not sent to ${server}: ${failure.detail}.`;
    } else if (failure.code === 'TOO_LARGE') {
      message = `${server} answered ${what} with ${failure.detail}; check that the reference points at an image, or raise the limit.`;
    }
    return new OciError(failure.code, message, {
      host: registry,
      retries,
      cause: failure.cause,
    });
  }

  private timeoutMs(registry: string): number {
    return perRegistry(this.options.timeoutMs, registry) ?? 30_000;
  }

  /** One attempt: the request and its redirects (GET and HEAD only), within one timeout. */
  private async exchange(options: ExchangeOptions): Promise<Outcome> {
    const signal = AbortSignal.timeout(this.timeoutMs(options.registry));
    let url = options.url;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const result = await this.hop(options, url, hop > 0, signal);
      if (!('redirect' in result)) {
        return result;
      }
      const next = result.redirect;
      if (
        next.protocol !== 'https:' &&
        !(next.protocol === 'http:' && this.insecureAllowed(next.host))
      ) {
        // A blocked host (http://169.254.169.254/...) is refused as such.
        return (
          (await this.hostRefusal(next)) ??
          this.failed(
            url,
            'SERVER_ERROR',
            `a redirect to ${next.origin}, which is not HTTPS; refused`,
            false,
          )
        );
      }
      url = next;
    }
    return this.failed(
      url,
      'SERVER_ERROR',
      `more than ${MAX_REDIRECTS} redirects`,
      false,
    );
  }

  /** One HTTP exchange: a redirect to follow, or the outcome with the body read; observed either way. */
  private async hop(
    options: ExchangeOptions,
    url: URL,
    redirected: boolean,
    signal: AbortSignal,
  ): Promise<Outcome | { redirect: URL }> {
    const { method } = options;
    const started = performance.now();
    const observe = (status?: number, error?: OciErrorCode) =>
      this.observe({
        registry: options.registry,
        host: url.host,
        method,
        kind: options.kind,
        status,
        error,
        durationMs: performance.now() - started,
        retry: options.retry,
        redirected,
      });
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      ...options.headers,
    };
    // Never hand a registry's credentials to another origin (a blob store, a CDN).
    if (options.authorization && url.origin === options.url.origin) {
      headers.authorization = options.authorization;
    } else if (url.origin !== options.url.origin) {
      delete headers.authorization;
    }
    const refused = await this.hostRefusal(url);
    if (refused) {
      return refused;
    }
    try {
      const response = await (this.options.fetch ?? fetch)(url, {
        method,
        headers,
        body: options.body,
        redirect: 'manual',
        signal,
      });
      const location = response.headers.get('location');
      if (
        REDIRECTS.has(response.status) &&
        location &&
        (method === 'GET' || method === 'HEAD')
      ) {
        await response.body?.cancel().catch(() => {});
        observe(response.status);
        return { redirect: new URL(location, url) };
      }
      const body = await this.readAnswer(response, method, options.maxBytes);
      observe(response.status);
      return {
        response: {
          status: response.status,
          headers: response.headers,
          body,
          url: url.href,
        },
      };
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        observe(undefined, 'TOO_LARGE');
        return this.failed(url, 'TOO_LARGE', error.message, false, error);
      }
      const timedOut =
        signal.aborted ||
        (error instanceof Error &&
          (error.name === 'TimeoutError' || error.name === 'AbortError'));
      const code: OciErrorCode = timedOut ? 'TIMEOUT' : 'SERVER_ERROR';
      observe(undefined, code);
      return this.failed(url, code, networkDetail(error), true, error);
    }
  }

  /** The failure when `checkHost` refuses the URL's host; undefined when it may be contacted. */
  private async hostRefusal(url: URL): Promise<Outcome | undefined> {
    if (!this.options.checkHost) {
      return undefined;
    }
    try {
      await this.options.checkHost(url.host);
      return undefined;
    } catch (error) {
      return {
        failure: {
          code: 'BLOCKED_HOST',
          detail: String(error),
          retryable: false,
          server: url.host,
          error,
        },
      };
    }
  }

  /** A success's body up to the limit; an error's body (for the registry's code) cut at 64 KiB. */
  private async readAnswer(
    response: Response,
    method: string,
    maxBytes: number,
  ): Promise<Buffer> {
    if (method === 'HEAD') {
      return Buffer.alloc(0);
    }
    if (response.status >= 200 && response.status < 300) {
      return readBody(response, maxBytes);
    }
    return readBody(response, ERROR_BODY_BYTES, { truncate: true }).catch(() =>
      Buffer.alloc(0),
    );
  }

  private failed(
    url: URL,
    code: OciErrorCode,
    detail: string,
    retryable: boolean,
    cause?: unknown,
  ): Outcome {
    return { failure: { code, detail, retryable, server: url.host, cause } };
  }

  private observe(event: Parameters<RequestObserver>[0]): void {
    try {
      this.options.observer?.(event);
    } catch {
      // An observer's failure must not fail the request.
    }
  }
}
