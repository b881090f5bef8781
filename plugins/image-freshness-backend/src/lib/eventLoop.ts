/**
 * Lets the event loop run what waits (incoming requests, timers, I/O) before
 * going on. Long chains of promises, such as a refresh whose database calls
 * answer at once (better-sqlite3 is synchronous), otherwise run back to back
 * in the microtask queue and hold every request behind them.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise(resolve => setImmediate(resolve));
}
