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
  /** The earliest time the next request may start, for the rate limit. */
  nextStart: number;
}

/**
 * Bounds the requests to each host: at most `maxConcurrency` at once, and
 * starts spaced at least `1 / requestsPerSecond` apart. Waiters are served in
 * arrival order.
 */
export class HostLimiter {
  private readonly options: HostLimiterOptions;
  private readonly hosts = new Map<string, HostState>();

  constructor(options: HostLimiterOptions) {
    this.options = options;
  }

  /** Runs `task` when `host` has a free slot and its rate allows. */
  async run<T>(host: string, task: () => Promise<T>): Promise<T> {
    const state = this.state(host);
    await this.acquire(host, state);
    try {
      await this.pace(host, state);
      return await task();
    } finally {
      this.release(state);
    }
  }

  private state(host: string): HostState {
    let state = this.hosts.get(host);
    if (!state) {
      state = { active: 0, waiting: [], nextStart: 0 };
      this.hosts.set(host, state);
    }
    return state;
  }

  private acquire(host: string, state: HostState): Promise<void> {
    const max = this.options.maxConcurrency(host);
    if (!max || max <= 0 || state.active < max) {
      state.active++;
      return Promise.resolve();
    }
    return new Promise(resolve =>
      state.waiting.push(() => {
        state.active++;
        resolve();
      }),
    );
  }

  private release(state: HostState): void {
    state.active--;
    state.waiting.shift()?.();
  }

  private async pace(host: string, state: HostState): Promise<void> {
    const rate = this.options.requestsPerSecond(host);
    if (!rate || rate <= 0) return;
    const now = Date.now();
    const start = Math.max(now, state.nextStart);
    state.nextStart = start + 1000 / rate;
    if (start > now) {
      await new Promise(resolve => setTimeout(resolve, start - now));
    }
  }
}
