import type { OciErrorCode } from '../errors';

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
