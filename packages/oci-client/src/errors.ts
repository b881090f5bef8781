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

/**
 * An error with a class, the registry host it concerns and, when it came from
 * an HTTP answer, the status code.
 *
 * @public
 */
export class OciError extends Error {
  readonly code: OciErrorCode;
  readonly host?: string;
  readonly status?: number;

  constructor(
    code: OciErrorCode,
    message: string,
    options: { host?: string; status?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'OciError';
    this.code = code;
    this.host = options.host;
    this.status = options.status;
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
