import { OciError } from '../errors';
import { Answer, Exchange, Layer } from '../transport/roundTrip';
import { Authenticator, Authorization } from './Authenticator';
import { RegistryCredentials } from './credentials';

/** One authenticated try: its answer, or the token endpoint's refusal of the credentials. */
type Attempt =
  | {
      credentials?: RegistryCredentials;
      authorization?: Authorization;
      answer: Answer;
    }
  | { credentials: RegistryCredentials; tokenRefusal: OciError };

/**
 * Authenticates requests to a registry's own origin that ask for it
 * (`exchange.auth`): adds the Authorization the {@link Authenticator} picks
 * (nothing, Basic, or a bearer token for the request's scopes) and, on a 401
 * whose challenge promises better, asks once more with a fresh token for the
 * scopes the challenge named.
 *
 * When the credentials themselves are refused (a Basic-auth registry's 401
 * to them, a token endpoint's 401, a registry's 401 to a bearer token the
 * credential source gave), the source is told, once per request; when it
 * answers that it has fresh ones (a provider minted again), the request is
 * tried once more with them. Never more: when the fresh ones are refused
 * too, the 401 (or the token endpoint's AUTHENTICATION error) is passed on.
 *
 * The authenticator's pings and token requests go through the layers below
 * this one, never back up through it.
 */
export function authLayer(
  auth: Authenticator,
  originOf: (registry: string) => string,
): Layer {
  return next => async exchange => {
    const wanted = exchange.auth;
    if (!wanted || exchange.url.origin !== originOf(exchange.registry)) {
      return next(exchange);
    }
    const { registry, signal } = exchange;
    const attempt = async (scopes: string[]): Promise<Attempt> => {
      const credentials = await auth.credentials(registry, wanted.repository);
      let authorization: Authorization | undefined;
      try {
        authorization = await auth.authorize(
          registry,
          credentials,
          scopes,
          signal,
        );
      } catch (error) {
        if (credentials && error instanceof OciError && error.status === 401) {
          return { credentials, tokenRefusal: error };
        }
        throw error;
      }
      const authorized: Exchange = authorization
        ? {
            ...exchange,
            headers: {
              ...exchange.headers,
              authorization: authorization.header,
            },
          }
        : exchange;
      return { credentials, authorization, answer: await next(authorized) };
    };
    let renewed = false;
    /** Whether the source has fresh credentials after refusing `refused`: asked once per request. */
    const renew = async (refused: RegistryCredentials) => {
      if (renewed) return false;
      renewed = true;
      return auth.credentialsRefused(registry, wanted.repository, refused);
    };
    /** An attempt; when its token endpoint refused the credentials, once more with fresh ones. */
    const send = async (scopes: string[]) => {
      const tried = await attempt(scopes);
      if (!('tokenRefusal' in tried)) return tried;
      if (await renew(tried.credentials)) {
        const again = await attempt(scopes);
        if (!('tokenRefusal' in again)) return again;
        throw again.tokenRefusal;
      }
      throw tried.tokenRefusal;
    };

    const first = await send(wanted.scopes);
    if (first.answer.status !== 401) {
      return first.answer;
    }
    const again = await auth.unauthorized(
      registry,
      wanted.repository,
      first.answer,
      first.authorization,
      wanted.scopes,
    );
    let last = first;
    if (again.retry) {
      last = await send(again.scopes);
      if (last.answer.status !== 401) {
        return last.answer;
      }
    }
    // the registry refused the source's own credentials (Basic, or its bearer token)
    if (
      last.credentials &&
      last.authorization?.fromSource &&
      (await renew(last.credentials))
    ) {
      const fresh = await attempt(again.scopes);
      if ('tokenRefusal' in fresh) throw fresh.tokenRefusal;
      return fresh.answer;
    }
    return last.answer;
  };
}
