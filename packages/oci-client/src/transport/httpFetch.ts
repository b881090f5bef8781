import { Dispatcher, getGlobalDispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { BodySource, BodyTooLarge, readBody } from './body';
import { addressRefusal, keepAliveAfterHead } from './connectCheck';
import { Answer, Exchange, RoundTrip, TransportFailure } from './roundTrip';
import { AttemptTimeout } from './timeout';

/** How much of an error answer is kept, for the registry's error code. */
export const ERROR_BODY_BYTES = 64 * 1024;

/** System error codes of a connection that could not be made: the host was not reached at all. */
const UNREACHABLE = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * The system error behind a failure: `fetch` wraps it as the `cause` of a
 * "fetch failed", undici's `request` throws it as it is.
 */
function systemError(error: unknown): { code?: string; message?: string } {
  const cause = (error as { cause?: { code?: string } })?.cause;
  if (cause && typeof cause === 'object' && 'code' in cause) return cause;
  return (error ?? {}) as { code?: string; message?: string };
}

/** Whether a failure is one of {@link UNREACHABLE}. */
function isUnreachable(error: unknown): boolean {
  const code = systemError(error).code;
  return code !== undefined && UNREACHABLE.has(code);
}

/** Explains a failure: the system error code when there is one. */
function networkDetail(error: unknown): string {
  const { code, message: own } = systemError(error);
  const message = own ?? (error as Error)?.message ?? String(error);
  if (
    code === 'UND_ERR_SOCKET' ||
    /other side closed|terminated/i.test(message)
  ) {
    return 'the connection closed before the answer was complete';
  }
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * The answer to `exchange`, its body read: a success's up to the limit, an
 * error's (for the registry's code) cut at 64 KiB, a HEAD's dropped.
 */
async function answer(
  exchange: Exchange,
  status: number,
  headers: Headers,
  body: BodySource,
): Promise<Answer> {
  let read: Buffer;
  if (exchange.method === 'HEAD') {
    await body.discard().catch(() => {});
    read = Buffer.alloc(0);
  } else if (status >= 200 && status < 300) {
    read = await readBody(body, exchange.maxBytes);
  } else {
    read = await readBody(body, ERROR_BODY_BYTES, { truncate: true }).catch(
      () => Buffer.alloc(0),
    );
  }
  return {
    status,
    headers,
    body: read,
    url: exchange.url.href,
    retries: exchange.retry,
  };
}

/**
 * Classifies what `fetch` or the body read threw: a connection
 * `checkAddress` refused is BLOCKED_HOST, passing its refusal on. A caller's
 * abort passes on as its reason.
 */
function failure(error: unknown, exchange: Exchange): unknown {
  const server = exchange.url.host;
  const refused = addressRefusal(error);
  if (refused) {
    return TransportFailure.blocked(server, refused.refusal);
  }
  if (error instanceof BodyTooLarge) {
    return new TransportFailure({
      code: 'TOO_LARGE',
      detail: error.message,
      retryable: false,
      server,
      cause: error,
    });
  }
  const reason = exchange.signal?.aborted ? exchange.signal.reason : undefined;
  if (exchange.signal?.aborted && !(reason instanceof AttemptTimeout)) {
    return reason;
  }
  const timedOut =
    reason instanceof AttemptTimeout ||
    (error instanceof Error && error.name === 'TimeoutError');
  return new TransportFailure({
    code: timedOut ? 'TIMEOUT' : 'SERVER_ERROR',
    detail: networkDetail(error),
    retryable: true,
    server,
    timeoutMs: reason instanceof AttemptTimeout ? reason.ms : undefined,
    unreachable: !timedOut && isUnreachable(error),
    cause: error,
  });
}

/** Each global dispatcher composed with {@link keepAliveAfterHead}. */
const keptAlive = new WeakMap<Dispatcher, Dispatcher>();

/** The global dispatcher (shared with Node's own `fetch`), kept open after HEAD requests. */
function globalDispatcher(): Dispatcher {
  const current = getGlobalDispatcher();
  let composed = keptAlive.get(current);
  if (!composed) {
    composed = current.compose(keepAliveAfterHead);
    keptAlive.set(current, composed);
  }
  return composed;
}

/** An answer's headers as `Headers`, repeated ones joined as HTTP joins them. */
function toHeaders(raw: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const name of Object.keys(raw)) {
    const value = raw[name];
    if (value !== undefined) {
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
  }
  return headers;
}

/**
 * The innermost round trip: one HTTP exchange, redirects not followed, the
 * body read within its cap (declared or streamed). It goes through undici's
 * `request` on `dispatcher` (the global one by default): no WHATWG Request,
 * Response and stream objects, no signal of its own, so a third less CPU per
 * exchange through the whole client (`test/bench/round-trip.bench.ts`). A
 * caller's `fetch` (a test's registry in memory) is used as it is, passed
 * the `dispatcher` as undici's option.
 */
export function httpRoundTrip(options: {
  fetch?: typeof fetch;
  userAgent: string;
  dispatcher?: Dispatcher;
}): RoundTrip {
  const { fetch: send, userAgent, dispatcher } = options;
  if (send) return fetchRoundTrip(send, userAgent, dispatcher);
  return async exchange => {
    const { method, url } = exchange;
    try {
      const response = await (dispatcher ?? globalDispatcher()).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers: { 'user-agent': userAgent, ...exchange.headers },
        body: exchange.body,
        signal: exchange.signal,
      });
      const headers = toHeaders(response.headers);
      return await answer(exchange, response.statusCode, headers, {
        chunks: response.body,
        declared: Number(headers.get('content-length') ?? NaN),
        discard: () => response.body.dump(),
      });
    } catch (error) {
      throw failure(error, exchange);
    }
  };
}

/** The round trip through a caller's `fetch`. */
function fetchRoundTrip(
  send: typeof fetch,
  userAgent: string,
  dispatcher: Dispatcher | undefined,
): RoundTrip {
  return async exchange => {
    const { method, url } = exchange;
    const init: RequestInit & { dispatcher?: Dispatcher } = {
      method,
      headers: { 'user-agent': userAgent, ...exchange.headers },
      body: exchange.body,
      redirect: 'manual',
      signal: exchange.signal,
      dispatcher,
    };
    try {
      const response = await send(url, init);
      const stream = response.body;
      return await answer(exchange, response.status, response.headers, {
        chunks: stream as AsyncIterable<Uint8Array> | null,
        declared: Number(response.headers.get('content-length') ?? NaN),
        discard: async () => stream?.cancel(),
      });
    } catch (error) {
      throw failure(error, exchange);
    }
  };
}
