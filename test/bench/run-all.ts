/*
 * One command for every benchmark: `yarn bench` at the repository root.
 *
 * Runs each test/bench/*.bench.ts in turn, in its own Node process (one at a
 * time, so they do not measure each other), keeps each one's full output in
 * test-output/bench/NAME.log, and prints one table of the headline figures the
 * benchmarks recorded (see results.ts), each beside its goal. Like every
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

  const figures = readFigures(resultsFile);
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
