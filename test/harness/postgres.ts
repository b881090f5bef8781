/*
 * A throwaway PostgreSQL cluster of the test's own (Debian's postgresql
 * package), on 127.0.0.1 and a free port, that a test can stop and start
 * again on the same port and data: for database restarts and for several
 * backend replicas sharing one database.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './backend';

const run = promisify(execFile);

/** A running cluster started by {@link startPostgres}. */
export interface TestPostgres {
  /** `postgresql://postgres@127.0.0.1:PORT` (trust authentication) */
  connectionString: string;
  port: number;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs.readdirSync(root).sort((a, b) => Number(a) - Number(b))
    : [];
  if (versions.length === 0) {
    throw new Error(
      'PostgreSQL is not installed: apt-get install postgresql (bash scripts/test-all.sh does it)',
    );
  }
  return path.join(root, versions[versions.length - 1], 'bin');
}

const isRoot = () => process.getuid?.() === 0;

/** Runs a PostgreSQL program as the owner of the data directory. */
async function asOwner(program: string, args: string[], cwd: string) {
  const [file, argv] = isRoot()
    ? ['runuser', ['-u', 'postgres', '--', program, ...args]]
    : [program, args];
  await run(file, argv, { cwd });
}

/** Creates and starts a cluster; {@link TestPostgres.destroy} removes it. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'image-freshness-pg-'));
  fs.chmodSync(dir, 0o777);
  if (isRoot()) await run('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  await asOwner(
    path.join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust'],
    dir,
  );
  const port = await freePort();
  const pgCtl = path.join(bin, 'pg_ctl');
  const start = () =>
    asOwner(
      pgCtl,
      [
        '-D',
        data,
        '-l',
        path.join(dir, 'server.log'),
        '-w',
        '-o',
        `-k ${dir} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
        'start',
      ],
      dir,
    );
  const stop = () =>
    asOwner(pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop'], dir);
  await start();
  return {
    connectionString: `postgresql://postgres@127.0.0.1:${port}`,
    port,
    start,
    stop,
    async destroy() {
      await stop().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
