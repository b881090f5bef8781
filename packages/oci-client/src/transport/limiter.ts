import { abortable, sleep } from './abort';
import { Exchange, Layer } from './roundTrip';

/** Options for {@link HostLimiter}. */
export interface HostLimiterOptions {
  /** Requests at once per host; unlimited when undefined or not positive. */
  maxConcurrency: (host: string) => number | undefined;
  /** Request starts per second per host; unlimited when undefined or not positive. */
  requestsPerSecond: (host: string) => number | undefined;
}

interface HostState {
  active: number;
  waiting: Array<() => void>;
  /** Settles when the last paced request has started: starts are taken in turn. */
  paced: Promise<void>;
  /** When (`performance.now`) the last paced request started. */
  lastStart: number;
}

/**
 * Bounds the requests to each host: at most `maxConcurrency` at once, and
 * starts spaced at least `1 / requestsPerSecond` apart. Waiters are served in
 * arrival order; one whose signal aborts leaves the queue at once.
 */
export class HostLimiter {
  private readonly options: HostLimiterOptions;
  private readonly hosts = new Map<string, HostState>();

  constructor(options: HostLimiterOptions) {
    this.options = options;
  }

  /** Runs `task` when `host` has a free slot and its rate allows; rejects with the reason when `signal` aborts first. */
  async run<T>(
    host: string,
    task: () => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) {
      throw signal.reason;
    }
    const state = this.state(host);
    await this.acquire(host, state, signal);
    try {
      await this.pace(host, state, signal);
      return await task();
    } finally {
      this.release(state);
    }
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = {
        active: 0,
        waiting: [],
        paced: Promise.resolve(),
        lastStart: -Infinity,
      };
      this.hosts.set(host, state);
    }
    return state;
  }

  private acquire(
    host: string,
    state: HostState,
    signal?: AbortSignal,
  ): Promise<void> {
    const max = this.options.maxConcurrency(host);
    if (!max || max <= 0 || state.active < max) {
      state.active++;
      return Promise.resolve();
    }
    let granted = false;
    let grant = () => {};
    const onAbort = () => {
      state.waiting.splice(state.waiting.indexOf(grant), 1);
    };
    const turn = new Promise<void>(resolve => {
      grant = () => {
        granted = true;
        state.active++;
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      state.waiting.push(grant);
    });
    signal?.addEventListener('abort', onAbort, { once: true });
    return abortable(turn, signal).catch(error => {
      // The slot came as the wait was abandoned: hand it on.
      if (granted) this.release(state);
      throw error;
    });
  }

  private release(state: HostState): void {
    state.active--;
    state.waiting.shift()?.();
  }

  /**
   * Waits for this request's turn to start: at least `1 / rate` after the
   * previous start as it really happened (a late timer never squeezes the
   * next gap). A waiter that aborts gives its turn up without a pause.
   */
  private pace(
    host: string,
    state: HostState,
    signal?: AbortSignal,
  ): Promise<void> {
    const rate = this.options.requestsPerSecond(host);
    if (!rate || rate <= 0) return Promise.resolve();
    const turn = state.paced.then(async () => {
      const wait = state.lastStart + 1000 / rate - performance.now();
      if (wait > 0) await sleep(wait, signal).catch(() => {});
      if (!signal?.aborted) state.lastStart = performance.now();
    });
    state.paced = turn;
    return abortable(turn, signal);
  }
}

/** Runs each attempt within its host's limits (the slot is held for the attempt, redirects and body included). */
export function limitLayer(
  limiter: HostLimiter,
  hostOf: (exchange: Exchange) => string,
): Layer {
  return next => exchange =>
    limiter.run(hostOf(exchange), () => next(exchange), exchange.signal);
}
