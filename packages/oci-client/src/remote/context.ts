import { OciError } from '../errors';
import { formatReference, ImageReference, parseReference } from '../reference';
import { Transport } from '../transport/Transport';

/** Options every operation takes. @public */
export interface RequestOptions {
  /**
   * Aborts the operation: its request in flight, a retry's wait and a wait
   * for a free slot end at once, and the call rejects with the signal's
   * reason (an `AbortError` unless another was given).
   */
  signal?: AbortSignal;
}

/** What every remote operation works with. */
export interface RemoteContext {
  transport: Transport;
  /** Largest manifest or JSON blob accepted, in bytes. */
  maxManifestBytes: number;
}

/** Accepts a reference as text or parsed. */
export function toReference(
  reference: string | ImageReference,
): ImageReference {
  return typeof reference === 'string' ? parseReference(reference) : reference;
}

/** `repository:NAME:ACTIONS`, the token scope of a repository. */
export function repositoryScope(repository: string, actions: string): string {
  return `repository:${repository}:${actions}`;
}

/** `registry/repository`, for messages. */
export function repositoryName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** Parses a JSON body, failing with a message that names what it was. */
export function parseJson<T>(
  raw: Buffer,
  ref: ImageReference,
  what: string,
): T {
  try {
    return JSON.parse(raw.toString('utf8')) as T;
  } catch (error) {
    throw new OciError(
      'SERVER_ERROR',
      `${ref.registry} sent ${what} for ${formatReference(
        ref,
      )} that is not JSON; report it to the registry operator.`,
      { host: ref.registry, cause: error },
    );
  }
}
