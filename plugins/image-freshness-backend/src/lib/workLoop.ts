import type { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import type { Clock } from 'backstage-plugin-image-freshness-common';
import { Duration } from 'luxon';
import { yieldToEventLoop } from './eventLoop';

/** What one run of {@link runWorkLoop} did with the items it listed. */
export interface WorkLoopResult {
  /** Items processed without failure. */
  processed: number;
  /** Items whose processing threw or answered `'failed'`. */
  failed: number;
  /**
   * Items listed as due but not finished in this run: not started because the
   * signal aborted, or still running when the grace period after it ran out.
   * They keep their due time, so they come first next time.
   */
  remaining: number;
  /** Whether the signal had aborted by the end of the run. */
  aborted: boolean;
}

/** Time given to items under way when the signal aborts before the run returns without them. */
export const WORK_LOOP_ABORT_GRACE_MS = 5000;

/**
 * One run of a scheduled work loop, the shape of the community Linguist
 * backend's: each item has its own processed (next-due) time, kept by the
 * caller; a run lists the items due now, oldest due first, at most
 * `batchSize` of them, and processes them `concurrency` at a time. It ends
 * when the list is done (nothing more is due, or the batch is spent) or when
 * `signal` aborts: no item starts after that, and the items under way get
 * `graceMs` to finish before the run returns without them. One failing item
 * never stops the others; `process` records its outcome (a failure too) so the
 * item is not due again at once.
 *
 * The clock is read once: `listDue` and `process` get the same `now`, the
 * time the run's due decisions and processed times count from.
 */
export async function runWorkLoop<T>(options: {
  /** The items due at `now`, oldest due first, at most `limit`. */
  listDue(request: { now: Date; limit: number }): Promise<readonly T[]>;
  /** Processes one item; throws, or answers `'failed'` for a failure it recorded itself. */
  process(
    item: T,
    context: { now: Date; signal: AbortSignal },
  ): Promise<void | 'failed'>;
  /** Told about an item whose `process` threw (for the log). */
  onError?(item: T, error: unknown): void;
  /** The most items one run processes. */
  batchSize: number;
  /** Items processed side by side (default 1: one after another). */
  concurrency?: number;
  /** The scheduler's: when it aborts (shutdown, timeout), the run stops. */
  signal?: AbortSignal;
  now: Clock;
  /** Default {@link WORK_LOOP_ABORT_GRACE_MS}. */
  graceMs?: number;
}): Promise<WorkLoopResult> {
  const signal = options.signal ?? new AbortController().signal;
  if (signal.aborted) {
    return { processed: 0, failed: 0, remaining: 0, aborted: true };
  }
  const now = options.now();
  const limit = Math.max(0, Math.floor(options.batchSize));
  const items =
    limit > 0 ? (await options.listDue({ now, limit })).slice(0, limit) : [];
  let next = 0;
  let processed = 0;
  let failed = 0;
  const worker = async () => {
    for (;;) {
      // Requests waiting for the event loop go first, between items.
      await yieldToEventLoop();
      if (next >= items.length || signal.aborted) break;
      const item = items[next++];
      try {
        if ((await options.process(item, { now, signal })) === 'failed') {
          failed++;
        } else {
          processed++;
        }
      } catch (error) {
        failed++;
        options.onError?.(item, error);
      }
    }
  };
  const workers = Math.min(Math.max(1, options.concurrency ?? 1), items.length);
  await settleOrGiveUp(
    Promise.all(Array.from({ length: workers }, worker)),
    signal,
    options.graceMs ?? WORK_LOOP_ABORT_GRACE_MS,
  );
  return {
    processed,
    failed,
    remaining: items.length - processed - failed,
    aborted: signal.aborted,
  };
}

/** Waits for `work`, but no longer than `graceMs` after `signal` aborts. */
async function settleOrGiveUp(
  work: Promise<unknown>,
  signal: AbortSignal,
  graceMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const givenUp = new Promise<void>(resolve => {
    onAbort = () => {
      timer = setTimeout(resolve, graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([work, givenUp]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * How often a schedule runs its task: the frequency as a duration, or
 * undefined for a cron expression or a manual trigger (no fixed interval).
 */
export function scheduleInterval(
  frequency: SchedulerServiceTaskScheduleDefinition['frequency'],
): Duration | undefined {
  if ('cron' in frequency || 'trigger' in frequency) return undefined;
  return Duration.isDuration(frequency)
    ? frequency
    : Duration.fromObject(frequency);
}
