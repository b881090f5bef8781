import { InFlight } from './InFlight';

describe('InFlight', () => {
  it('shares one pending promise among identical concurrent calls', async () => {
    const shared = new InFlight<number>();
    let calls = 0;
    const task = async () => ++calls;
    const [a, b] = await Promise.all([
      shared.run('k', task),
      shared.run('k', task),
    ]);
    expect([a, b, calls]).toEqual([1, 1, 1]);
    expect(await shared.run('k', task)).toBe(2);
  });

  it('lets one caller abort without failing the others, and aborts the work when all have left', async () => {
    const shared = new InFlight<string>();
    let workSignal: AbortSignal | undefined;
    let finish = (_: string) => {};
    const task = (signal: AbortSignal) => {
      workSignal = signal;
      return new Promise<string>(resolve => (finish = resolve));
    };
    const first = new AbortController();
    const second = new AbortController();
    const a = shared.run('k', task, first.signal).catch(e => e);
    const b = shared.run('k', task, second.signal);
    first.abort();
    expect((await a).name).toBe('AbortError');
    expect(workSignal?.aborted).toBe(false);
    finish('done');
    expect(await b).toBe('done');

    const c = shared.run('j', task, first.signal).catch(e => e);
    expect((await c).name).toBe('AbortError'); // aborted already
    const d = new AbortController();
    const pending = shared.run('j', task, d.signal).catch(e => e);
    d.abort(new Error('gone'));
    expect((await pending).message).toBe('gone');
    expect(workSignal?.aborted).toBe(true);
    // a new caller does not join the abandoned work
    const fresh = shared.run('j', task);
    finish('again');
    expect(await fresh).toBe('again');
  });
});
