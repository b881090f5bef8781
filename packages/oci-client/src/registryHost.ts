/**
 * Registry hosts, the one place they are parsed: `host[:port]` split into
 * its parts, Docker Hub's names, Docker's rule for telling a registry from a
 * repository path, and the registry of an image string.
 */

/** Docker Hub's name in references. */
export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's API answers on. */
export const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';

/** The names Docker Hub goes by, in references and in Docker config `auths`. */
const DOCKER_HUB_ALIASES = new Set([
  DOCKER_HUB,
  'index.docker.io',
  DOCKER_HUB_ENDPOINT,
  'registry.hub.docker.com',
]);

/** A `host[:port]` taken apart. @public */
export interface RegistryHost {
  /** Lowercase, without the brackets of an IPv6 address: `ghcr.io`, `127.0.0.1`, `::1`. */
  hostname: string;
  port?: number;
}

/**
 * Splits `host[:port]` or `[v6]:port` into a lowercase hostname (IPv6
 * without brackets) and a port. Never throws: text that is no valid host
 * comes back whole as the hostname, a bare IPv6 address (`::1`) without a
 * port.
 *
 * @public
 */
export function parseHost(host: string): RegistryHost {
  const text = host.toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    return withPort(bracketed[1], bracketed[2]);
  }
  const named = /^([^:]*):(\d+)$/.exec(text);
  if (named) {
    return withPort(named[1], named[2]);
  }
  return { hostname: text };
}

function withPort(hostname: string, port: string | undefined): RegistryHost {
  return port === undefined ? { hostname } : { hostname, port: Number(port) };
}

/** Whether a registry name is Docker Hub under one of its names, in any case. @public */
export function isDockerHub(registry: string): boolean {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase());
}

/**
 * A registry's canonical name: lowercase, Docker Hub's aliases
 * (`index.docker.io`, `registry-1.docker.io`, `registry.hub.docker.com`) as
 * `docker.io`.
 *
 * @public
 */
export function canonicalRegistry(registry: string): string {
  return isDockerHub(registry) ? DOCKER_HUB : registry.toLowerCase();
}

/**
 * Docker's rule for the first component of an image name: it is a registry
 * when it has a `.` or a `:` or is `localhost`; otherwise it is part of a
 * Docker Hub repository (`library/nginx`, `bitnami/redis`).
 *
 * @public
 */
export function isRegistryComponent(component: string): boolean {
  return (
    component.includes('.') ||
    component.includes(':') ||
    component === 'localhost'
  );
}

/**
 * The registry of an image string, best effort: also for references that do
 * not parse (`REGISTRY.example.com/Bad/Name`, `user:token@host/app`), by
 * Docker's rule on the first path component, canonical; `docker.io` when
 * there is none.
 *
 * @public
 */
export function imageRegistry(image: string): string {
  const text = image.trim();
  const slash = text.indexOf('/');
  const first = slash === -1 ? '' : text.slice(0, slash);
  // Whatever precedes an '@' here (credentials pasted into a reference) is not the host.
  const host = first.slice(first.lastIndexOf('@') + 1);
  return isRegistryComponent(host) ? canonicalRegistry(host) : DOCKER_HUB;
}

/** Whether a host is the local machine: localhost, 127.0.0.0/8 or [::1], with any port. @public */
export function isLoopback(host: string): boolean {
  const { hostname } = parseHost(host);
  return (
    hostname === 'localhost' ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    hostname === '::1'
  );
}
