import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A small HTTP server on 127.0.0.1 that serves files a test sets, like a source host. */
export interface FileServer {
  /** `127.0.0.1:PORT`, for `backend.reading.allow`. */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Serves `content` at `path` (starting with `/`); `undefined` removes it (404). */
  set(path: string, content: string | undefined): void;
  /** Answers `path` with this status instead of the file. */
  fail(path: string, status: number | undefined): void;
  /** Paths requested so far. */
  requests(): string[];
  stop(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, string>();
  const failures = new Map<string, number>();
  const requested: string[] = [];
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(
      new URL(req.url ?? '/', 'http://x').pathname,
    );
    requested.push(path);
    const status = failures.get(path);
    if (status) {
      res.writeHead(status).end('failure on purpose');
      return;
    }
    const content = files.get(path);
    if (content === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end(content);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    set: (path, content) =>
      content === undefined ? files.delete(path) : files.set(path, content),
    fail: (path, status) =>
      status === undefined ? failures.delete(path) : failures.set(path, status),
    requests: () => [...requested],
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
