import { Exchange, Layer } from '../transport/roundTrip';
import { Authenticator } from './Authenticator';

/**
 * Authenticates requests to a registry's own origin that ask for it
 * (`exchange.auth`): adds the Authorization the {@link Authenticator} picks
 * (nothing, Basic, or a bearer token for the request's scopes) and, on a 401
 * whose challenge promises better, asks once more with a fresh token for the
 * scopes the challenge named. The authenticator's pings and token requests go
 * through the layers below this one, never back up through it.
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
    const attempt = async (scopes: string[]) => {
      const authorization = await auth.authorize(
        registry,
        wanted.repository,
        scopes,
        signal,
      );
      const authorized: Exchange = authorization
        ? {
            ...exchange,
            headers: {
              ...exchange.headers,
              authorization: authorization.header,
            },
          }
        : exchange;
      return { authorization, answer: await next(authorized) };
    };
    const first = await attempt(wanted.scopes);
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
    return again.retry ? (await attempt(again.scopes)).answer : first.answer;
  };
}
