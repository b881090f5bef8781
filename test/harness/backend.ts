/*
 * Starts the real portal backend (packages/backend, from source) as a child
 * process with extra config files, on a free port.
 */
import { LogText } from './logText';
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitUntil } from './refreshes';

/** The repository root. */
export const ROOT = path.resolve(__dirname, '../..');

/** A running backend started by {@link startBackend}. */
export interface TestBackend {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /**
   * Everything the backend printed so far, or from `from` on (a length an
   * earlier answer had): a poll that reads only what is new stays short
   * when the backend has logged megabytes.
   */
  logs(from?: number): string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts the backend with app-config.yaml plus `config` (written to a temp
 * file), the port and base URLs filled in. Resolves when its readiness check
 * answers 200.
 */
export async function startBackend(options: {
  /** Extra configuration, merged over app-config.yaml. */
  config: (url: string) => Record<string, unknown>;
  env?: Record<string, string>;
  /** Options for Node itself, e.g. `--cpu-prof` (which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  timeoutMs?: number;
  /**
   * The entry file to run (absolute, or relative to packages/backend);
   * default `src/index.ts`, the portal backend itself.
   */
  entry?: string;
  /** When set, stopping keeps everything the backend printed in test-output/NAME.log. */
  logName?: string;
  /** The port to listen on (default: a free one). */
  port?: number;
}): Promise<TestBackend> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dir = fs.mkdtempSync(
    path.join(os.tmpdir(), 'image-freshness-backend-'),
  );
  const configFile = path.join(dir, 'app-config.test.json');
  const base = {
    app: { baseUrl: url },
    backend: {
      baseUrl: url,
      listen: { port, host: '127.0.0.1' },
      cors: { origin: url },
      database: { client: 'better-sqlite3', connection: ':memory:' },
    },
  };
  fs.writeFileSync(
    configFile,
    JSON.stringify(deepMerge(base, options.config(url))),
  );
  const backendDir = path.join(ROOT, 'packages/backend');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      '--enable-source-maps',
      '--require',
      require.resolve('@backstage/cli-node/config/nodeTransform.cjs', {
        paths: [backendDir],
      }),
      options.entry ?? 'src/index.ts',
      '--config',
      path.join(ROOT, 'app-config.yaml'),
      '--config',
      configFile,
    ],
    {
      cwd: backendDir,
      env: { ...process.env, NODE_ENV: 'development', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output = new LogText();
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => output.append(chunk));
  }
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );

  const logs = (from = 0) => output.text(from);
  const stop = async () => {
    if (options.logName) {
      const outputDir = path.join(ROOT, 'test-output');
      fs.mkdirSync(outputDir, { recursive: true });
      fs.writeFileSync(path.join(outputDir, `${options.logName}.log`), logs());
    }
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`The backend exited with ${child.exitCode}:\n${logs()}`);
    }
    try {
      const res = await fetch(`${url}/.backstage/health/v1/readiness`);
      if (res.status === 200) {
        return { url, port, logs, stop };
      }
    } catch {
      // not listening yet
    }
    await new Promise(r => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`The backend was not ready in time:\n${logs()}`);
}

/** Signs in as the guest user and returns a Backstage token. */
export async function guestToken(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/guest/refresh?env=development`, {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  if (!res.ok) {
    throw new Error(`Guest sign-in failed: ${res.status} ${await res.text()}`);
  }
  const body = (await res.json()) as { backstageIdentity: { token: string } };
  return body.backstageIdentity.token;
}

/** Configuration objects merged left to right, objects key by key (arrays replaced). */
export function mergeConfig(
  ...parts: Array<Record<string, unknown>>
): Record<string, unknown> {
  return parts.reduce((merged, part) => deepMerge(merged, part), {});
}

/**
 * The portal as the end-to-end tests run it: the catalog from one file,
 * optionally one static token for callers such as Prometheus
 * (`backend.auth.externalAccess`), and optionally the Kubernetes backend
 * pointed at stand-in clusters (entries made by `clusterConfig`).
 */
export function portalConfig(options: {
  catalogFile: string;
  staticToken?: { token: string; subject: string };
  clusters?: Array<Record<string, unknown>>;
}): Record<string, unknown> {
  const { catalogFile, staticToken, clusters } = options;
  return {
    ...(staticToken && {
      backend: {
        auth: { externalAccess: [{ type: 'static', options: staticToken }] },
      },
    }),
    catalog: { locations: [{ type: 'file', target: catalogFile }] },
    ...(clusters && {
      kubernetes: {
        serviceLocatorMethod: { type: 'multiTenant' },
        clusterLocatorMethods: [{ type: 'config', clusters }],
      },
    }),
  };
}

function deepMerge(
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = out[key];
    out[key] =
      isObject(existing) && isObject(value)
        ? deepMerge(existing, value)
        : value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `backend.database` for a throwaway PostgreSQL when given, else SQLite files
 * in `sqliteDirectory`, one per plugin, as app-config.yaml runs it.
 */
export function databaseConfig(options: {
  postgres?: { connectionString: string };
  sqliteDirectory: string;
}): Record<string, unknown> {
  return options.postgres
    ? { client: 'pg', connection: options.postgres.connectionString }
    : {
        client: 'better-sqlite3',
        connection: { directory: options.sqliteDirectory },
      };
}

/** Waits until the catalog of the backend at `url` holds at least `count` Components. */
export async function waitForComponents(
  url: string,
  token: string,
  count: number,
  timeoutMs = 120_000,
): Promise<void> {
  await waitUntil(
    `the catalog to hold ${count} entities`,
    async () => {
      const res = await fetch(
        `${url}/api/catalog/entities/by-query?filter=kind=component&limit=1`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const body = (await res.json()) as { totalItems?: number };
      return (body.totalItems ?? 0) >= count;
    },
    { timeoutMs, intervalMs: 1000 },
  );
}
