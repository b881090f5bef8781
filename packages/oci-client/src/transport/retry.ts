import { sleep } from './abort';
import { Answer, Layer, TransportFailure } from './roundTrip';

/** How requests are retried. @public */
export interface RetryOptions {
  /** Retries after the first attempt; default 3. 0 disables retries. */
  retries?: number;
  /** First backoff delay; doubled per retry, with jitter. Default 250 ms. */
  baseDelayMs?: number;
  /** Longest backoff delay; default 10 s. */
  maxDelayMs?: number;
  /** A longer `Retry-After` fails the request at once with RATE_LIMITED instead of waiting; default 60 s. */
  maxRetryAfterMs?: number;
}

/** Statuses worth another try: rate limiting and gateway trouble. */
export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

/** Methods that are retried; writes (POST, PUT, PATCH) and DELETE never are. */
export const RETRYABLE_METHODS = new Set(['GET', 'HEAD']);

/** Resolved retry settings. */
export type RetryPolicy = Required<RetryOptions>;

/** Fills in the defaults. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  return {
    retries: options.retries ?? 3,
    baseDelayMs: options.baseDelayMs ?? 250,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
  };
}

/**
 * Exponential backoff with "equal jitter": between half and all of
 * `base * 2^retry`, capped, so clients that failed together spread out.
 */
export function backoffDelay(
  policy: RetryPolicy,
  retry: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(
  value: string | null,
  now: number = Date.now(),
): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) {
    return Number(text) * 1000;
  }
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Retries GET and HEAD (never writes) on retryable failures (network errors,
 * cut bodies, timeouts) and on 429/502/503/504 answers: after the answer's
 * `Retry-After` when it names one (an answer asking for longer than
 * `maxRetryAfterMs` is returned at once), else after a jittered exponential
 * backoff. Waits end early when the exchange's signal aborts.
 */
export function retryLayer(
  policy: RetryPolicy,
  options: { random?: () => number } = {},
): Layer {
  return next => async exchange => {
    const retryable = RETRYABLE_METHODS.has(exchange.method);
    const backoff = (retry: number) =>
      backoffDelay(policy, retry, options.random);
    for (let retry = 0; ; retry++) {
      const more = retryable && retry < policy.retries;
      let answer: Answer;
      try {
        answer = await next({ ...exchange, retry });
      } catch (error) {
        if (!(error instanceof TransportFailure)) throw error;
        if (!(error.retryable && more)) {
          error.retries = retry;
          throw error;
        }
        await sleep(backoff(retry), exchange.signal);
        continue;
      }
      if (!(more && RETRYABLE_STATUSES.has(answer.status))) {
        return answer;
      }
      const retryAfter = parseRetryAfter(answer.headers.get('retry-after'));
      if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
        return answer;
      }
      await sleep(retryAfter ?? backoff(retry), exchange.signal);
    }
  };
}
