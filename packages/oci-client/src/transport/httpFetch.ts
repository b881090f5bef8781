import { BodyTooLarge, readBody } from './body';
import { Answer, Exchange, RoundTrip, TransportFailure } from './roundTrip';
import { AttemptTimeout } from './timeout';

/** How much of an error answer is kept, for the registry's error code. */
export const ERROR_BODY_BYTES = 64 * 1024;

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

/** Classifies what `fetch` or the body read threw. A caller's abort passes on as its reason. */
function failure(error: unknown, exchange: Exchange): unknown {
  const server = exchange.url.host;
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
    cause: error,
  });
}

/**
 * The innermost round trip: one HTTP exchange with `fetch`, redirects not
 * followed, the body read within its cap (declared or streamed).
 */
export function httpRoundTrip(options: {
  fetch?: typeof fetch;
  userAgent: string;
}): RoundTrip {
  return async exchange => {
    const { method, url } = exchange;
    try {
      const response = await (options.fetch ?? fetch)(url, {
        method,
        headers: { 'user-agent': options.userAgent, ...exchange.headers },
        body: exchange.body,
        redirect: 'manual',
        signal: exchange.signal,
      });
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
