import { OciError } from '../errors';
import { Descriptor, ImageManifest, isIndex } from '../manifest';
import { formatReference, ImageReference } from '../reference';
import { getBlob } from './blobs';
import { RemoteContext, repositoryName, RequestOptions } from './context';
import { getManifest } from './manifests';

/** The media type of an in-toto statement layer. @public */
export const IN_TOTO_MEDIA_TYPE = 'application/vnd.in-toto+json';

/** Index-entry annotations BuildKit sets on an attestation manifest. */
const REFERENCE_TYPE = 'vnd.docker.reference.type';
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';
const ATTESTATION_MANIFEST = 'attestation-manifest';
/** Layer annotation naming the statement's predicate type. */
const PREDICATE_TYPE = 'in-toto.io/predicate-type';

/** Default limit on one in-toto statement, in bytes. */
export const DEFAULT_MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

/** One in-toto statement read from an attestation manifest. @public */
export interface AttestationStatement {
  /** The statement's `predicateType`. */
  predicateType: string;
  /** Digest of the layer (blob) that holds it. */
  digest: string;
  /** The parsed statement: `{ _type, subject, predicateType, predicate }`. */
  statement: Record<string, unknown>;
}

/** The attestations an index holds for one of its images. @public */
export interface ImageAttestations {
  /** Digest of the attestation manifest. */
  digest: string;
  /** The statements whose predicate type was asked for, in layer order. */
  statements: AttestationStatement[];
}

/** Options for {@link readAttestations}. @public */
export interface AttestationOptions extends RequestOptions {
  /** Only statements of these predicate types are downloaded (by the layer's annotation, then its content). */
  predicateTypes?: string[];
  /** The largest statement accepted, in bytes (default 4 MiB); a larger one fails with TOO_LARGE. */
  maxStatementBytes?: number;
}

/**
 * An attestation whose content cannot be used (too large, or not an in-toto
 * statement): an OciError of class TOO_LARGE or SERVER_ERROR. Its digest never
 * changes, so asking again gives the same answer.
 *
 * @public
 */
export class AttestationContentError extends OciError {}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The attestation manifest an index attaches to `imageDigest`, the way
 * BuildKit stores attestations: an index entry with platform
 * `unknown/unknown` and the annotations `vnd.docker.reference.type:
 * attestation-manifest` and `vnd.docker.reference.digest: <image digest>`,
 * whose layers are in-toto statements (`application/vnd.in-toto+json`).
 *
 * Answers undefined when the reference is not an index or the index has no
 * attestation for that image. Statements of other predicate types (by the
 * layer's `in-toto.io/predicate-type` annotation) are not downloaded; layers
 * of other media types are ignored. A statement larger than the limit fails
 * with TOO_LARGE, one that is not an in-toto statement with SERVER_ERROR,
 * both naming the attestation.
 */
export async function readAttestations(
  ctx: RemoteContext,
  index: ImageReference,
  imageDigest: string,
  options: AttestationOptions = {},
): Promise<ImageAttestations | undefined> {
  const top = await getManifest(ctx, index, options);
  if (!isIndex(top.mediaType, top.body)) {
    return undefined;
  }
  const entry = top.body.manifests.find(
    m =>
      m.annotations?.[REFERENCE_TYPE] === ATTESTATION_MANIFEST &&
      m.annotations?.[REFERENCE_DIGEST] === imageDigest,
  );
  if (!entry) {
    return undefined;
  }
  const at = { ...index, tag: undefined, digest: entry.digest };
  const name = `the attestation ${repositoryName(index)}@${
    entry.digest
  } of ${imageDigest}`;
  const manifest = await getManifest(ctx, at, options);
  if (isIndex(manifest.mediaType, manifest.body)) {
    throw new AttestationContentError(
      'SERVER_ERROR',
      `${name} is an index, not an attestation manifest; report it to whoever builds ${formatReference(
        index,
      )}.`,
      { host: index.registry },
    );
  }
  const wanted = options.predicateTypes;
  const layers = ((manifest.body as ImageManifest).layers ?? []).filter(
    (layer: Descriptor) =>
      layer.mediaType === IN_TOTO_MEDIA_TYPE &&
      (!wanted ||
        layer.annotations?.[PREDICATE_TYPE] === undefined ||
        wanted.includes(layer.annotations[PREDICATE_TYPE])),
  );
  const maxBytes = options.maxStatementBytes ?? DEFAULT_MAX_STATEMENT_BYTES;
  const statements: AttestationStatement[] = [];
  for (const layer of layers) {
    if (layer.size > maxBytes) {
      throw tooLarge(
        name,
        layer.digest,
        `${layer.size} bytes`,
        maxBytes,
        index,
      );
    }
    let raw: Buffer;
    try {
      raw = await getBlob(ctx, at, layer.digest, maxBytes, options);
    } catch (error) {
      if (error instanceof OciError && error.code === 'TOO_LARGE') {
        throw tooLarge(name, layer.digest, 'more', maxBytes, index, error);
      }
      throw error;
    }
    const statement = parseStatement(raw, name, layer.digest, index);
    const predicateType = statement.predicateType as string;
    if (!wanted || wanted.includes(predicateType)) {
      statements.push({ predicateType, digest: layer.digest, statement });
    }
  }
  return { digest: entry.digest, statements };
}

function tooLarge(
  name: string,
  layer: string,
  size: string,
  maxBytes: number,
  index: ImageReference,
  cause?: unknown,
): OciError {
  return new AttestationContentError(
    'TOO_LARGE',
    `The in-toto statement ${layer} of ${name} is ${size} than the ${maxBytes} bytes allowed; it is not read (the image's other base records still are).`,
    { host: index.registry, cause },
  );
}

function parseStatement(
  raw: Buffer,
  name: string,
  layer: string,
  index: ImageReference,
): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (error) {
    throw malformed(name, layer, 'it is not JSON', index, error);
  }
  if (!isObject(parsed)) {
    throw malformed(name, layer, 'it is not a JSON object', index);
  }
  if (
    typeof parsed._type !== 'string' ||
    !parsed._type.startsWith('https://in-toto.io/Statement/')
  ) {
    throw malformed(
      name,
      layer,
      '_type is not an in-toto statement type',
      index,
    );
  }
  if (typeof parsed.predicateType !== 'string') {
    throw malformed(name, layer, 'predicateType is not a string', index);
  }
  if (!isObject(parsed.predicate)) {
    throw malformed(name, layer, 'predicate is not an object', index);
  }
  return parsed;
}

function malformed(
  name: string,
  layer: string,
  problem: string,
  index: ImageReference,
  cause?: unknown,
): OciError {
  return new AttestationContentError(
    'SERVER_ERROR',
    `The in-toto statement ${layer} of ${name} is malformed: ${problem}; report it to whoever builds ${formatReference(
      index,
    )}.`,
    { host: index.registry, cause },
  );
}
