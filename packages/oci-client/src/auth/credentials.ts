import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OciError } from '../errors';
import { canonicalRegistry } from '../registryHost';

/** A username and password (or access token used as password): Basic auth, and the login at a token endpoint. @public */
export interface BasicCredentials {
  username: string;
  password: string;
}

/** A registry bearer token, sent as `Authorization: Bearer` as it is (Docker config `registrytoken`). @public */
export interface BearerCredentials {
  token: string;
}

/** An OAuth2 refresh token (Docker config `identitytoken`), exchanged at the token endpoint. @public */
export interface IdentityTokenCredentials {
  identityToken: string;
  username?: string;
}

/** Credentials for one registry. @public */
export type RegistryCredentials =
  | BasicCredentials
  | BearerCredentials
  | IdentityTokenCredentials;

/**
 * Where credentials come from: called with the registry as written in
 * references (`docker.io`, `ghcr.io`, `127.0.0.1:5000`) and the repository;
 * `undefined` means anonymous.
 *
 * @public
 */
export type CredentialSource = (
  registry: string,
  repository?: string,
) => RegistryCredentials | undefined | Promise<RegistryCredentials | undefined>;

/**
 * Told when a registry (Basic auth, or a bearer token the source gave) or a
 * registry's token endpoint answered 401 to the credentials a
 * {@link CredentialSource} gave for `registry` and `repository` (`refused`).
 * Answer true when the source now has other credentials (it dropped a
 * minted token and will mint again, or already has): the request is then
 * tried once more, never more than once per request.
 *
 * @public
 */
export type CredentialsRefused = (
  registry: string,
  repository: string | undefined,
  refused: RegistryCredentials,
) => boolean | Promise<boolean>;

/** The parts of a Docker `config.json` (or a pull secret's `.dockerconfigjson`) that hold credentials. @public */
export interface DockerConfig {
  auths?: Record<string, DockerConfigAuth>;
}

