/**
 * Classes of failure, shared with the plugin's API, UI and metrics.
 *
 * @public
 */
export type OciErrorCode =
  | 'TIMEOUT'
  | 'INVALID_REQUEST'
  | 'AUTHENTICATION'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'SERVER_ERROR'
  | 'DIGEST_MISMATCH'
  | 'TOO_LARGE'
  | 'BLOCKED_HOST'
  | 'UNKNOWN';

/** What an {@link OciError} carries besides its class and message. @public */
export interface OciErrorOptions {
  /** The registry the failure concerns, as written in references (`docker.io`, `127.0.0.1:5000`). */
  host?: string;
  /** The HTTP status, when the failure is an HTTP answer. */
  status?: number;
  /** The registry's own error code from the body, e.g. `MANIFEST_UNKNOWN`, `DENIED`, `TOOMANYREQUESTS`. */
  registryCode?: string;
  /** How many times the request was retried before giving up. */
  retries?: number;
  /** True when no connection to the host could be made or kept (DNS failure, refused, reset): there was no answer at all. */
  unreachable?: boolean;
  cause?: unknown;
}

/**
 * The one error the client throws: a class from a fixed vocabulary, the
 * registry it concerns, the HTTP status and registry error code when there was
 * an answer, and a message that says what happened and what to do.
 *
 * @public
 */
export class OciError extends Error {
  readonly code: OciErrorCode;
  readonly host?: string;
  readonly status?: number;
  readonly registryCode?: string;
  readonly retries?: number;
  /** True when the host could not be reached at all (DNS, connection refused or reset). */
  readonly unreachable?: boolean;

  constructor(
    code: OciErrorCode,
    message: string,
    options: OciErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'OciError';
    this.code = code;
    this.host = options.host;
    this.status = options.status;
    this.registryCode = options.registryCode;
    this.retries = options.retries;
    this.unreachable = options.unreachable;
  }
}

/** Maps an HTTP status to an error class. @public */
export function codeForStatus(status: number): OciErrorCode {
  if (status === 401 || status === 403) return 'AUTHENTICATION';
  if (status === 404) return 'NOT_FOUND';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 400 || status === 405) return 'INVALID_REQUEST';
  if (status === 413) return 'TOO_LARGE';
  if (status >= 500) return 'SERVER_ERROR';
  return 'UNKNOWN';
}

/** The first entry of a distribution error body: `{"errors":[{"code","message"}]}`. */
export interface RegistryErrorBody {
  code?: string;
  message?: string;
}

/** Reads the distribution error body, when there is one. */
export function parseRegistryError(
  body: Uint8Array | undefined,
): RegistryErrorBody {
  if (!body || body.length === 0 || body.length > 64 * 1024) {
    return {};
  }
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8'));
    const first = Array.isArray(parsed?.errors) ? parsed.errors[0] : undefined;
    if (first && typeof first === 'object') {
      return {
        code: typeof first.code === 'string' ? first.code : undefined,
        message: typeof first.message === 'string' ? first.message : undefined,
      };
    }
    // Token endpoints answer `{"details": "..."}` or OAuth2's `{"error", "error_description"}`.
    const details =
      parsed?.details ?? parsed?.error_description ?? parsed?.error;
    return typeof details === 'string' ? { message: details } : {};
  } catch {
    return {};
  }
}

const ADVICE: Partial<Record<OciErrorCode, string>> = {
  NOT_FOUND: 'check the repository and tag, or push the image',
  RATE_LIMITED:
    'lower the request rate for this registry or add credentials with a higher quota',
  SERVER_ERROR: 'the registry failed; try again later',
  INVALID_REQUEST: 'the registry refused the request as malformed',
  TOO_LARGE: 'the registry refused the request as too large',
};

/**
 * Builds the error for an HTTP answer that is not a success: the class from
 * the status, the registry's code and message from the body, and advice.
 */
export function statusError(options: {
  registry: string;
  /** Who answered, when not the registry itself (a token endpoint, a redirect target). */
  server?: string;
  /** What was asked, e.g. `GET the manifest of ghcr.io/acme/api:1`. */
  what: string;
  status: number;
  body?: Uint8Array;
  retries?: number;
  /** Advice that replaces the default for the status's class. */
  advice?: string;
}): OciError {
  const { registry, what, status, retries } = options;
  const code = codeForStatus(status);
  const registryError = parseRegistryError(options.body);
  const said = [registryError.code, registryError.message]
    .filter(Boolean)
    .join(': ');
  const afterRetries = retries ? ` after ${retries} retries` : '';
  const advice = options.advice ?? ADVICE[code];
  return new OciError(
    code,
    `${options.server ?? registry} answered ${status}${
      said ? ` (${said})` : ''
    } to ${what}${afterRetries}${advice ? `; ${advice}` : ''}.`,
    { host: registry, status, registryCode: registryError.code, retries },
  );
}
