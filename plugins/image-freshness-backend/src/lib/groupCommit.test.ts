import { distinctRounds, GroupCommit } from './groupCommit';

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
  it('writes the first item alone and what arrived meanwhile in one group', async () => {
    const { write, groups, written } = recordingWrite();
    const commit = new GroupCommit(write, 100);
    await Promise.all([1, 2, 3, 4, 5].map(i => commit.submit(i)));
    expect(groups).toEqual([[1], [2, 3, 4, 5]]);
    expect(written).toEqual([1, 2, 3, 4, 5]);
  });

  it('groups at most maxBatch items', async () => {
    const { write, groups } = recordingWrite();
    const commit = new GroupCommit(write, 2);
    await Promise.all([1, 2, 3, 4, 5].map(i => commit.submit(i)));
    expect(groups).toEqual([[1], [2, 3], [4, 5]]);
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