/** One `auths` entry. @public */
export interface DockerConfigAuth {
  /** base64 of `username:password` */
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The parts of a Kubernetes Secret this client reads. @public */
export interface KubernetesPullSecret {
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/**
 * Normalises a credentials key as Docker does: the scheme and API paths go
 * (`https://index.docker.io/v1/` is `docker.io`), Docker Hub's aliases become
 * `docker.io`, and a path that remains is a namespace (`quay.io/org`).
 *
 * @public
 */
export function normaliseRegistryKey(key: string): {
  registry: string;
  namespace?: string;
} {
  let rest = key.trim().replace(/^[a-z]+:\/\//i, '');
  rest = rest.replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const slash = rest.indexOf('/');
  const registry = canonicalRegistry(slash < 0 ? rest : rest.slice(0, slash));
  const namespace = slash < 0 ? undefined : rest.slice(slash + 1) || undefined;
  return { registry, namespace };
}

interface Entry {
  registry: string;
  namespace?: string;
  credentials: RegistryCredentials;
}

function decodeEntry(
  key: string,
  value: DockerConfigAuth,
): RegistryCredentials {
  if (value.identitytoken) {
    return {
      identityToken: value.identitytoken,
      username: value.username || undefined,
    };
  }
  if (value.registrytoken) {
    return { token: value.registrytoken };
  }
  if (value.auth) {
    const decoded = Buffer.from(value.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      throw new OciError(
        'INVALID_REQUEST',
        `The Docker config entry "${key}" has an "auth" value that is not base64 of username:password; log in again to rewrite it.`,
      );
    }
    return {
      username: decoded.slice(0, colon),
      password: decoded.slice(colon + 1),
    };
  }
  if (value.username && value.password !== undefined) {
    return { username: value.username, password: value.password };
  }
  throw new OciError(
    'INVALID_REQUEST',
    `The Docker config entry "${key}" has no auth, username/password, identitytoken or registrytoken.`,
  );
}

function lookup(entries: Entry[]): CredentialSource {
  return (registry, repository) => {
    const wanted = normaliseRegistryKey(registry).registry;
    let best: Entry | undefined;
    for (const entry of entries) {
      if (entry.registry !== wanted) continue;
      if (entry.namespace) {
        const fits =
          repository !== undefined &&
          (repository === entry.namespace ||
            repository.startsWith(`${entry.namespace}/`));
        if (!fits) continue;
      }
      if (
        !best ||
        (entry.namespace?.length ?? -1) > (best.namespace?.length ?? -1)
      ) {
        best = entry;
      }
    }
    return best?.credentials;
  };
}

/**
 * Credentials from a Docker `config.json` (or podman's `auth.json`): its
 * `auths` entries with `auth` (base64 `user:pass`), `username`/`password`,
 * `identitytoken` or `registrytoken`. Keys may carry a scheme and path
 * (`https://index.docker.io/v1/`) or a namespace (`quay.io/org`, longest
 * match wins). Credential helpers (`credsStore`, `credHelpers`) are not run.
 *
 * @public
 */
export function credentialsFromDockerConfig(
  config: string | DockerConfig,
): CredentialSource {
  let parsed: DockerConfig;
  try {
    parsed = typeof config === 'string' ? JSON.parse(config) : config;
  } catch (error) {
    throw new OciError(
      'INVALID_REQUEST',
      'The Docker config is not valid JSON; check the file or secret it came from.',
      { cause: error },
    );
  }
  const entries = Object.entries(parsed?.auths ?? {}).map(([key, value]) => ({
    ...normaliseRegistryKey(key),
    credentials: decodeEntry(key, value ?? {}),
  }));
  return lookup(entries);
}

/**
 * Credentials from a Kubernetes image pull secret: the Secret object (type
 * `kubernetes.io/dockerconfigjson` with base64 `data[".dockerconfigjson"]`
 * or plain `stringData`, or the older `kubernetes.io/dockercfg`), its JSON, or
 * the decoded `.dockerconfigjson` content itself.
 *
 * @public
 */
export function credentialsFromPullSecret(
  secret: string | KubernetesPullSecret,
): CredentialSource {
  let value: KubernetesPullSecret | DockerConfig =
    secret as KubernetesPullSecret;
  if (typeof secret === 'string') {
    try {
      value = JSON.parse(secret);
    } catch (error) {
      throw new OciError(
        'INVALID_REQUEST',
        'The pull secret is not JSON; pass the Secret object or its decoded .dockerconfigjson.',
        { cause: error },
      );
    }
  }
  const asSecret = value as KubernetesPullSecret;
  if (!asSecret.data && !asSecret.stringData) {
    return credentialsFromDockerConfig(value as DockerConfig);
  }
  const read = (key: string): string | undefined =>
    asSecret.stringData?.[key] ??
    (asSecret.data?.[key] !== undefined
      ? Buffer.from(asSecret.data[key], 'base64').toString('utf8')
      : undefined);
  const dockerConfigJson = read('.dockerconfigjson');
  if (dockerConfigJson !== undefined) {
    return credentialsFromDockerConfig(dockerConfigJson);
  }
  const dockerCfg = read('.dockercfg');
  if (dockerCfg !== undefined) {
    let auths: DockerConfig['auths'];
    try {
      auths = JSON.parse(dockerCfg);
    } catch (error) {
      throw new OciError(
        'INVALID_REQUEST',
        "The pull secret's .dockercfg is not JSON.",
        {
          cause: error,
        },
      );
    }
    return credentialsFromDockerConfig({ auths });
  }
  throw new OciError(
    'INVALID_REQUEST',
    `The pull secret${
      asSecret.type ? ` of type ${asSecret.type}` : ''
    } has neither .dockerconfigjson nor .dockercfg; use a kubernetes.io/dockerconfigjson secret.`,
  );
}

/**
 * Credentials from a Docker config file, read once now: `file`, else
 * `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. A missing
 * default file means no credentials; a missing explicit file is an error.
 *
 * @public
 */
export function credentialsFromDockerConfigFile(
  file?: string,
): CredentialSource {
  const target =
    file ??
    path.join(
      process.env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker'),
      'config.json',
    );
  let text: string;
  try {
    text = fs.readFileSync(target, 'utf8');
  } catch (error) {
    if (!file && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      return () => undefined;
    }
    throw new OciError(
      'INVALID_REQUEST',
      `The Docker config file ${target} cannot be read (${
        (error as NodeJS.ErrnoException).code
      }); check the path.`,
      { cause: error },
    );
  }
  return credentialsFromDockerConfig(text);
}

/**
 * Explicit credentials per registry, keyed like Docker config `auths`
 * (`ghcr.io`, `docker.io`, `quay.io/org`).
 *
 * @public
 */
export function staticCredentials(
  byRegistry: Record<string, RegistryCredentials>,
): CredentialSource {
  return lookup(
    Object.entries(byRegistry).map(([key, credentials]) => ({
      ...normaliseRegistryKey(key),
      credentials,
    })),
  );
}

/** The first source that has credentials for a registry wins. @public */
export function chainCredentials(
  ...sources: Array<CredentialSource | undefined>
): CredentialSource {
  return async (registry, repository) => {
    for (const source of sources) {
      const found = await source?.(registry, repository);
      if (found) return found;
    }
    return undefined;
  };
}

/** A short, secret-free description for messages: `user "alice"`, `a bearer token`. */
export function describeCredentials(
  credentials: RegistryCredentials | undefined,
): string {
  if (!credentials) return 'no credentials';
  if ('username' in credentials && 'password' in credentials) {
    return `the password of user "${credentials.username}"`;
  }
  if ('identityToken' in credentials) return 'an identity token';
  return 'a bearer token';
}
