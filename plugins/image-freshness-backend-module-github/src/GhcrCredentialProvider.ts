import type { Config } from '@backstage/config';
import {
  DefaultGithubCredentialsProvider,
  type GithubCredentialsProvider,
  ScmIntegrations,
} from '@backstage/integration';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type {
  ProvidedCredentials,
  RegistryCredentialProvider,
} from 'backstage-plugin-image-freshness-node';
import { OciClient, OciError } from 'oci-client';

/** The provider's name in logs and errors. */
export const GHCR_PROVIDER = 'github-ghcr';

/** The user name sent with the token; GHCR takes any. */
export const GHCR_USER = 'x-access-token';

/** What to do when GHCR refuses a GitHub App installation token. */
export const GHCR_APP_TOKEN_ADVICE =
  'GHCR accepts only classic personal access tokens with read:packages, not GitHub App installation tokens: configure integrations.github[].token with such a token (or imageFreshness.registries[].credentials for the host)';

/**
 * How long an installation token is kept by the core (the integration
 * renews its tokens, which live an hour, by itself).
 */
const APP_TOKEN_KEEP_MS = 10 * 60_000;

/** `imageFreshness.github`, read once; undefined when absent. */
export interface GhcrConfig {
  hosts: string[];
  integrationHost: string;
}

export function readGhcrConfig(config: Config): GhcrConfig | undefined {
  const github = config.getOptionalConfig('imageFreshness.github');
  if (!github) return undefined;
  return {
    hosts: github.getOptionalStringArray('hosts') ?? ['ghcr.io'],
    integrationHost:
      github.getOptionalString('integrationHost') ?? 'github.com',
  };
}

/**
 * GHCR credentials from the portal's GitHub integration: the token it has
 * for the image's owner. A personal access token is answered as it is; a
 * GitHub App installation token is first tried on the repository, and when
 * the registry refuses it the failure says that GHCR takes only classic
 * personal access tokens.
 */
export class GhcrCredentialProvider implements RegistryCredentialProvider {
  readonly name = GHCR_PROVIDER;
  private readonly config: GhcrConfig;
  private readonly github: GithubCredentialsProvider;
  private readonly now: Clock;

  constructor(options: {
    config: GhcrConfig;
    github: GithubCredentialsProvider;
    now?: Clock;
  }) {
    this.config = options.config;
    this.github = options.github;
    this.now = options.now ?? systemClock;
  }

  static fromConfig(config: Config): GhcrCredentialProvider | undefined {
    const ghcr = readGhcrConfig(config);
    return (
      ghcr &&
      new GhcrCredentialProvider({
        config: ghcr,
        github: DefaultGithubCredentialsProvider.fromIntegrations(
          ScmIntegrations.fromConfig(config),
        ),
      })
    );
  }

  matches(registry: string): boolean {
    return this.config.hosts.includes(registry);
  }

  async getCredentials({
    registry,
    repository,
  }: {
    registry: string;
    repository?: string;
  }): Promise<ProvidedCredentials | undefined> {
    const owner = repository?.split('/')[0];
    const url = `https://${this.config.integrationHost}${
      owner ? `/${owner}` : ''
    }`;
    const where = owner ? `${registry}/${owner}` : registry;
    let found: Awaited<ReturnType<GithubCredentialsProvider['getCredentials']>>;
    try {
      found = await this.github.getCredentials({ url });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(
        `the GitHub integration for ${
          this.config.integrationHost
        } gave no token for ${where} (${message.slice(
          0,
          300,
        )}); configure integrations.github for ${
          this.config.integrationHost
        } with a classic personal access token with read:packages`,
      );
    }
    if (!found.token) {
      throw new Error(
        `the GitHub integration for ${this.config.integrationHost} has no token for ${where}; configure integrations.github for ${this.config.integrationHost} with a classic personal access token with read:packages`,
      );
    }
    const credentials = { username: GHCR_USER, password: found.token };
    if (found.type !== 'app') return { credentials };
    if (repository) {
      await this.tryAppToken(registry, repository, credentials);
    }
    return {
      credentials,
      expiresAt: new Date(this.now().getTime() + APP_TOKEN_KEEP_MS),
    };
  }

  /** Lists the repository's tags with an installation token; a refusal becomes the GHCR advice. */
  private async tryAppToken(
    registry: string,
    repository: string,
    credentials: { username: string; password: string },
  ): Promise<void> {
    const client = new OciClient({
      userAgent: 'backstage-plugin-image-freshness',
      credentials: { [registry]: credentials },
      retry: { retries: 0 },
    });
    try {
      await client.listTags(`${registry}/${repository}`);
    } catch (error) {
      if (error instanceof OciError && error.code === 'AUTHENTICATION') {
        throw new Error(
          `${registry} refused the GitHub App installation token the integration for ${this.config.integrationHost} gave for ${repository}; ${GHCR_APP_TOKEN_ADVICE}`,
        );
      }
      // anything else (not found, unreachable) is the registry's to report
    }
  }
}
