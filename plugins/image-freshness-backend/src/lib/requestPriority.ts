import type { RequestHandler } from 'express';
import { yieldToEventLoop } from './eventLoop';

/**
 * Where background work lets others go first: between entities, before each
 * registry request, between the metrics snapshot's chunks.
 */
export type YieldPoint = () => Promise<void>;

/**
 * Requests before background work. The refresh, the metrics snapshot and the
 * plugin's routes share one event loop: every callback of a refresh that is
 * ready when a request's next step is also ready runs first, so a request
 * that takes 20 ms on an idle backend waits several times that during a
 * refresh. The router's middleware counts the plugin's requests in flight;
 * background work waits at its yield points while any are, and at most
 * `maxPauseMs` at each, so a steady stream of requests slows a refresh but
 * never stops it. Work already under way (a registry answer, a write) is not
 * interrupted: the pause takes effect at the next yield point.
 */
export class RequestPriority {
  private inFlight = 0;
  private waiting: Array<() => void> = [];

  /** `maxPauseMs` 0: background work only yields the event loop's turn. */
  constructor(private readonly maxPauseMs: number) {}

  /** Counts a request from its start until its answer is sent or its connection closes. */
  readonly middleware: RequestHandler = (_req, res, next) => {
    this.inFlight++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      if (this.inFlight === 0) this.release();
    };
    res.once('finish', end);
    res.once('close', end);
    next();
  };

  /**
   * The event loop's next turn, then, while requests are in flight, until
   * they are all answered or `maxPauseMs` has passed.
   */
  readonly yieldPoint: YieldPoint = async () => {
    await yieldToEventLoop();
    if (this.inFlight === 0 || this.maxPauseMs <= 0) return;
    let release = () => {};
    const released = new Promise<void>(resolve => {
      release = resolve;
    });
    this.waiting.push(release);
    const timer = setTimeout(release, this.maxPauseMs);
    await released;
    clearTimeout(timer);
    this.waiting = this.waiting.filter(w => w !== release);
  };

  /** Requests in flight now (for tests and logs). */
  get requestsInFlight(): number {
    return this.inFlight;
  }

  private release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    waiting.forEach(done => done());
  }
}
