import { Layer } from './roundTrip';

/** The reason an attempt's signal aborts when its time is up (unlike a caller's abort, retried). */
export class AttemptTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Bounds each attempt, body and redirects included: the exchange's signal
 * aborts after `timeoutMs(registry)` with an {@link AttemptTimeout}, or at
 * once when the caller's own signal aborts (with the caller's reason).
 */
export function timeoutLayer(timeoutMs: (registry: string) => number): Layer {
  return next => async exchange => {
    const ms = timeoutMs(exchange.registry);
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new AttemptTimeout(ms)),
      ms,
    );
    const caller = exchange.signal;
    const onAbort = () => controller.abort(caller?.reason);
    if (caller?.aborted) {
      onAbort();
    } else {
      caller?.addEventListener('abort', onAbort, { once: true });
    }
    try {
      return await next({ ...exchange, signal: controller.signal });
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  };
}
