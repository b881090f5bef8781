/*
 * A fault-injecting HTTP proxy in front of a real registry, for tests of a client's failure paths:
 * it forwards everything to the upstream registry except requests matched by a fault rule, which it
 * answers with a status, resets, stalls, truncates, corrupts, pads, delays, redirects or rewrites.
 * It records every request (headers included) and the most requests it had in flight at once.
 */
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** An answer the proxy sends. */
export interface ProxyAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** send the body with Transfer-Encoding: chunked, no Content-Length */
  chunked?: boolean;
}

/** A request as a custom fault sees it. */
export interface ProxyContext {
  method: string;
  /** path and query */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** forwards a request to the upstream registry (this one by default), Location and Link rewritten */
  forward(overrides?: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
  }): Promise<ProxyAnswer>;
}

/** What to do with a matching request. */
export type Fault =
  /** answer this instead of forwarding */
  | { answer: ProxyAnswer }
  /** destroy the connection without answering */
  | { reset: true }
  /** never answer (until the proxy stops) */
  | { hang: true }
  /** forward after this many milliseconds */
  | { delayMs: number }
  /** forward status and headers (Content-Length kept), send only this many body bytes, close */
  | { truncate: number }
  /** forward with one body byte changed and every header as it was (Docker-Content-Digest too) */
  | { corrupt: true }
  /** forward with this many bytes appended to the body (Content-Length adjusted, digest header kept) */
  | { pad: number }
  /** forward with these headers added or replaced */
  | { setHeaders: Record<string, string> }
  /** anything else */
  | { respond: (ctx: ProxyContext) => Promise<ProxyAnswer> };

/** Which requests a fault applies to. */
export interface FaultRule {
  method?: string;
  /** matched against path and query; a string must be contained */
  path: RegExp | string;
  /** apply to this many matching requests, then forward normally; default: all */
  times?: number;
  fault: Fault;
}

/** A request the proxy received. */
export interface ProxiedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** the Host header it arrived with, e.g. `localhost:PORT` */
  host: string;
  /** the status answered; undefined when reset or left hanging */
  status?: number;
  /** which kind of fault applied, if any */
  fault?: string;
  /** milliseconds since the proxy started */
  at: number;
}

/** A running proxy started by {@link startFaultProxy}. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  /** `PORT` */
  port: number;
  addFault(rule: FaultRule): void;
  clearFaults(): void;
  /** requests received so far, in arrival order */
  requests(): ProxiedRequest[];
  clearRequests(): void;
  /** the most requests that were in flight at once since the last clearRequests() */
  maxConcurrent(): number;
  /** Closes the port and every open connection: connections are refused, as by a registry that is down. */
  down(): Promise<void>;
  /** Listens on the same port again after {@link FaultProxy.down} (nothing when listening). */
  up(): Promise<void>;
  stop(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'host',
  'upgrade',
  'proxy-connection',
]);

