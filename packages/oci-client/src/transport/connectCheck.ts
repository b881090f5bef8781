import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, LookupFunction } from 'node:net';
import { Agent, buildConnector, Dispatcher, Pool } from 'undici';

/**
 * Called with a URL's `host[:port]` and an address a connection to it is
 * about to be opened to; throws to refuse the connection.
 */
export type CheckAddress = (
  host: string,
  address: string,
  family: 4 | 6,
) => void | Promise<void>;

/** Resolves a host name to its addresses. */
export type ResolveHost = (hostname: string) => Promise<string[]>;

/** What a connection refused by `checkAddress` fails with: the host, the address and what was thrown. */
export class AddressRefused extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly refusal: unknown,
  ) {
    super(`${host} at ${address} was refused: ${String(refusal)}`);
    this.name = 'AddressRefused';
  }
}

const dnsResolve: ResolveHost = async hostname =>
  (await dnsLookup(hostname, { all: true })).map(a => a.address);

async function checkAll(
  host: string,
  addresses: string[],
  checkAddress: CheckAddress,
): Promise<void> {
  for (const address of addresses) {
    try {
      await checkAddress(host, address, isIP(address) === 6 ? 6 : 4);
    } catch (error) {
      throw new AddressRefused(host, address, error);
    }
  }
}

/** The family Node asks a lookup for: 4, 6, or either (0). */
function wantedFamily(family: number | string | undefined): number {
  if (family === 'IPv4') return 4;
  if (family === 'IPv6') return 6;
  return typeof family === 'number' ? family : 0;
}

/**
 * A `lookup` for `net.connect` that resolves the name itself and hands the
 * socket only addresses `checkAddress` let through; one refusal fails the
 * connection before any is attempted.
 */
function checkedLookup(
  host: string,
  checkAddress: CheckAddress,
  resolve: ResolveHost,
): LookupFunction {
  return (hostname, options, callback) => {
    const family = wantedFamily(options.family);
    const found = (async () => {
      const addresses = (await resolve(hostname)).filter(
        a => isIP(a) !== 0 && (family === 0 || isIP(a) === family),
      );
      if (addresses.length === 0) {
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        });
      }
      await checkAll(host, addresses, checkAddress);
      return addresses.map(address => ({ address, family: isIP(address) }));
    })();
    found.then(
      addresses =>
        options.all
          ? callback(null, addresses)
          : callback(null, addresses[0].address, addresses[0].family),
      error => callback(error, ''),
    );
  };
}

/**
 * A connector that checks the address of every connection to `host`: a
 * name's through {@link checkedLookup}, an IP address's (which Node does not
 * look up) before connecting.
 */
function checkedConnector(
  host: string,
  checkAddress: CheckAddress,
  resolve: ResolveHost,
): buildConnector.connector {
  const connect = buildConnector({
    lookup: checkedLookup(host, checkAddress, resolve),
  });
  return (options, callback) => {
    if (isIP(options.hostname) === 0) {
      connect(options, callback);
      return;
    }
    checkAll(host, [options.hostname], checkAddress).then(
      () => connect(options, callback),
      error => callback(error, null),
    );
  };
}

/**
 * Keeps a connection open after a HEAD request, as after a GET. undici
 * closes it by default, a guard against servers that send a body with a
 * HEAD answer, which HTTP forbids; registries' servers do not. Without it
 * every tag check (a HEAD) costs a new connection, over HTTPS a TLS
 * handshake: two more round trips and the handshake's CPU on both ends.
 */
export const keepAliveAfterHead: Dispatcher.DispatcherComposeInterceptor =
  dispatch => (options, handler) =>
    dispatch(
      options.method === 'HEAD' && options.reset === undefined
        ? { ...options, reset: false }
        : options,
      handler,
    );

/**
 * An undici dispatcher whose every connection, to whatever origin, is to an
 * address `checkAddress` accepted: the check sits where the socket gets its
 * address, so a name that resolves to one address when it is checked and to
 * another when it is connected to cannot get past it (DNS rebinding).
 * Connections stay open after HEAD requests too ({@link keepAliveAfterHead}).
 */
export function addressCheckingDispatcher(options: {
  checkAddress: CheckAddress;
  /** DNS (`dns.lookup`, all addresses) by default. */
  resolve?: ResolveHost;
}): Dispatcher {
  const resolve = options.resolve ?? dnsResolve;
  return new Agent({
    factory: (origin, poolOptions) =>
      new Pool(origin, {
        ...poolOptions,
        connect: checkedConnector(
          new URL(String(origin)).host,
          options.checkAddress,
          resolve,
        ),
      }),
  }).compose(keepAliveAfterHead);
}

/** The refusal in a failed fetch's causes, if `checkAddress` refused its connection. */
export function addressRefusal(error: unknown): AddressRefused | undefined {
  let cause = error;
  for (let depth = 0; cause && depth < 5; depth++) {
    if (cause instanceof AddressRefused) return cause;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}
