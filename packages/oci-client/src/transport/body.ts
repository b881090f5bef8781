import { createHash } from 'node:crypto';

/** sha256 of a body, in digest form. */
export function sha256(body: Uint8Array): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

/** Thrown by {@link readBody} when a body exceeds its limit. */
export class BodyTooLarge extends Error {
  constructor(readonly limit: number, readonly declared?: number) {
    super(
      declared !== undefined
        ? `${declared} bytes declared, over the ${limit} byte limit`
        : `more than the ${limit} byte limit`,
    );
  }
}

/**
 * Reads a response body into memory, at most `maxBytes`: beyond it, a
 * declared Content-Length fails before reading and a streamed body fails as
 * soon as it crosses the limit (with `truncate`, it is cut instead).
 */
export async function readBody(
  response: Response,
  maxBytes: number,
  options: { truncate?: boolean } = {},
): Promise<Buffer> {
  if (!response.body) {
    return Buffer.alloc(0);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (!options.truncate && declared > maxBytes) {
    await response.body.cancel().catch(() => {});
    throw new BodyTooLarge(maxBytes, declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      if (options.truncate) {
        chunks.push(
          Buffer.from(value.subarray(0, value.length - (total - maxBytes))),
        );
        break;
      }
      throw new BodyTooLarge(maxBytes);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}
