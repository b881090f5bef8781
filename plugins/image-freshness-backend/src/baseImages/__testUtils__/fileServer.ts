import { createHash } from 'node:crypto';
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
  /** Every answer so far: the path and status (200 with the content, 304 when the ETag still matched). */
  answers(): Array<{ path: string; status: number }>;
  /** Whether answers carry an ETag and honour If-None-Match (default true). */
  useEtags(on: boolean): void;
  stop(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, string>();
  const failures = new Map<string, number>();
  const requested: string[] = [];
  const answered: Array<{ path: string; status: number }> = [];
  let etags = true;
  const server = http.createServer((req, res) => {
    const path = decodeURIComponent(
      new URL(req.url ?? '/', 'http://x').pathname,
    );
    requested.push(path);
    const answer = (status: number) => answered.push({ path, status });
    const status = failures.get(path);
    if (status) {
      answer(status);
      res.writeHead(status).end('failure on purpose');
      return;
    }
    const content = files.get(path);
    if (content === undefined) {
      answer(404);
      res.writeHead(404).end('not found');
      return;
    }
    const etag = `"${createHash('sha256')
      .update(content)
      .digest('hex')
      .slice(0, 16)}"`;
    if (etags && req.headers['if-none-match'] === etag) {
      answer(304);
      res.writeHead(304, { etag }).end();
      return;
    }
    answer(200);
    res
      .writeHead(200, {
        'content-type': 'text/plain',
        ...(etags ? { etag } : {}),
      })
      .end(content);
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
    answers: () => [...answered],
    useEtags: on => {
      etags = on;
    },
    stop: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
