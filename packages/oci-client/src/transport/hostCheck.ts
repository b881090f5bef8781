import { Layer, TransportFailure } from './roundTrip';

/** Called with `host[:port]` before a host is contacted; throws to refuse. */
export type CheckHost = (host: string) => void | Promise<void>;

/** The BLOCKED_HOST failure when `checkHost` refuses the URL's host; undefined when it may be contacted. */
export async function hostRefusal(
  checkHost: CheckHost | undefined,
  url: URL,
): Promise<TransportFailure | undefined> {
  if (!checkHost) {
    return undefined;
  }
  try {
    await checkHost(url.host);
    return undefined;
  } catch (error) {
    return TransportFailure.blocked(url.host, error);
  }
}

/**
 * Asks `checkHost` before every hop (registry, token endpoint, redirect
 * target) and refuses, without contacting it, a host it throws for.
 */
export function hostCheckLayer(checkHost: CheckHost | undefined): Layer {
  return next => async exchange => {
    const refused = await hostRefusal(checkHost, exchange.url);
    if (refused) {
      throw refused;
    }
    return next(exchange);
  };
}
