import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useCallback, useEffect, useRef, useState } from 'react';
import { imageFreshnessApiRef, retryAfterSeconds } from '../api';
import { nowMillis } from '../lib/clock';

/** Where a refresh the user asked for stands. */
export type RefreshState =
  | { phase: 'idle' }
  | { phase: 'requesting' }
  /** Accepted (202); waiting for the report's refresh time to change. */
  | { phase: 'waiting'; since?: string; startedAt: number }
  | { phase: 'done'; refreshedAt?: string }
  /** Accepted, but no new report within the wait. */
  | { phase: 'slow' }
  | { phase: 'rate-limited'; until: number; message: string }
  | { phase: 'failed'; error: Error };

const POLL_MS = 2_000;
const WAIT_MS = 60_000;

/**
 * Asks the backend to refresh an entity (`POST .../refresh`), then reloads
 * the report every 2 s until its refresh time changes (at most a minute). A
 * 429 answer becomes a countdown from its `Retry-After`.
 */
export function useRefreshEntity(options: {
  entityRef: CompoundEntityRef;
  /** The shown report's `refreshedAt`. */
  refreshedAt?: string;
  /** Reloads the report. */
  reload: () => void;
  /** Poll interval, for tests. */
  pollMs?: number;
}) {
  const { entityRef, refreshedAt, reload } = options;
  const pollMs = options.pollMs ?? POLL_MS;
  const api = useApi(imageFreshnessApiRef);
  const [state, setState] = useState<RefreshState>({ phase: 'idle' });
  const [now, setNow] = useState(() => nowMillis());
  const reloadRef = useRef(reload);
  reloadRef.current = reload;

  const refresh = useCallback(async () => {
    setState({ phase: 'requesting' });
    try {
      await api.refreshEntity(entityRef);
      setState({
        phase: 'waiting',
        since: refreshedAt,
        startedAt: nowMillis(),
      });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      const wait = retryAfterSeconds(error);
      if (wait !== undefined) {
        const cause = (error as { cause?: Error }).cause;
        setState({
          phase: 'rate-limited',
          until: nowMillis() + wait * 1000,
          message: cause?.message ?? error.message,
        });
        setNow(nowMillis());
      } else {
        setState({ phase: 'failed', error });
      }
    }
  }, [api, entityRef, refreshedAt]);

  // Waiting: reload until the report says it was refreshed again.
  useEffect(() => {
    if (state.phase !== 'waiting') {
      return undefined;
    }
    if (refreshedAt && refreshedAt !== state.since) {
      setState({ phase: 'done', refreshedAt });
      return undefined;
    }
    const timer = setInterval(() => {
      if (nowMillis() - state.startedAt > WAIT_MS) {
        setState({ phase: 'slow' });
      } else {
        reloadRef.current();
      }
    }, pollMs);
    return () => clearInterval(timer);
  }, [state, refreshedAt, pollMs]);

  // Rate limited: count down, then allow again.
  useEffect(() => {
    if (state.phase !== 'rate-limited') {
      return undefined;
    }
    const timer = setInterval(() => {
      const current = nowMillis();
      setNow(current);
      if (current >= state.until) {
        setState({ phase: 'idle' });
      }
    }, 1_000);
    return () => clearInterval(timer);
  }, [state]);

  const secondsLeft =
    state.phase === 'rate-limited'
      ? Math.max(0, Math.ceil((state.until - now) / 1000))
      : 0;
  const busy =
    state.phase === 'requesting' ||
    state.phase === 'waiting' ||
    state.phase === 'rate-limited';
  return { state, refresh, busy, secondsLeft };
}
