import { abortable } from './abort';
import { Layer } from './roundTrip';

/**
 * Decides when an attempt may go: resolves when it may, soon. Given the
 * attempt's registry and signal; a wait that outlives the signal is
 * abandoned (the attempt rejects with the signal's reason).
 */
export type Admit = (registry: string, signal?: AbortSignal) => Promise<void>;

/**
 * Holds each attempt until `admit` lets it go, before it takes its host's
 * slot: an application's say in when registry work runs (e.g. background
 * work that waits while the application serves its readers). A no-op
 * without `admit`.
 */
export function admitLayer(admit: Admit | undefined): Layer {
  if (!admit) return next => next;
  return next => async exchange => {
    await abortable(admit(exchange.registry, exchange.signal), exchange.signal);
    return next(exchange);
  };
}
