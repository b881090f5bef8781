import { CheckHost, hostRefusal } from './hostCheck';
import { Layer, TransportFailure } from './roundTrip';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/** A redirect not followed, blamed on the host that answered with it. */
function refusal(from: URL, detail: string): TransportFailure {
  return new TransportFailure({
    code: 'SERVER_ERROR',
    detail,
    retryable: false,
    server: from.host,
  });
}

/**
 * Follows redirects of GET and HEAD by hand (up to 5), so each hop goes
 * through the layers below (host check, observation) on its own. A hop that
 * leaves the origin loses `Authorization`; a hop to plain HTTP is refused
 * unless its host is allowed it (a host `checkHost` refuses is named as such).
 */
export function redirectLayer(options: {
  allowsPlainHttp: (host: string) => boolean;
  checkHost?: CheckHost;
}): Layer {
  return next => async exchange => {
    const follows = exchange.method === 'GET' || exchange.method === 'HEAD';
    let hop = exchange;
    for (let count = 0; ; count++) {
      const answer = await next(hop);
      const location = answer.headers.get('location');
      if (!follows || !REDIRECTS.has(answer.status) || !location) {
        return answer;
      }
      if (count === MAX_REDIRECTS) {
        throw refusal(hop.url, `more than ${MAX_REDIRECTS} redirects`);
      }
      const url = new URL(location, hop.url);
      if (
        url.protocol !== 'https:' &&
        !(url.protocol === 'http:' && options.allowsPlainHttp(url.host))
      ) {
        throw (
          (await hostRefusal(options.checkHost, url)) ??
          refusal(
            hop.url,
            `a redirect to ${url.origin}, which is not HTTPS; refused`,
          )
        );
      }
      const headers = { ...exchange.headers };
      // Never hand a registry's credentials to another origin (a blob store, a CDN).
      if (url.origin !== exchange.url.origin) {
        delete headers.authorization;
      }
      hop = { ...exchange, url, headers, redirected: true };
    }
  };
}
