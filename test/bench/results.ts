/*
 * How a benchmark hands its headline figures to the combined run
 * (`yarn bench`, test/bench/run-all.ts): each figure is one JSON line appended
 * to the file named by BENCH_RESULTS. Run alone, a benchmark only prints.
 */
import fs from 'node:fs';

/** One headline figure, with the goal it is judged against. */
export interface BenchFigure {
  /** which benchmark measured it */
  bench: string;
  /** what was measured, as the table shows it */
  measure: string;
  /** the figure, formatted with its unit */
  value: string;
  /** the goal, or the anchor it is compared with */
  goal: string;
  /** whether the goal was met; undefined when the goal is a comparison only */
  met?: boolean;
}

/** Records a figure for the combined table (no-op without BENCH_RESULTS). */
export function recordFigure(figure: BenchFigure): void {
  const file = process.env.BENCH_RESULTS;
  if (file) fs.appendFileSync(file, `${JSON.stringify(figure)}\n`);
}

/** Reads the figures a run recorded. */
export function readFigures(file: string): BenchFigure[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line) as BenchFigure);
}