/** Starts a proxy on a random 127.0.0.1 port in front of `upstream` (`http://127.0.0.1:PORT`). */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const upstreamOrigin = new URL(upstream).origin;
  let rules: Array<FaultRule & { used: number }> = [];
  let log: ProxiedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const started = Date.now();
  let proxyOrigin = '';

  const rewrite = (value: string) =>
    value.split(upstreamOrigin).join(proxyOrigin);

  const forward = async (
    method: string,
    path: string,
    headers: http.IncomingHttpHeaders | Record<string, string>,
    body: Buffer,
  ): Promise<ProxyAnswer> => {
    const outgoing: Record<string, string> = {};
    for (const [key, value] of Object.entries(headers)) {
      if (!HOP_BY_HOP.has(key.toLowerCase()) && value !== undefined) {
        outgoing[key] = Array.isArray(value) ? value.join(', ') : value;
      }
    }
    const res = await fetch(`${upstreamOrigin}${path}`, {
      method,
      headers: outgoing,
      body: method === 'GET' || method === 'HEAD' ? undefined : body,
      redirect: 'manual',
    });
    const answerHeaders: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      if (
        !HOP_BY_HOP.has(key) ||
        (method === 'HEAD' && key === 'content-length')
      ) {
        answerHeaders[key] =
          key === 'location' || key === 'link' ? rewrite(value) : value;
      }
    });
    return {
      status: res.status,
      headers: answerHeaders,
      body: Buffer.from(await res.arrayBuffer()),
    };
  };

  const send = (
    res: http.ServerResponse,
    method: string,
    answer: ProxyAnswer,
  ) => {
    const body =
      typeof answer.body === 'string'
        ? Buffer.from(answer.body)
        : answer.body ?? Buffer.alloc(0);
    const headers: Record<string, string> = { ...answer.headers };
    if (
      !answer.chunked &&
      !(method === 'HEAD' && 'content-length' in headers)
    ) {
      headers['content-length'] = String(body.length);
    }
    res.writeHead(answer.status, headers);
    if (answer.chunked) {
      // two writes, so it really goes out in chunks
      const half = Math.floor(body.length / 2);
      res.write(body.subarray(0, half));
      res.end(body.subarray(half));
    } else {
      res.end(method === 'HEAD' ? undefined : body);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          inFlight--;
        }
      };
      res.on('close', finish);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const body = Buffer.concat(chunks);
      const entry: ProxiedRequest = {
        method,
        path,
        headers: req.headers,
        host: req.headers.host ?? '',
        at: Date.now() - started,
      };
      log.push(entry);
      const rule = rules.find(
        r =>
          (!r.method || r.method === method) &&
          (typeof r.path === 'string'
            ? path.includes(r.path)
            : r.path.test(path)) &&
          (r.times === undefined || r.used < r.times),
      );
      if (rule) {
        rule.used++;
        entry.fault = Object.keys(rule.fault)[0];
      }
      const fault = rule?.fault;
      try {
        if (fault && 'reset' in fault) {
          req.socket.destroy();
          return;
        }
        if (fault && 'hang' in fault) {
          return;
        }
        let answer: ProxyAnswer;
        if (fault && 'answer' in fault) {
          answer = fault.answer;
        } else if (fault && 'respond' in fault) {
          answer = await fault.respond({
            method,
            path,
            headers: req.headers,
            body,
            forward: overrides =>
              forward(
                overrides?.method ?? method,
                overrides?.path ?? path,
                overrides?.headers ?? req.headers,
                body,
              ),
          });
        } else {
          if (fault && 'delayMs' in fault) {
            await new Promise(r => setTimeout(r, fault.delayMs));
          }
          answer = await forward(method, path, req.headers, body);
        }
        entry.status = answer.status;
        const answerBody =
          typeof answer.body === 'string'
            ? Buffer.from(answer.body)
            : answer.body ?? Buffer.alloc(0);
        if (fault && 'truncate' in fault) {
          res.writeHead(answer.status, {
            ...answer.headers,
            'content-length': String(answerBody.length),
          });
          res.write(answerBody.subarray(0, fault.truncate), () =>
            req.socket.destroy(),
          );
          return;
        }
        if (fault && 'corrupt' in fault && answerBody.length > 0) {
          const altered = Buffer.from(answerBody);
          altered[altered.length - 1] ^= 0x20;
          answer = { ...answer, body: altered };
        }
        if (fault && 'pad' in fault) {
          answer = {
            ...answer,
            body: Buffer.concat([answerBody, Buffer.alloc(fault.pad, 0x20)]),
          };
        }
        if (fault && 'setHeaders' in fault) {
          answer = {
            ...answer,
            headers: { ...answer.headers, ...fault.setHeaders },
          };
        }
        send(res, method, answer);
      } catch (error) {
        entry.status = 599;
        send(res, method, {
          status: 599,
          body: `fault proxy: ${String(error)}`,
        });
      }
    });
  });

  const listen = (on: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(on, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const close = async () => {
    if (!server.listening) return;
    const closed = new Promise<void>(resolve => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  };
  await listen(0);
  const { port } = server.address() as AddressInfo;
  const host = `127.0.0.1:${port}`;
  proxyOrigin = `http://${host}`;

  return {
    url: proxyOrigin,
    host,
    port,
    addFault: rule => rules.push({ ...rule, used: 0 }),
    clearFaults: () => {
      rules = [];
    },
    requests: () => [...log],
    clearRequests: () => {
      log = [];
      maxInFlight = inFlight;
    },
    maxConcurrent: () => maxInFlight,
    down: close,
    up: async () => {
      if (!server.listening) await listen(port);
    },
    stop: close,
  };
}
