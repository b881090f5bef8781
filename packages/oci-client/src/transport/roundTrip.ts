import type { OciErrorCode } from '../errors';
import type { RequestKind } from './observer';

/**
 * One HTTP request as it travels down the layers. Each layer may pass on a
 * changed copy (the retry layer numbers attempts, the redirect layer follows
 * hops, the timeout layer replaces the signal); none mutates its input.
 */
export interface Exchange {
  /** The registry the request is made for, as written in references. */
  registry: string;
  method: string;
  url: URL;
  kind: RequestKind;
  headers: Record<string, string>;
  body?: Buffer;
  /** The largest successful body accepted (TOO_LARGE beyond it). */
  maxBytes: number;
  /** Aborts the exchange: the caller's, combined with the attempt's timeout below the timeout layer. */
  signal?: AbortSignal;
  /** 0 for the first attempt, n for the nth retry; set by the retry layer. */
  retry: number;
  /** Whether this hop follows a redirect; set by the redirect layer. */
  redirected: boolean;
  /** Present when the registry's Authorization is wanted: the auth layer reads it. */
  auth?: { repository?: string; scopes: string[] };
}

/** An answer with its body read, whatever the status. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered, after redirects. */
  url: string;
  /** How many retries the answer took: the `retry` of the attempt that got it. */
  retries: number;
}

/** Sends one exchange and resolves with any answer; throws a {@link TransportFailure} when there is none. */
export type RoundTrip = (exchange: Exchange) => Promise<Answer>;

/** A wrapper around the next round trip: one responsibility each. */
export type Layer = (next: RoundTrip) => RoundTrip;

/** Stacks layers, the first outermost, around the innermost round trip. */
export function compose(layers: Layer[], innermost: RoundTrip): RoundTrip {
  return layers.reduceRight<RoundTrip>((next, layer) => layer(next), innermost);
}

/** An exchange that got no usable answer: classified, for retries, observation and messages. */
export class TransportFailure extends Error {
  readonly code: OciErrorCode;
  /** What went wrong, for messages. */
  readonly detail: string;
  readonly retryable: boolean;
  /** The host that failed to answer: a registry, a token endpoint or a redirect target. */
  readonly server: string;
  /** An error to pass on as it is (from `checkHost` or `checkAddress`). */
  readonly passOn?: unknown;
  /** For TIMEOUT: the limit that was hit. */
  readonly timeoutMs?: number;
  /** No connection could be made or kept (DNS, refused, reset): the host was not reached. */
  readonly unreachable: boolean;
  /** How many retries were made before giving up; set by the retry layer. */
  retries = 0;

  constructor(options: {
    code: OciErrorCode;
    detail: string;
    retryable: boolean;
    server: string;
    passOn?: unknown;
    timeoutMs?: number;
    unreachable?: boolean;
    cause?: unknown;
  }) {
    super(options.detail, { cause: options.cause });
    this.name = 'TransportFailure';
    this.code = options.code;
    this.detail = options.detail;
    this.retryable = options.retryable;
    this.server = options.server;
    this.passOn = options.passOn;
    this.timeoutMs = options.timeoutMs;
    this.unreachable = options.unreachable ?? false;
  }

  /** A host `checkHost` or an address `checkAddress` refused: not retried, the refusal passed on as it is. */
  static blocked(server: string, refusal: unknown): TransportFailure {
    return new TransportFailure({
      code: 'BLOCKED_HOST',
      detail: String(refusal),
      retryable: false,
      server,
      passOn: refusal,
    });
  }
}
