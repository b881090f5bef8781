import { distinctRounds, GroupCommit, GroupRead } from './groupCommit';

/** A write that records each group it was given; `bad` items make it throw. */
function recordingWrite(bad: Set<number> = new Set()) {
  const groups: number[][] = [];
  const written: number[] = [];
  const write = async (items: number[]) => {
    groups.push([...items]);
    await new Promise(resolve => setImmediate(resolve));
    const refused = items.find(item => bad.has(item));
    if (refused !== undefined) throw new Error(`item ${refused} refused`);
    written.push(...items);
  };
  return { write, groups, written };
}

describe('GroupCommit', () => {
  it('writes the items submitted in one turn together, and what arrived during that write in the next group', async () => {
    const { write, groups, written } = recordingWrite();
    const commit = new GroupCommit(write, 100);
    const first = [1, 2, 3].map(i => commit.submit(i));
    // submitted once the first group is being written
    await new Promise(resolve => setImmediate(resolve));
    const second = [4, 5].map(i => commit.submit(i));
    await Promise.all([...first, ...second]);
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(written).toEqual([1, 2, 3, 4, 5]);
  });

  it('groups at most maxBatch items', async () => {
    const { write, groups } = recordingWrite();
    const commit = new GroupCommit(write, 2);
    await Promise.all([1, 2, 3, 4, 5].map(i => commit.submit(i)));
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('serves the event loop between groups', async () => {
    const { write } = recordingWrite();
    const commit = new GroupCommit(write, 1);
    const order: string[] = [];
    const all = Promise.all(
      [1, 2, 3].map(i => commit.submit(i).then(() => order.push(`item ${i}`))),
    );
    // a timer due at once (an incoming request, say) runs before the last group
    setTimeout(() => order.push('timer'), 0);
    await all;
    expect(order.indexOf('timer')).toBeLessThan(order.indexOf('item 3'));
  });

  it('resolves a caller only once its item is written', async () => {
    const { write, written } = recordingWrite();
    const commit = new GroupCommit(write, 10);
    const seen: number[][] = [];
    await Promise.all(
      [1, 2, 3].map(i => commit.submit(i).then(() => seen.push([...written]))),
    );
    expect(seen[0]).toContain(1);
    expect(seen[2]).toEqual([1, 2, 3]);
  });

  it('fails only the caller of a bad item: its group is written again one by one', async () => {
    const { write, written } = recordingWrite(new Set([3]));
    const commit = new GroupCommit(write, 10);
    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4].map(i => commit.submit(i)),
    );
    expect(outcomes.map(o => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    expect((outcomes[2] as PromiseRejectedResult).reason.message).toBe(
      'item 3 refused',
    );
    expect(written.sort()).toEqual([1, 2, 4]);
    // later submissions are still written
    await commit.submit(5);
    expect(written).toContain(5);
  });
});

describe('distinctRounds', () => {
  it('puts a repeated key in a later round than its previous use, keeping order', () => {
    const rounds = distinctRounds(
      ['a1', 'b1', 'a2', 'c1', 'a3', 'b2'],
      item => item[0],
    );
    expect(rounds).toEqual([['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']]);
  });
});

describe('GroupRead', () => {
  /** A read of a fixed table that records the keys of each query; `fail` makes it throw. */
  function recordingRead(table: Record<string, number>, fail = false) {
    const queries: string[][] = [];
    const read = async (keys: string[]) => {
      queries.push([...keys]);
      if (fail) throw new Error('database gone');
      return new Map(
        keys.filter(k => k in table).map(k => [k, table[k]] as const),
      );
    };
    return { read, queries };
  }

  it('answers the keys asked in one turn with one query, a missing key with missing()', async () => {
    const { read, queries } = recordingRead({ a: 1, b: 2 });
    const reads = new GroupRead(read, () => 0, 10);
    const answers = await Promise.all(
      ['a', 'b', 'a', 'x'].map(k => reads.get(k)),
    );
    expect(answers).toEqual([1, 2, 1, 0]);
    expect(queries).toEqual([['a', 'b', 'x']]);
  });

  it('asks at most maxBatch keys per query, and a later turn again', async () => {
    const { read, queries } = recordingRead({ a: 1, b: 2, c: 3 });
    const reads = new GroupRead(read, () => 0, 2);
    expect(await Promise.all(['a', 'b', 'c'].map(k => reads.get(k)))).toEqual([
      1, 2, 3,
    ]);
    expect(await reads.get('a')).toBe(1);
    expect(queries).toEqual([['a', 'b'], ['c'], ['a']]);
  });

  it('fails the callers of a failed query, and reads again for the next', async () => {
    const failing = recordingRead({ a: 1 }, true);
    const reads = new GroupRead(failing.read, () => 0, 10);
    await expect(reads.get('a')).rejects.toThrow('database gone');
    const working = recordingRead({ a: 1 });
    const again = new GroupRead(working.read, () => 0, 10);
    expect(await again.get('a')).toBe(1);
  });
});
