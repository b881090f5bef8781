/**
 * One vocabulary of error classes for the API, the UI, logs and metrics.
 *
 * @public
 */
export const ERROR_CLASSES = [
  'TIMEOUT',
  'INVALID_REQUEST',
  'AUTHENTICATION',
  'NOT_FOUND',
  'RATE_LIMITED',
  'SERVER_ERROR',
  'DIGEST_MISMATCH',
  'TOO_LARGE',
  'BLOCKED_HOST',
  'UNKNOWN',
] as const;

/** @public */
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** What a user can do about each class of error. @public */
export const ERROR_ADVICE: Record<ErrorClass, string> = {
  TIMEOUT:
    'The registry did not answer in time; it is retried on the next refresh. Raise the registry timeout if this persists.',
  INVALID_REQUEST:
    'Fix the image reference or the annotation that declares it.',
  AUTHENTICATION:
    'Add or renew credentials for this registry in imageFreshness.registries or the pull secret.',
  NOT_FOUND:
    'The image or tag does not exist in the registry; check the reference or push the image.',
  RATE_LIMITED:
    'The registry is rate limiting; it is retried on the next refresh. Lower requestsPerSecond for this host or add credentials if this persists.',
  SERVER_ERROR:
    'The registry answered with a server error; it is retried on the next refresh.',
  DIGEST_MISMATCH:
    'The registry returned content that does not match its digest; report it to the registry operator.',
  TOO_LARGE:
    'The manifest or config exceeds the size limit; check that the reference points at an image.',
  BLOCKED_HOST:
    'The registry host is blocked; add it to imageFreshness.allowedHosts if it is trusted.',
  UNKNOWN: 'An unexpected error; see the backend logs for details.',
};

/**
 * Whether an error clears by itself (`retried`: an outage, a rate limit, a
 * timeout; the next refresh tries again) or needs someone to act (`action`:
 * a malformed reference, a missing image, credentials, a blocked host).
 *
 * @public
 */
export type ErrorRecovery = 'retried' | 'action';

/** How each class of error recovers. @public */
export const ERROR_RECOVERY: Record<ErrorClass, ErrorRecovery> = {
  TIMEOUT: 'retried',
  RATE_LIMITED: 'retried',
  SERVER_ERROR: 'retried',
  INVALID_REQUEST: 'action',
  AUTHENTICATION: 'action',
  NOT_FOUND: 'action',
  DIGEST_MISMATCH: 'action',
  TOO_LARGE: 'action',
  BLOCKED_HOST: 'action',
  UNKNOWN: 'action',
};

const UNRESOLVED: Record<ErrorClass, string> = {
  TIMEOUT:
    'Not resolved: the registry did not answer in time; retried on the next refresh',
  RATE_LIMITED:
    'Not resolved: the registry is rate limiting; retried on the next refresh',
  SERVER_ERROR:
    'Not resolved: the registry could not be reached or failed; retried on the next refresh',
  INVALID_REQUEST:
    'Cannot be resolved: the image reference is malformed; fix it where it is declared',
  AUTHENTICATION:
    'Cannot be resolved: the registry refused the credentials; fix them in the configuration',
  NOT_FOUND:
    'Cannot be resolved: the image or tag does not exist in the registry',
  DIGEST_MISMATCH:
    'Cannot be resolved: the registry returned content that does not match its digest',
  TOO_LARGE:
    'Cannot be resolved: the manifest or config is over the size limit',
  BLOCKED_HOST: 'Cannot be resolved: the registry host is blocked',
  UNKNOWN: 'Cannot be resolved: an unexpected error; see the backend logs',
};

/**
 * The verdict reason of an image that was never resolved: "Not resolved yet"
 * before the first try; after a failure, whether it clears by itself or what
 * stops it (a malformed reference is never "not resolved yet").
 *
 * @public
 */
export function unresolvedReason(error?: { class: ErrorClass }): string {
  return error
    ? UNRESOLVED[error.class] ?? UNRESOLVED.UNKNOWN
    : 'Not resolved yet';
}
