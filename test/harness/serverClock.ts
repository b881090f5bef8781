/*
 * The clock of the real servers the tests start. The shifted-clock stage of the
 * test command runs the unit tests under libfaketime (`faketime -f '+400d'`),
 * which moves the clock of everything that reads time through the C library:
 * Node and openssl. The Go servers (docker-registry, Prometheus) read it from
 * the kernel and keep the real date. A stand-in that signs for such a server
 * (the token endpoint: JWT times, its certificate's validity) must use that
 * server's clock, or the server refuses everything it signs.
 */
import { execFileSync } from 'node:child_process';

/** The environment without libfaketime: a child started with it sees the real clock. */
export function realClockEnv(
  env: NodeJS.ProcessEnv = process.env,
): NodeJS.ProcessEnv {
  const preload = (env.LD_PRELOAD ?? '')
    .split(/[: ]/)
    .filter(lib => lib && !lib.includes('faketime'));
  const { LD_PRELOAD: _, FAKETIME: __, ...rest } = env;
  return preload.length > 0 ? { ...rest, LD_PRELOAD: preload.join(':') } : rest;
}

let offsetMs: number | undefined;

/**
 * Milliseconds to add to this process's `Date.now()` to get the servers'
 * clock: 0 unless libfaketime shifts this process (then read once from
 * `date` run without it).
 */
export function serverClockOffsetMs(): number {
  if (offsetMs === undefined) {
    if (!(process.env.LD_PRELOAD ?? '').includes('faketime')) {
      offsetMs = 0;
    } else {
      const real = Number(
        execFileSync('date', ['+%s%3N'], {
          env: realClockEnv(),
          encoding: 'utf8',
        }).trim(),
      );
      const shift = real - Date.now();
      // Under a second either way is the time `date` took to start.
      offsetMs = Math.abs(shift) < 1000 ? 0 : shift;
    }
  }
  return offsetMs;
}

/** Now by the servers' clock, in epoch milliseconds. */
export function serverNow(): number {
  return Date.now() + serverClockOffsetMs();
}
