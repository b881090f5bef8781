/**
 * A real HTTP server on a random local port for the transport layers' unit
 * tests: each request is recorded, then answered by the test's handler.
 */
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Exchange } from '../transport/roundTrip';

/** A request the server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** `performance.now()` on arrival. */
  at: number;
}

export interface TestServer {
  /** `127.0.0.1:port` (or the address it was started on) */
  host: string;
  /** `http://127.0.0.1:port` */
  origin: string;
  port: number;
  requests: ReceivedRequest[];
  /** TCP connections accepted so far, whether or not a request followed. */
  connections(): number;
  /** Requests being answered right now. */
  active(): number;
  /** Resolves once `count` requests have arrived. */
  received(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** A handler that never answers: for timeouts and aborts. */
export const stall = () => {};

export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  /** Where to listen: 127.0.0.1 on a free port by default. */
  listen: { address?: string; port?: number } = {},
): Promise<TestServer> {
  const requests: ReceivedRequest[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  let active = 0;
  let connections = 0;
  const server = createServer((req, res) => {
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      at: performance.now(),
    });
    active++;
    res.on('close', () => active--);
    for (const waiter of waiters.filter(w => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    req.resume();
    handler(req, res);
  });
  server.on('connection', () => connections++);
  const address = listen.address ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, address, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    host: `${address}:${port}`,
    origin: `http://${address}:${port}`,
    port,
    requests,
    connections: () => connections,
    active: () => active,
    received: count =>
      requests.length >= count
        ? Promise.resolve()
        : new Promise(resolve => waiters.push({ count, resolve })),
    stop: () =>
      new Promise(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An exchange as the layers see it, for `url` (a full URL), with overrides. */
export function exchangeFor(
  url: string,
  overrides: Partial<Exchange> = {},
): Exchange {
  return {
    registry: new URL(url).host,
    method: 'GET',
    url: new URL(url),
    kind: 'manifest',
    headers: {},
    maxBytes: 1024 * 1024,
    retry: 0,
    redirected: false,
    ...overrides,
  };
}
