/*
 * One command for every benchmark: `yarn bench` at the repository root.
 *
 * Runs each test/bench/*.bench.ts in turn, in its own Node process (one at a
 * time, so they do not measure each other), keeps each one's full output in
 * test-output/bench/NAME.log, and prints one table of the headline figures the
 * benchmarks recorded (see results.ts), each beside its goal, plus the last
 * figures of the end-to-end load test when it has run. Like every
 * benchmark it never fails on a time: it exits non-zero only when a benchmark
 * crashes.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BenchFigure, readFigures } from './results';

const BENCH_DIR = __dirname;
const OUTPUT = path.resolve(__dirname, '../../test-output/bench');

/** Runs one benchmark file; resolves with its exit code and duration. */
function runBench(file: string, resultsFile: string, log: string) {
  const started = Date.now();
  return new Promise<{ code: number; seconds: number }>(resolve => {
    const out = fs.createWriteStream(log);
    const child = spawn(
      process.execPath,
      [
        '--expose-gc',
        '--require',
        require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
        file,
      ],
      {
        cwd: path.dirname(BENCH_DIR),
        env: { ...process.env, BENCH_RESULTS: resultsFile },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      stream.pipe(out, { end: false });
    }
    child.on('close', code => {
      out.end();
      resolve({ code: code ?? 1, seconds: (Date.now() - started) / 1000 });
    });
  });
}

/** A plain-text table with a header rule, columns padded to their widest cell. */
function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) =>
    Math.max(...rows.map(row => row[c].length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join(' | ')
      .trimEnd();
  return [
    line(rows[0]),
    widths.map(w => '-'.repeat(w)).join('-|-'),
    ...rows.slice(1).map(line),
  ].join('\n');
}

/** What the figures of a load test run look like in test-output/load.json. */
interface LoadFigures {
  database: string;
  entities: number;
  containers: number;
  refreshSeconds: number;
  scrapes: LoadTally;
  api: LoadTally;
  /** the same requests to the idle backend, in the same run */
  idle?: { scrapes: LoadTally; api: LoadTally };
}

interface LoadTally {
  count: number;
  errors: number;
  p50Ms: number;
  p95Ms: number;
}

/**
 * The load test (test/e2e/load.test.ts: 50 concurrent scrapes every 2 s and 50
 * entity requests a second during a refresh) runs with the end-to-end tests,
 * not here; its last figures join the table, dated, when there are any.
 */
function loadFigures(): BenchFigure[] {
  const file = path.resolve(OUTPUT, '../load.json');
  if (!fs.existsSync(file)) return [];
  const load = JSON.parse(fs.readFileSync(file, 'utf8')) as LoadFigures;
  const when = fs.statSync(file).mtime.toISOString().slice(0, 16);
  const bench = `load (e2e, ${load.database}, ${when})`;
  const row = (
    what: string,
    r: LoadTally,
    baseline: LoadTally | undefined,
  ): BenchFigure => ({
    bench,
    measure: `${what} p50 / p95 during a refresh of ${load.entities} entities / ${load.containers} containers`,
    value: `${r.p50Ms.toFixed(0)} / ${r.p95Ms.toFixed(0)} ms, ${
      r.errors
    } errors in ${r.count}${
      baseline
        ? `; idle backend ${baseline.p50Ms.toFixed(
            0,
          )} / ${baseline.p95Ms.toFixed(0)} ms`
        : ''
    }`,
    goal: 'zero errors',
    met: r.errors === 0,
  });
  return [
    row('50 concurrent scrapes:', load.scrapes, load.idle?.scrapes),
    row('50 entity requests/s:', load.api, load.idle?.api),
  ];
}

const verdict = (figure: BenchFigure) => {
  if (figure.met === undefined) return 'anchor';
  return figure.met ? 'met' : 'MISSED';
};

async function main() {
  const only = process.argv.slice(2);
  const files = fs
    .readdirSync(BENCH_DIR)
    .filter(f => f.endsWith('.bench.ts'))
    .filter(f => only.length === 0 || only.some(o => f.startsWith(o)))
    .sort();
  fs.mkdirSync(OUTPUT, { recursive: true });
  const resultsFile = path.join(OUTPUT, 'figures.jsonl');
  fs.rmSync(resultsFile, { force: true });

  const failed: string[] = [];
  for (const file of files) {
    const name = file.replace(/\.bench\.ts$/, '');
    const log = path.join(OUTPUT, `${name}.log`);
    console.log(`running ${name} ...`);
    const { code, seconds } = await runBench(
      path.join(BENCH_DIR, file),
      resultsFile,
      log,
    );
    console.log(
      `  ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds.toFixed(
        0,
      )} s; full output: ${path.relative(
        path.resolve(BENCH_DIR, '../..'),
        log,
      )}`,
    );
    if (code !== 0) failed.push(name);
  }

  const figures = [...readFigures(resultsFile), ...loadFigures()];
  console.log(
    `\n${table([
      ['Benchmark', 'Measure', 'Result', 'Goal', 'Verdict'],
      ...figures.map(f => [f.bench, f.measure, f.value, f.goal, verdict(f)]),
    ])}`,
  );
  if (failed.length > 0) {
    console.error(`\nbenchmarks that crashed: ${failed.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch(error => {
  console.error(error);
  process.exitCode = 1;
});
