import { Duration } from 'luxon';
import { runWorkLoop, scheduleInterval } from './workLoop';

const NOW = new Date('2026-11-24T10:00:00Z');

/** A work list with a due time per item, as a store keeps it. */
function workList(dueTimes: Record<string, string | null>) {
  const due = new Map(
    Object.entries(dueTimes).map(([item, at]) => [
      item,
      at === null ? -Infinity : Date.parse(at),
    ]),
  );
  const requests: Array<{ now: Date; limit: number }> = [];
  return {
    requests,
    async listDue(request: { now: Date; limit: number }) {
      requests.push(request);
      return [...due]
        .filter(([, at]) => at <= request.now.getTime())
        .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
        .slice(0, request.limit)
        .map(([item]) => item);
    },
  };
}

const deferred = () => {
  let resolve = () => {};
  const promise = new Promise<void>(r => {
    resolve = r;
  });
  return { promise, resolve };
};

describe('runWorkLoop', () => {
  it('processes the due items, never processed first then the oldest, at most a batch, at the time it read once', async () => {
    const list = workList({
      recent: '2026-11-24T09:59:00Z',
      never: null,
      old: '2026-11-20T00:00:00Z',
      older: '2026-11-01T00:00:00Z',
      future: '2026-11-24T11:00:00Z',
    });
    const done: Array<[string, Date]> = [];
    let reads = 0;
    const result = await runWorkLoop({
      listDue: request => list.listDue(request),
      process: async (item, { now }) => {
        done.push([item, now]);
      },
      batchSize: 3,
      now: () => {
        reads++;
        return NOW;
      },
    });
    expect(result).toEqual({
      processed: 3,
      failed: 0,
      remaining: 0,
      aborted: false,
    });
    expect(done).toEqual([
      ['never', NOW],
      ['older', NOW],
      ['old', NOW],
    ]);
    expect(list.requests).toEqual([{ now: NOW, limit: 3 }]);
    expect(reads).toBe(1);
  });

  it('ends when nothing more is due, and lists nothing for an empty batch', async () => {
    const list = workList({ a: '2026-11-24T09:00:00Z', b: null });
    const done: string[] = [];
    const process = async (item: string) => {
      done.push(item);
    };
    expect(
      await runWorkLoop({
        listDue: r => list.listDue(r),
        process,
        batchSize: 100,
        now: () => NOW,
      }),
    ).toEqual({ processed: 2, failed: 0, remaining: 0, aborted: false });
    expect(done).toEqual(['b', 'a']);
    expect(
      await runWorkLoop({
        listDue: r => list.listDue(r),
        process,
        batchSize: 0,
        now: () => NOW,
      }),
    ).toEqual({ processed: 0, failed: 0, remaining: 0, aborted: false });
    expect(list.requests).toHaveLength(1);
  });

  it('processes `concurrency` items side by side, never more', async () => {
    const items = Array.from({ length: 10 }, (_, i) => `item-${i}`);
    let running = 0;
    let most = 0;
    const result = await runWorkLoop({
      listDue: async () => items,
      process: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise(r => setTimeout(r, 5));
        running--;
      },
      batchSize: 10,
      concurrency: 3,
      now: () => NOW,
    });
    expect(result.processed).toBe(10);
    expect(most).toBe(3);
  });

  it('counts a failing item and goes on with the others', async () => {
    const errors: Array<[string, string]> = [];
    const done: string[] = [];
    const result = await runWorkLoop({
      listDue: async () => ['a', 'throws', 'b', 'recorded-failure', 'c'],
      process: async item => {
        if (item === 'throws') throw new Error('registry down');
        if (item === 'recorded-failure') return 'failed';
        done.push(item);
        return undefined;
      },
      onError: (item, error) => errors.push([item, (error as Error).message]),
      batchSize: 10,
      now: () => NOW,
    });
    expect(result).toEqual({
      processed: 3,
      failed: 2,
      remaining: 0,
      aborted: false,
    });
    expect(done).toEqual(['a', 'b', 'c']);
    expect(errors).toEqual([['throws', 'registry down']]);
  });

  it('starts no item once the signal aborts, and lets the ones under way finish', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const finished: string[] = [];
    const items = Array.from({ length: 20 }, (_, i) => `item-${i}`);
    const result = await runWorkLoop({
      listDue: async () => items,
      process: async (item, { signal }) => {
        started.push(item);
        if (started.length === 5) controller.abort();
        await new Promise(r => setTimeout(r, 10));
        expect(signal.aborted).toBe(started.length >= 5);
        finished.push(item);
      },
      batchSize: 20,
      concurrency: 2,
      signal: controller.signal,
      now: () => NOW,
    });
    // the fifth started while the fourth ran; nothing after it
    expect(started).toEqual(items.slice(0, 5));
    expect(finished.sort()).toEqual([...started].sort());
    expect(result).toEqual({
      processed: 5,
      failed: 0,
      remaining: 15,
      aborted: true,
    });
  });

  it('returns a grace period after the abort without an item that does not finish', async () => {
    const controller = new AbortController();
    const stuck = deferred();
    const begun = performance.now();
    const result = await runWorkLoop({
      listDue: async () => ['quick', 'stuck', 'never-started'],
      process: async item => {
        if (item === 'stuck') {
          setTimeout(() => controller.abort(), 10);
          await stuck.promise;
        }
      },
      batchSize: 3,
      signal: controller.signal,
      now: () => NOW,
      graceMs: 100,
    });
    const elapsed = performance.now() - begun;
    expect(result).toEqual({
      processed: 1,
      failed: 0,
      remaining: 2,
      aborted: true,
    });
    expect(elapsed).toBeGreaterThanOrEqual(100);
    expect(elapsed).toBeLessThan(5000);
    stuck.resolve();
  });

  it('does nothing when the signal aborted before the run', async () => {
    const list = workList({ a: null });
    const controller = new AbortController();
    controller.abort();
    const result = await runWorkLoop({
      listDue: r => list.listDue(r),
      process: async () => {
        throw new Error('not expected');
      },
      batchSize: 10,
      signal: controller.signal,
      now: () => NOW,
    });
    expect(result).toEqual({
      processed: 0,
      failed: 0,
      remaining: 0,
      aborted: true,
    });
    expect(list.requests).toEqual([]);
  });
});

describe('scheduleInterval', () => {
  it('answers the frequency of a schedule with one, else undefined', () => {
    expect(scheduleInterval({ minutes: 30 })?.toMillis()).toBe(1_800_000);
    expect(
      scheduleInterval(Duration.fromObject({ seconds: 3 }))?.toMillis(),
    ).toBe(3000);
    expect(scheduleInterval({ cron: '*/5 * * * *' })).toBeUndefined();
    expect(scheduleInterval({ trigger: 'manual' })).toBeUndefined();
  });
});
