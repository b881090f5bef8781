import { abortable } from './abort';

interface Pending<T> {
  promise: Promise<T>;
  /** Aborts the shared work once every caller that could abort has. */
  controller: AbortController;
  /** Callers still waiting; a caller without a signal counts as one that never leaves. */
  waiting: number;
}

/**
 * Shares one pending promise among identical concurrent calls: the second
 * caller of `run(key)` gets the first caller's promise until it settles.
 *
 * A caller may pass an `AbortSignal`: when it aborts, that caller's promise
 * rejects with the signal's reason at once; the shared work (which receives a
 * signal of its own) is aborted only when every caller has left.
 *
 * @public
 */
export class InFlight<T> {
  private readonly pending = new Map<string, Pending<T>>();

  run(
    key: string,
    task: (signal: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (signal?.aborted) {
      return Promise.reject(signal.reason);
    }
    let entry = this.pending.get(key);
    if (!entry) {
      const controller = new AbortController();
      const created: Pending<T> = {
        controller,
        waiting: 0,
        promise: task(controller.signal).finally(() => {
          if (this.pending.get(key) === created) this.pending.delete(key);
        }),
      };
      entry = created;
      this.pending.set(key, entry);
    }
    if (!signal) {
      entry.waiting = Infinity;
      return entry.promise;
    }
    const shared = entry;
    shared.waiting++;
    const leave = () => {
      if (--shared.waiting === 0) {
        if (this.pending.get(key) === shared) this.pending.delete(key);
        shared.controller.abort(signal.reason);
      }
    };
    signal.addEventListener('abort', leave, { once: true });
    const own = abortable(shared.promise, signal);
    own.then(
      () => signal.removeEventListener('abort', leave),
      () => signal.removeEventListener('abort', leave),
    );
    return own;
  }
}
