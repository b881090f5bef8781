import type { RequestHandler } from 'express';
import { performance } from 'node:perf_hooks';

/**
 * Reads before registry work. The plugin's reads (GET and HEAD requests to
 * its routes: the entity report, `/metrics`, the overview) and a refresh
 * share one event loop; on a busy backend, every registry answer a refresh
 * handles makes the reads that arrive with it wait their turn. So while
 * reads are in flight, a registry request waits before it is sent: until
 * the last read has answered, `maxWaitMs` at most, so registry work is held
 * back in short spells and never starved. The refresh is the registry work
 * that usually runs then; the Refresh button's requests (POSTs, not counted
 * as reads) wait the same way.
 */
export class ReadsFirst {
  private readsInFlight = 0;
  /** Each waiting request's wake-up, with its maxWait timer. */
  private readonly waiting = new Map<
    () => void,
    ReturnType<typeof setTimeout>
  >();

  /**
   * @param maxWaitMs - the longest one registry request waits; 0 turns waiting off
   * @param onWait - told how long each request that waited waited, in seconds
   */
  constructor(
    private readonly maxWaitMs: number,
    private readonly onWait: (seconds: number) => void = () => {},
  ) {}

  /** Counts each GET and HEAD request as a read until it answers or its client leaves. */
  readonly middleware: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      next();
      return;
    }
    this.readsInFlight++;
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.readsInFlight--;
      if (this.readsInFlight === 0) {
        for (const wake of [...this.waiting.keys()]) wake();
      }
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  };

  /**
   * Resolves at once when no read is in flight; else when the reads are
   * done, `maxWaitMs` later at most, or as soon as `signal` aborts (the
   * caller then sees the abort).
   */
  readonly admit = (_registry: string, signal?: AbortSignal): Promise<void> => {
    if (this.readsInFlight === 0 || this.maxWaitMs <= 0 || signal?.aborted) {
      return Promise.resolve();
    }
    const started = performance.now();
    return new Promise<void>(resolve => {
      const wake = () => {
        if (!this.waiting.has(wake)) return;
        clearTimeout(this.waiting.get(wake));
        this.waiting.delete(wake);
        signal?.removeEventListener('abort', wake);
        this.onWait((performance.now() - started) / 1000);
        resolve();
      };
      this.waiting.set(wake, setTimeout(wake, this.maxWaitMs));
      signal?.addEventListener('abort', wake, { once: true });
    });
  };
}
