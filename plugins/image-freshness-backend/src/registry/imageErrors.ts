import {
  ERROR_ADVICE,
  ErrorClass,
  ImageError,
} from 'backstage-plugin-image-freshness-common';
import { OciError } from 'oci-client';

/**
 * Turns any failure into a classified ImageError that names the image and
 * says what to do.
 */
export function toImageError(
  error: unknown,
  image: string,
  at: Date,
): ImageError {
  const errorClass: ErrorClass =
    error instanceof OciError ? error.code : 'UNKNOWN';
  const message = error instanceof Error ? error.message : String(error);
  return {
    class: errorClass,
    message: message.includes(image) ? message : `${image}: ${message}`,
    advice: ERROR_ADVICE[errorClass],
    at: at.toISOString(),
  };
}
