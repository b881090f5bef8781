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
    'The registry is rate limiting; lower requestsPerSecond for this host or add credentials.',
  SERVER_ERROR: 'The registry failed; it is retried on the next refresh.',
  DIGEST_MISMATCH:
    'The registry returned content that does not match its digest; report it to the registry operator.',
  TOO_LARGE:
    'The manifest or config exceeds the size limit; check that the reference points at an image.',
  BLOCKED_HOST:
    'The registry host is blocked; add it to imageFreshness.allowedHosts if it is trusted.',
  UNKNOWN: 'An unexpected error; see the backend logs for details.',
};
