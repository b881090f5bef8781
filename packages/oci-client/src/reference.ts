import { OciError } from './errors';
import {
  DOCKER_HUB,
  DOCKER_HUB_ENDPOINT,
  isDockerHub,
  isRegistryComponent,
} from './registryHost';

/**
 * A parsed, normalised image reference.
 *
 * @public
 */
export interface ImageReference {
  /** Registry as written in references: `docker.io`, `ghcr.io`, `localhost:5000`. */
  registry: string;
  /** Repository path, with `library/` for Docker Hub's official images. */
  repository: string;
  tag?: string;
  digest?: string;
}

// Grammar from the distribution reference package (reference/regexp.go).
const ALPHANUMERIC = '[a-z0-9]+';
const SEPARATOR = '(?:[._]|__|[-]+)';
const PATH_COMPONENT = `${ALPHANUMERIC}(?:${SEPARATOR}${ALPHANUMERIC})*`;
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$|^sha512:[a-f0-9]{128}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::\d+)?$/;

function invalid(reference: string, rule: string): OciError {
  return new OciError(
    'INVALID_REQUEST',
    `Invalid image reference "${reference}": ${rule}`,
  );
}

/**
 * Parses a reference the way Docker and OCI tools do: `nginx` is
 * `docker.io/library/nginx:latest`; the first path component is a registry only
 * when it has a `.` or `:` or is `localhost`.
 *
 * @public
 */
export function parseReference(reference: string): ImageReference {
  const text = reference.trim();
  if (!text) {
    throw invalid(reference, 'it is empty');
  }
  if (/\s/.test(text)) {
    throw invalid(reference, 'it contains whitespace');
  }
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw invalid(
        reference,
        `the digest "${digest}" must be sha256: and 64 lowercase hex digits (or sha512: and 128)`,
      );
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(
        reference,
        `the tag "${tag}" must be up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`,
      );
    }
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash > 0) {
    const first = rest.slice(0, firstSlash);
    if (isRegistryComponent(first)) {
      registry = first;
      repository = rest.slice(firstSlash + 1);
      if (!HOST.test(registry)) {
        throw invalid(
          reference,
          `the registry "${registry}" is not a valid host[:port]`,
        );
      }
    }
  }
  if (isDockerHub(registry)) {
    registry = DOCKER_HUB;
  }
  if (!REPOSITORY.test(repository)) {
    throw invalid(
      reference,
      `the repository "${repository}" must be lowercase path components of letters and digits separated by '.', '_', '__' or '-'`,
    );
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) {
    repository = `library/${repository}`;
  }
  // Measured on the normalised name, as Docker does: `docker.io/library/` counts.
  const name = `${registry}/${repository}`;
  if (name.length > 255) {
    throw invalid(
      reference,
      `the name "${name}" is longer than 255 characters (${name.length}); shorten the repository`,
    );
  }
  if (!tag && !digest) {
    tag = 'latest';
  }
  return { registry, repository, tag, digest };
}

/** The canonical string form: `registry/repository[:tag][@digest]`. @public */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${
    ref.digest ? `@${ref.digest}` : ''
  }`;
}

/** The host the registry's API answers on (Docker Hub's differs from its name). @public */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : registry;
}
