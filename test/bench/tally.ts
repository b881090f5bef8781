/*
 * Latencies of one kind of request in a benchmark, and its failures: the
 * percentiles the benchmarks print.
 */
import { performance } from 'node:perf_hooks';
import { percentile } from '../harness/scale';

/** Latencies of one kind of request, and its failures. */
export class Tally {
  readonly latencies: number[] = [];
  readonly errors: string[] = [];

  async time(request: () => Promise<void>): Promise<void> {
    const start = performance.now();
    try {
      await request();
      this.latencies.push(performance.now() - start);
    } catch (error) {
      this.errors.push(String(error));
    }
  }

  p(n: number) {
    return percentile(
      [...this.latencies].sort((a, b) => a - b),
      n,
    );
  }

  text() {
    return `p50 ${this.p(50).toFixed(1)} / p95 ${this.p(95).toFixed(1)} ms (n=${
      this.latencies.length
    }, errors ${this.errors.length})`;
  }
}
