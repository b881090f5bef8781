import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type {
  ProvidedCredentials,
  RegistryCredentialProvider,
} from 'backstage-plugin-image-freshness-node';
import { type CredentialSource, OciError } from 'oci-client';

/** How long before its expiry an answer is minted again. */
export const RENEW_BEFORE_EXPIRY_MS = 5 * 60_000;

/**
 * The registered credential providers as one credential source: the first
 * provider that matches the host and answers wins. An answer is kept per
 * provider, registry and repository (registry only for providers of
 * `scope: 'registry'`) until {@link RENEW_BEFORE_EXPIRY_MS}
 * before its expiry (or for good, without one), and concurrent lookups share
 * one mint. A provider that throws is logged (its message only, never
 * credentials) and the next one is asked; when none answers, the lookup fails
 * with an AUTHENTICATION error naming the failed providers, the host and their
 * messages (which say what to configure), rather than going on anonymously.
 * A host the policy blocks is refused before any provider is asked.
 */
export function credentialsFromProviders(options: {
  providers: readonly RegistryCredentialProvider[];
  logger: LoggerService;
  /**
   * The host policy, asked before any provider is: providers may send
   * secrets to the registry host itself (ACR's `/oauth2/exchange`, a probe
   * with a fresh token), so a blocked host is refused first.
   */
  checkHost?: (host: string) => Promise<void>;
  now?: Clock;
}): CredentialSource | undefined {
  const { providers, logger } = options;
  if (providers.length === 0) return undefined;
  const now = options.now ?? systemClock;
  const answers = new Map<string, Promise<ProvidedCredentials | undefined>>();

  const fresh = (answer: ProvidedCredentials | undefined) =>
    !answer?.expiresAt ||
    answer.expiresAt.getTime() - RENEW_BEFORE_EXPIRY_MS > now().getTime();

  const ask = async (
    provider: RegistryCredentialProvider,
    registry: string,
    repository?: string,
  ): Promise<ProvidedCredentials | undefined> => {
    const key = `${provider.name}\n${registry}\n${
      provider.scope === 'registry' ? '' : repository ?? ''
    }`;
    const cached = answers.get(key);
    if (cached) {
      const answer = await cached.catch(() => undefined);
      if (answer && fresh(answer)) return answer;
      if (answers.get(key) !== cached)
        return ask(provider, registry, repository);
    }
    const pending = provider.getCredentials({ registry, repository });
    answers.set(key, pending);
    try {
      const answer = await pending;
      if (!answer) answers.delete(key);
      return answer;
    } catch (error) {
      answers.delete(key);
      throw error;
    }
  };

  return async (registry, repository) => {
    const matching = providers.filter(provider => provider.matches(registry));
    if (matching.length === 0) return undefined;
    // the policy's own error (BLOCKED_HOST) passes on as it is
    await options.checkHost?.(registry);
    const failures: string[] = [];
    for (const provider of matching) {
      try {
        const answer = await ask(provider, registry, repository);
        if (answer) return answer.credentials;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        logger.warn('Registry credential provider failed', {
          provider: provider.name,
          registry,
          error: message,
        });
        failures.push(`the ${provider.name} credential provider: ${message}`);
      }
    }
    if (failures.length > 0) {
      throw new OciError(
        'AUTHENTICATION',
        `No credentials for ${registry}: ${failures.join('; ')}`,
        { host: registry },
      );
    }
    return undefined;
  };
}
