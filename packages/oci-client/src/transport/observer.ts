import type { OciErrorCode } from '../errors';
import { Layer, TransportFailure } from './roundTrip';

/** What a request was for, as a metric label with few values. @public */
export type RequestKind =
  | 'ping'
  | 'token'
  | 'manifest'
  | 'blob'
  | 'upload'
  | 'tags'
  | 'catalog';

/** One HTTP exchange the client made, reported to the observer. @public */
export interface RequestEvent {
  /** The registry the request was made for, as written in references. */
  registry: string;
  /** The host that was contacted: the registry's endpoint, a token realm or a redirect target. */
  host: string;
  method: string;
  kind: RequestKind;
  /** The HTTP status; undefined when there was no answer (timeout, network error). */
  status?: number;
  /** The error class when the exchange failed without a usable answer. */
  error?: OciErrorCode;
  durationMs: number;
  /** 0 for the first attempt, n for the nth retry. */
  retry: number;
  /** Whether this exchange followed a redirect. */
  redirected: boolean;
}

/** Receives every request: count them, time them, export metrics. Must not throw. @public */
export type RequestObserver = (event: RequestEvent) => void;

/**
 * Reports every exchange that reaches the network to the observer: host,
 * method, status or error class, duration (`performance.now`), retry and
 * redirect. An observer that throws does not fail the request. A caller's
 * abort is reported with neither status nor error.
 */
export function observeLayer(observer: RequestObserver | undefined): Layer {
  return next => async exchange => {
    if (!observer) {
      return next(exchange);
    }
    const started = performance.now();
    const report = (status?: number, error?: OciErrorCode) => {
      try {
        observer({
          registry: exchange.registry,
          host: exchange.url.host,
          method: exchange.method,
          kind: exchange.kind,
          status,
          error,
          durationMs: performance.now() - started,
          retry: exchange.retry,
          redirected: exchange.redirected,
        });
      } catch {
        // An observer's failure must not fail the request.
      }
    };
    try {
      const answer = await next(exchange);
      report(answer.status);
      return answer;
    } catch (error) {
      report(
        undefined,
        error instanceof TransportFailure ? error.code : undefined,
      );
      throw error;
    }
  };
}
