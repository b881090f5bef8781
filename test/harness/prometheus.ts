/*
 * A real Prometheus for tests: Debian's `prometheus` (2.42) on a free
 * 127.0.0.1 port, scraping the given targets every second, with its TSDB in a
 * fresh temp dir. Its first sample lands about 5 s after start (its reload
 * tick), so wait with `waitFor`, never a fixed sleep.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from './backend';
import { requireBinaries } from './registry';

/** One scrape job. */
export interface ScrapeTarget {
  /** `job` label; default `image-freshness` */
  job?: string;
  /** `127.0.0.1:PORT` */
  address: string;
  /** e.g. `/api/image-freshness/metrics` */
  metricsPath: string;
  /** Sent as `Authorization: Bearer TOKEN` (`authorization: { credentials }`). */
  token?: string;
}

/** One sample of an instant vector. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** A running Prometheus started by {@link startPrometheus}. */
export interface TestPrometheus {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Runs an instant query; throws with Prometheus' error on a bad query. */
  query(promql: string): Promise<Sample[]>;
  /**
   * Runs `promql` until `accept` returns true for its answer (or `timeoutMs`,
   * default 30 s, passes: then throws with the last answer).
   */
  waitFor(
    promql: string,
    accept: (samples: Sample[]) => boolean,
    timeoutMs?: number,
  ): Promise<Sample[]>;
  /** The scrape targets' health, as `/api/v1/targets` reports it. */
  targets(): Promise<
    Array<{ job: string; health: string; lastError: string; url: string }>
  >;
  /** Everything Prometheus logged so far. */
  logs(): string[];
  /** Stops Prometheus (`POST /-/quit`, then signals) and removes its temp dir. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;

/**
 * Starts Prometheus scraping `targets` every `scrapeInterval` (default 1s).
 * Always call `stop()`; the process is also killed if the test process dies.
 *
 * @example
 * const prometheus = await startPrometheus({ targets: [{ address: '127.0.0.1:7007', metricsPath: '/api/image-freshness/metrics', token }] });
 * await prometheus.waitFor('up', s => s.some(x => x.value === 1));
 */
export async function startPrometheus(options: {
  targets: ScrapeTarget[];
  scrapeInterval?: string;
}): Promise<TestPrometheus> {
  requireBinaries('prometheus', 'setpriv');
  const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), 'test-prometheus-'));
  const configPath = path.join(rootDir, 'prometheus.yml');
  const interval = options.scrapeInterval ?? '1s';
  // JSON is valid YAML.
  const config = {
    global: {
      scrape_interval: interval,
      scrape_timeout: interval,
      evaluation_interval: interval,
    },
    scrape_configs: options.targets.map(target => ({
      job_name: target.job ?? 'image-freshness',
      metrics_path: target.metricsPath,
      scheme: 'http',
      ...(target.token
        ? { authorization: { type: 'Bearer', credentials: target.token } }
        : {}),
      static_configs: [{ targets: [target.address] }],
    })),
  };
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2), {
    mode: 0o600,
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  // As in ./registry: the kernel kills Prometheus when this process dies, and a
  // detached watchdog removes the temp dir then (`process.on('exit')` never
  // fires in a Jest test file).
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'KILL',
      '--',
      'prometheus',
      `--config.file=${configPath}`,
      `--storage.tsdb.path=${path.join(rootDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'while kill -0 "$1"; do sleep 1; done 2>/dev/null; rm -rf "$2"',
      'sh',
      String(process.pid),
      rootDir,
    ],
    { detached: true, stdio: 'ignore' },
  );
  watchdog.unref();
  const lines: string[] = [];
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', line => lines.push(line));
  }
  const exited = new Promise<void>(resolve =>
    child.once('exit', () => resolve()),
  );

  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      watchdog.kill();
      if (child.exitCode === null && child.signalCode === null) {
        await fetch(`${url}/-/quit`, { method: 'POST' }).catch(() => {});
        const term = setTimeout(() => child.kill('SIGTERM'), 5_000);
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(term);
        clearTimeout(kill);
      }
      fs.rmSync(rootDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  async function api<T>(pathAndQuery: string): Promise<T> {
    const res = await fetch(`${url}${pathAndQuery}`);
    const body = (await res.json()) as {
      status: string;
      data: T;
      error?: string;
    };
    if (body.status !== 'success') {
      throw new Error(`Prometheus ${pathAndQuery}: ${body.error}`);
    }
    return body.data;
  }

  const query = async (promql: string): Promise<Sample[]> => {
    const data = await api<{
      resultType: string;
      result: unknown;
    }>(`/api/v1/query?query=${encodeURIComponent(promql)}`);
    if (data.resultType === 'scalar') {
      const [, value] = data.result as [number, string];
      return [{ metric: {}, value: Number(value) }];
    }
    return (
      data.result as Array<{
        metric: Record<string, string>;
        value: [number, string];
      }>
    ).map(r => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  const waitFor = async (
    promql: string,
    accept: (samples: Sample[]) => boolean,
    timeoutMs = 30_000,
  ) => {
    const deadline = Date.now() + timeoutMs;
    let last: Sample[] = [];
    for (;;) {
      last = await query(promql);
      if (accept(last)) return last;
      if (Date.now() > deadline) {
        throw new Error(
          `Prometheus never answered ${promql} as expected; last answer: ${JSON.stringify(
            last,
          )}; its log:\n${lines.join('\n')}`,
        );
      }
      await new Promise(r => setTimeout(r, 250));
    }
  };

  const targets = async () => {
    const data = await api<{
      activeTargets: Array<{
        labels: Record<string, string>;
        health: string;
        lastError: string;
        scrapeUrl: string;
      }>;
    }>('/api/v1/targets');
    return data.activeTargets.map(t => ({
      job: t.labels.job,
      health: t.health,
      lastError: t.lastError,
      url: t.scrapeUrl,
    }));
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(
          `prometheus exited with ${child.exitCode}:\n${lines.join('\n')}`,
        );
      }
      try {
        const res = await fetch(`${url}/-/ready`);
        await res.arrayBuffer();
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        throw new Error(
          `prometheus was not ready in time:\n${lines.join('\n')}`,
        );
      }
      await new Promise(r => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, query, waitFor, targets, logs: () => [...lines], stop };
}
