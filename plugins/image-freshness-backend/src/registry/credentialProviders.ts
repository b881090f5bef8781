import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  type Clock,
  systemClock,
} from 'backstage-plugin-image-freshness-common';
import type {
  ProvidedCredentials,
  RegistryCredentialProvider,
} from 'backstage-plugin-image-freshness-node';
import {
  type CredentialSource,
  OciError,
  type RegistryCredentials,
} from 'oci-client';

/** The registered providers as one credential source, and what the client tells them. */
export interface ProviderCredentials {
  lookup: CredentialSource;
  /**
   * A registry (or its token endpoint) answered 401 to `credentials`, given
   * for `registry` and `repository`: when they are a provided answer, the registry's
   * provided answers are dropped and the answer is true, so the client
   * tries the refused request once more and a fresh answer is minted. Once
   * per answer: an answer minted after a refusal is kept until it expires
   * and its refusal answers false (no retry), so a registry that refuses
   * everything costs one extra mint per token lifetime, not one per
   * request. A request refused with an answer that another has already
   * replaced is answered true (retry with the new one), without a mint.
   */
  refused(
    registry: string,
    repository?: string,
    credentials?: RegistryCredentials,
  ): boolean;
}

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
}): ProviderCredentials | undefined {
  const { providers, logger } = options;
  if (providers.length === 0) return undefined;
  const now = options.now ?? systemClock;
  /** Per provider, registry and repository: the answer (once it came), and whether it was minted because its predecessor was refused. */
  const answers = new Map<
    string,
    {
      pending: Promise<ProvidedCredentials | undefined>;
      answer?: ProvidedCredentials;
      afterRefusal: boolean;
    }
  >();
  /** Keys whose answer a registry refused: their next answer is minted after a refusal. */
  const refusedKeys = new Set<string>();

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
      const answer = await cached.pending.catch(() => undefined);
      if (answer && fresh(answer)) return answer;
      if (answers.get(key) !== cached)
        return ask(provider, registry, repository);
    }
    const pending = provider.getCredentials({ registry, repository });
    const entry: {
      pending: typeof pending;
      answer?: ProvidedCredentials;
      afterRefusal: boolean;
    } = {
      pending,
      afterRefusal: refusedKeys.delete(key),
    };
    answers.set(key, entry);
    try {
      const answer = await pending;
      if (!answer) answers.delete(key);
      entry.answer = answer;
      return answer;
    } catch (error) {
      answers.delete(key);
      throw error;
    }
  };

  const refused = (
    registry: string,
    repository?: string,
    credentials?: RegistryCredentials,
  ) => {
    const refusedAnswer = credentials && JSON.stringify(credentials);
    /** Whether a key's answers are for this registry, and for the refused request's repository. */
    const place = (key: string) => {
      const [, keyRegistry, keyRepository] = key.split('\n');
      return {
        registry: keyRegistry === registry,
        request: keyRepository === '' || keyRepository === (repository ?? ''),
      };
    };
    let dropped = 0;
    // a fresh answer for the refused request is (being) minted already
    let replaced = false;
    for (const [key, entry] of answers) {
      const where = place(key);
      if (!where.registry) continue;
      const current = entry.answer && JSON.stringify(entry.answer.credentials);
      if (refusedAnswer && current !== refusedAnswer) {
        replaced ||= where.request;
        continue;
      }
      if (entry.afterRefusal) continue;
      answers.delete(key);
      refusedKeys.add(key);
      dropped += 1;
    }
    // dropped by an earlier refusal: minted again at the next lookup
    for (const key of refusedKeys) {
      const where = place(key);
      replaced ||= where.registry && where.request;
    }
    if (dropped > 0) {
      logger.info('Registry refused provided credentials; minting again', {
        registry,
      });
    }
    return dropped > 0 || replaced;
  };

  const lookup: CredentialSource = async (registry, repository) => {
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

  return { lookup, refused };
}
