import {
  ECRClient,
  GetAuthorizationTokenCommand as GetPrivateToken,
} from '@aws-sdk/client-ecr';
import {
  ECRPUBLICClient,
  GetAuthorizationTokenCommand as GetPublicToken,
} from '@aws-sdk/client-ecr-public';
import type { AwsCredentialsManager } from '@backstage/integration-aws-node';
import type {
  ProvidedCredentials,
  RegistryCredentialProvider,
} from 'backstage-plugin-image-freshness-node';
import { type EcrConfig, type EcrRegistry, ecrRegistryFor } from './config';

/** The provider's name in logs and errors. */
export const ECR_PROVIDER = 'aws-ecr';

type AwsCredentials = Awaited<
  ReturnType<AwsCredentialsManager['getCredentialProvider']>
>['sdkCredentialProvider'];

/** The SDK error's name and message, cut short; SDK messages carry no secret. */
function describe(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  const message = error instanceof Error ? error.message : String(error);
  const short = message.length > 300 ? `${message.slice(0, 300)}…` : message;
  return typeof name === 'string' && name !== 'Error'
    ? `${name}: ${short}`
    : short;
}

/** `AWS:<password>` from GetAuthorizationToken's base64 token. */
function decode(
  token: string,
  host: string,
): ProvidedCredentials['credentials'] {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) {
    throw new Error(
      `GetAuthorizationToken for ${host} answered a token that is not "user:password"; report it to AWS support`,
    );
  }
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Tokens for ECR and ECR Public registries: GetAuthorizationToken of the
 * registry's account and region, with that account's AWS credentials from the
 * portal's `aws` config (or the SDK's default chain). One token serves a
 * whole registry and lives 12 hours; the core keeps it until 5 minutes
 * before `expiresAt`.
 */
export class EcrCredentialProvider implements RegistryCredentialProvider {
  readonly name = ECR_PROVIDER;
  readonly scope = 'registry';
  private readonly config: EcrConfig;
  private readonly aws: AwsCredentialsManager;

  constructor(options: { config: EcrConfig; aws: AwsCredentialsManager }) {
    this.config = options.config;
    this.aws = options.aws;
  }

  matches(registry: string): boolean {
    return ecrRegistryFor(this.config, registry) !== undefined;
  }

  async getCredentials({
    registry,
  }: {
    registry: string;
  }): Promise<ProvidedCredentials | undefined> {
    const target = ecrRegistryFor(this.config, registry);
    if (!target) return undefined;
    const where = `${registry} (${
      target.public ? 'ECR Public' : `account ${target.accountId}`
    }, region ${target.region})`;
    const advice = `configure AWS credentials for ${
      target.accountId ? `account ${target.accountId}` : 'the main account'
    } in the aws section of app-config (aws.accounts, aws.mainAccount) or for the backend's SDK default chain (environment, web identity / IRSA, instance role), allowed ${
      target.public
        ? 'ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken'
        : 'ecr:GetAuthorizationToken'
    }`;
    let credentials: AwsCredentials;
    try {
      credentials = (
        await this.aws.getCredentialProvider(
          target.accountId ? { accountId: target.accountId } : {},
        )
      ).sdkCredentialProvider;
    } catch (error) {
      throw new Error(
        `no AWS credentials for ${where} (${describe(error)}); ${advice}`,
      );
    }
    let token: { authorizationToken?: string; expiresAt?: Date } | undefined;
    try {
      token = await this.mint(target, credentials);
    } catch (error) {
      throw new Error(
        `GetAuthorizationToken for ${where} failed (${describe(
          error,
        )}); ${advice}`,
      );
    }
    if (!token?.authorizationToken) {
      throw new Error(
        `GetAuthorizationToken for ${where} answered no token; ${advice}`,
      );
    }
    return {
      credentials: decode(token.authorizationToken, registry),
      expiresAt: token.expiresAt,
    };
  }

  private async mint(target: EcrRegistry, credentials: AwsCredentials) {
    if (target.public) {
      const client = new ECRPUBLICClient({
        region: target.region,
        credentials,
      });
      try {
        return (await client.send(new GetPublicToken({}))).authorizationData;
      } finally {
        client.destroy();
      }
    }
    const client = new ECRClient({
      region: target.region,
      credentials,
      useFipsEndpoint: target.fips,
    });
    try {
      // the account is the one whose credentials sign the request
      const answer = await client.send(new GetPrivateToken({}));
      return answer.authorizationData?.[0];
    } finally {
      client.destroy();
    }
  }
}
