/*
 * A real OCI registry for tests: Debian's `docker-registry` (CNCF distribution 2.8.2)
 * on a random 127.0.0.1 port, with filesystem storage in a fresh temp dir.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

/** Options for {@link startRegistry}. */
export interface RegistryOptions {
  /** basic auth via htpasswd (bcrypt, `htpasswd -Bbc`) */
  basicAuth?: { username: string; password: string };
  /**
   * bearer-token auth (`auth: token`): the registry sends clients to `realm` and trusts tokens
   * signed with the certificate in `rootCertBundle`; see `startTokenServer` in ./token-server
   */
  tokenAuth?: {
    realm: string;
    service: string;
    issuer: string;
    rootCertBundle: string;
  };
  /**
   * Run at the lowest CPU priority (`nice -n 19`): on a machine of few cores
   * a registry that stands in for a remote one then takes only the CPU the
   * processes under test leave, as a remote one would take none of theirs.
   */
  lowPriority?: boolean;
}

/** A running registry started by {@link startRegistry}. */
export interface TestRegistry {
  /** `127.0.0.1:PORT`, for image references such as `${host}/repo:tag` */
  host: string;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** where the registry keeps its blobs and manifests */
  storageDir: string;
  /** lines the registry logged so far (access log included), for asserting which requests it received */
  logs(): string[];
  /**
   * With `basicAuth`: from now on the registry accepts only this user and password (the htpasswd
   * file is replaced; docker-registry re-reads it when its mtime changes), e.g. a token just minted.
   */
  acceptOnly(credentials: {
    username: string;
    password: string;
  }): Promise<void>;
  /** kills the process, removes temp dirs */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

/** The Debian package that provides each binary the harness uses. */
const DEBIAN_PACKAGES: Record<string, string> = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  htpasswd: 'apache2-utils',
  openssl: 'openssl',
  setpriv: 'util-linux',
  faketime: 'faketime',
};

/**
 * Throws a clear error when one of the binaries is not on the PATH.
 *
 * @example requireBinaries('docker-registry', 'skopeo');
 */
export function requireBinaries(...names: string[]): void {
  for (const name of names) {
    if (!findOnPath(name)) {
      const pkg = DEBIAN_PACKAGES[name] ?? name;
      throw new Error(
        `missing ${name}: run the README's test command, which installs Debian packages ` +
          `first (apt-get install -y --no-install-recommends ${pkg})`,
      );
    }
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Starts `docker-registry serve` on a random 127.0.0.1 port and waits until `GET /v2/` answers.
 * Deletes are enabled; with `basicAuth` every request needs those credentials, with `tokenAuth`
 * a bearer token from the token endpoint.
 * Always call `stop()` (e.g. in `afterAll`); the process is also killed if the test process exits.
 */
export async function startRegistry(
  options: RegistryOptions = {},
): Promise<TestRegistry> {
  requireBinaries('docker-registry', 'setpriv');
  if (options.basicAuth && options.tokenAuth) {
    throw new Error('startRegistry: choose basicAuth or tokenAuth, not both');
  }
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-registry-'));
  const storageDir = path.join(rootDir, 'storage');
  const configPath = path.join(rootDir, 'config.yml');
  fs.mkdirSync(storageDir);

  let auth: object | undefined;
  const htpasswdPath = path.join(rootDir, 'htpasswd');
  const acceptOnly = async (credentials: {
    username: string;
    password: string;
  }) => {
    if (!options.basicAuth) {
      throw new Error('acceptOnly needs a registry started with basicAuth');
    }
    // written beside it and renamed, so the registry never reads half a file
    const next = `${htpasswdPath}.next`;
    await promisify(execFile)('htpasswd', [
      '-Bbc',
      next,
      credentials.username,
      credentials.password,
    ]);
    fs.renameSync(next, htpasswdPath);
  };
  if (options.basicAuth) {
    requireBinaries('htpasswd');
    const { username, password } = options.basicAuth;
    await promisify(execFile)('htpasswd', [
      '-Bbc',
      htpasswdPath,
      username,
      password,
    ]);
    auth = { htpasswd: { realm: 'test-registry', path: htpasswdPath } };
  }
  if (options.tokenAuth) {
    const { realm, service, issuer, rootCertBundle } = options.tokenAuth;
    auth = {
      token: { realm, service, issuer, rootcertbundle: rootCertBundle },
    };
  }

  // JSON is valid YAML, and spares us quoting rules.
  const config = {
    version: '0.1',
    log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
    storage: {
      filesystem: { rootdirectory: storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: '127.0.0.1:0',
      secret: 'test-registry-secret',
      debug: { addr: '' },
    },
    health: { storagedriver: { enabled: false } },
    ...(auth ? { auth } : {}),
  };
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));

  // REGISTRY_* variables would override the config file; keep the caller's out.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('REGISTRY_')),
  );
  // If this process dies without calling stop(), nothing of the registry should outlive it.
  // `process.on('exit')` is no help under Jest (a test file's `process` is a copy whose events
  // never fire), so: setpriv has the kernel kill the registry when its parent dies, and a
  // detached watchdog removes the temp dir once this process is gone.
  const command = [
    'setpriv',
    '--pdeathsig',
    'KILL',
    '--',
    'docker-registry',
    'serve',
    configPath,
  ];
  // nice execs setpriv, which execs the registry: one process, the one killed
  const [file, ...args] = options.lowPriority
    ? ['nice', '-n', '19', ...command]
    : command;
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const watchdogScript =
    'while kill -0 "$1"; do sleep 1; done 2>/dev/null; rm -rf "$2"';
  const watchdog = spawn(
    'sh',
    ['-c', watchdogScript, 'sh', String(process.pid), rootDir],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();

  const lines: string[] = [];
  const onLine = new Set<(line: string) => void>();
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', line => {
      lines.push(line);
      onLine.forEach(listener => listener(line));
    });
  }

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      watchdog.kill();
      await killAndWait(child);
      fs.rmSync(rootDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const host = await waitForListening(child, lines, onLine, deadline);
    const url = `http://${host}`;
    await waitForApi(url, lines, deadline);
    return {
      host,
      url,
      storageDir,
      logs: () => [...lines],
      acceptOnly,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function waitForListening(
  child: ChildProcess,
  lines: string[],
  onLine: Set<(line: string) => void>,
  deadline: number,
): Promise<string> {
  const pattern = /listening on (127\.0\.0\.1:\d+)/;
  return new Promise((resolve, reject) => {
    let cleanup = () => {};
    const fail = (reason: string) => {
      cleanup();
      reject(
        new Error(`docker-registry ${reason}; its log:\n${lines.join('\n')}`),
      );
    };
    const listener = (line: string) => {
      const match = pattern.exec(line);
      if (match) {
        cleanup();
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited (code ${code}, signal ${signal}) before listening`);
    const onError = (error: Error) =>
      fail(`could not be started: ${error.message}`);
    const timer = setTimeout(
      () => fail(`did not log "listening on" within ${START_TIMEOUT_MS} ms`),
      deadline - Date.now(),
    );
    cleanup = () => {
      clearTimeout(timer);
      onLine.delete(listener);
      child.off('close', onExit);
      child.off('error', onError);
    };
    onLine.add(listener);
    child.on('close', onExit);
    child.on('error', onError);
    lines.forEach(listener);
  });
}

async function waitForApi(url: string, lines: string[], deadline: number) {
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) {
        return;
      }
      last = `status ${res.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(
    `docker-registry did not answer GET ${url}/v2/ (last: ${last}); its log:\n${lines.join(
      '\n',
    )}`,
  );
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
