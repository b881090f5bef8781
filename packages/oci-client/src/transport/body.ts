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
 * A body to read: its chunks as they arrive (a web stream or a Node one),
 * the length its headers declared (NaN when none), and how to drop it unread.
 */
export interface BodySource {
  chunks: AsyncIterable<Uint8Array> | null;
  declared: number;
  discard(): Promise<unknown>;
}

/**
 * Reads a response body into memory, at most `maxBytes`: beyond it, a
 * declared Content-Length fails before reading and a streamed body fails as
 * soon as it crosses the limit (with `truncate`, it is cut instead). Leaving
 * the loop early cancels the stream.
 */
export async function readBody(
  source: BodySource,
  maxBytes: number,
  options: { truncate?: boolean } = {},
): Promise<Buffer> {
  if (!source.chunks) {
    return Buffer.alloc(0);
  }
  if (!options.truncate && source.declared > maxBytes) {
    await source.discard().catch(() => {});
    throw new BodyTooLarge(maxBytes, source.declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const value of source.chunks) {
    total += value.length;
    if (total > maxBytes) {
      if (!options.truncate) throw new BodyTooLarge(maxBytes);
      chunks.push(
        Buffer.from(value.subarray(0, value.length - (total - maxBytes))),
      );
      break;
    }
    chunks.push(Buffer.from(value.buffer, value.byteOffset, value.length));
  }
  return Buffer.concat(chunks);
}
