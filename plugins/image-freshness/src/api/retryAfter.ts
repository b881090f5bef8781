import { ResponseError } from '@backstage/errors';
import { nowMillis } from '../lib/clock';

/**
 * The seconds a 429 answer asks to wait (its `Retry-After` header, in seconds
 * or as an HTTP date), or undefined when the error is not a rate limit.
 */
export function retryAfterSeconds(
  error: unknown,
  now: number = nowMillis(),
): number | undefined {
  if (!(error instanceof ResponseError) || error.statusCode !== 429) {
    return undefined;
  }
  const header = error.response.headers.get('retry-after');
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) {
      return Math.ceil(seconds);
    }
    const date = Date.parse(header);
    if (Number.isFinite(date)) {
      return Math.max(0, Math.ceil((date - now) / 1000));
    }
  }
  return 60;
}
