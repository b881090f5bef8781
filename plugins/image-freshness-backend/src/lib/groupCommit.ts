import { yieldToEventLoop } from './eventLoop';

/**
 * Group commit: writes submitted in the same turn of the event loop, or
 * while another write is under way, go together in one (at most `maxBatch`
 * at a time). A refresh saves entities several at once; on SQLite every
 * write holds the one connection, so one transaction for a group costs a few
 * statements where one per entity cost a few each. Each group waits for the
 * event loop's next turn first: the items submitted meanwhile join it, and
 * requests waiting for the loop are served between groups.
 *
 * A group that fails is written again one item at a time, so a bad item
 * fails only its own caller and the others are kept.
 */
export class GroupCommit<T> {
  private readonly queue: Array<{
    item: T;
    resolve: () => void;
    reject: (error: unknown) => void;
  }> = [];
  private writing = false;

  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly maxBatch: number,
  ) {}

  /** Resolves once `item` is written (with the items grouped with it). */
  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        await yieldToEventLoop();
        const group = this.queue.splice(0, this.maxBatch);
        try {
          await this.write(group.map(entry => entry.item));
          group.forEach(entry => entry.resolve());
        } catch (error) {
          if (group.length === 1) {
            group[0].reject(error);
            continue;
          }
          for (const entry of group) {
            await this.write([entry.item]).then(entry.resolve, entry.reject);
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }
}

/**
 * Splits `items` into rounds in which no key repeats, keeping their order:
 * `[a1, b1, a2]` gives `[[a1, b1], [a2]]`. A group written round after round
 * ends as the items written one after another would.
 */
export function distinctRounds<T>(
  items: T[],
  keyOf: (item: T) => string,
): T[][] {
  const rounds: T[][] = [];
  const seen: Array<Set<string>> = [];
  for (const item of items) {
    const key = keyOf(item);
    let round = 0;
    for (let r = seen.length - 1; r >= 0; r--) {
      if (seen[r].has(key)) {
        round = r + 1;
        break;
      }
    }
    if (round === rounds.length) {
      rounds.push([]);
      seen.push(new Set());
    }
    rounds[round].push(item);
    seen[round].add(key);
  }
  return rounds;
}

/**
 * One item per key, the last of each winning, in the order keys first
 * appear: what a group written as one upsert keeps, as one upsert after
 * another would have ended.
 */
export function lastByKey<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
): T[] {
  return [...new Map(items.map(item => [keyOf(item), item])).values()];
}

/**
 * Read coalescing, the reading side of {@link GroupCommit}: single-key reads
 * asked in the same turn of the event loop go to the database as one query
 * for all their keys (at most `maxBatch` at a time). A refresh reads the
 * last stored rows of the entities it saved together, so they arrive
 * together. A key the query does not answer gets `missing()`.
 */
export class GroupRead<K, V> {
  private pending = new Map<
    K,
    Array<{ resolve: (value: V) => void; reject: (error: unknown) => void }>
  >();

  constructor(
    private readonly read: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
    private readonly missing: () => V,
    private readonly maxBatch: number,
  ) {}

  get(key: K): Promise<V> {
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) {
        void yieldToEventLoop().then(() => this.flush());
      }
      const waiting = this.pending.get(key) ?? [];
      waiting.push({ resolve, reject });
      this.pending.set(key, waiting);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch) {
      const chunk = keys.slice(i, i + this.maxBatch);
      try {
        const found = await this.read(chunk);
        for (const key of chunk) {
          const value = found.get(key);
          for (const waiting of batch.get(key)!) {
            waiting.resolve(value === undefined ? this.missing() : value);
          }
        }
      } catch (error) {
        for (const key of chunk) {
          batch.get(key)!.forEach(waiting => waiting.reject(error));
        }
      }
    }
  }
}
