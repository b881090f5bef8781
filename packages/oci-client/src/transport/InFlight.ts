/**
 * Shares one pending promise among identical concurrent calls: the second
 * caller of `run(key)` gets the first caller's promise until it settles.
 *
 * @public
 */
export class InFlight<T> {
  private readonly pending = new Map<string, Promise<T>>();

  run(key: string, task: () => Promise<T>): Promise<T> {
    let promise = this.pending.get(key);
    if (!promise) {
      promise = task().finally(() => this.pending.delete(key));
      this.pending.set(key, promise);
    }
    return promise;
  }
}
