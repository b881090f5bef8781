import { Dispatcher, fetch as undiciFetch } from 'undici';
import { BodyTooLarge, readBody } from './body';
import { addressRefusal } from './connectCheck';
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

/** Whether a fetch failure is one of {@link UNREACHABLE}. */
function isUnreachable(error: unknown): boolean {
  const code = (error as { cause?: { code?: string } })?.cause?.code;
  return code !== undefined && UNREACHABLE.has(code);
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
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** A success's body up to the limit; an error's body (for the registry's code) cut at 64 KiB. */
async function readAnswer(
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

/** undici's fetch: Node's `fetch` is undici's, but its types (from `@types/node`) are declared apart from the package's. */
const dispatcherFetch = undiciFetch as unknown as typeof fetch;

/**
 * The innermost round trip: one HTTP exchange with `fetch`, redirects not
 * followed, the body read within its cap (declared or streamed). With a
 * `dispatcher`, connections are made through it (a `fetch` of the caller's
 * is passed it as undici's `dispatcher` option).
 */
export function httpRoundTrip(options: {
  fetch?: typeof fetch;
  userAgent: string;
  dispatcher?: Dispatcher;
}): RoundTrip {
  // A dispatcher goes with the fetch of its own undici: the pair works
  // whichever undici a Node version bundles, and a refusal reaches `failure`
  // as it was thrown (Node's fetch wraps a cause that is not an Error of its
  // own realm anew, as under Jest).
  const send =
    options.fetch ?? (options.dispatcher ? dispatcherFetch : globalThis.fetch);
  return async exchange => {
    const { method, url } = exchange;
    const init: RequestInit & { dispatcher?: Dispatcher } = {
      method,
      headers: { 'user-agent': options.userAgent, ...exchange.headers },
      body: exchange.body,
      redirect: 'manual',
      signal: exchange.signal,
      dispatcher: options.dispatcher,
    };
    try {
      const response = await send(url, init);
      const body = await readAnswer(response, method, exchange.maxBytes);
      const answer: Answer = {
        status: response.status,
        headers: response.headers,
        body,
        url: url.href,
        retries: exchange.retry,
      };
      return answer;
    } catch (error) {
      throw failure(error, exchange);
    }
  };
}
