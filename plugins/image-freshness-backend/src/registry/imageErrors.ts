import type { ImageError } from 'backstage-plugin-image-freshness-common';
import { adviceForError, classOf } from '../lib/errorClasses';

/**
 * Turns any failure about a registry, image or repository into a classified
 * ImageError that names it and says what to do.
 */
export function toImageError(
  error: unknown,
  image: string,
  at: Date,
): ImageError {
  const errorClass = classOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return {
    class: errorClass,
    message: message.includes(image) ? message : `${image}: ${message}`,
    advice: adviceForError(error, errorClass),
    at: at.toISOString(),
  };
}
