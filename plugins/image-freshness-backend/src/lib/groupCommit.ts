/**
 * Group commit: writes that arrive while another write is under way wait,
 * and go together in the next one (at most `maxBatch` at a time). A refresh
 * saves entities several at once; on SQLite every write holds the one
 * connection, so one transaction for a group costs a few statements where
 * one per entity cost a few each.
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
