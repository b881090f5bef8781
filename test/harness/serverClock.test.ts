import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireBinaries } from './registry';
import { realClockEnv } from './serverClock';

jest.setTimeout(60_000);

const DAY_MS = 86_400_000;

/** Runs a snippet in a Node child, under `faketime` when given a shift, printing a number. */
async function inChild(shift: string | undefined, code: string) {
  const node = [
    'node',
    '--require',
    require.resolve('@backstage/cli-node/config/nodeTransform.cjs'),
    '-e',
    code,
  ];
  const [command, ...args] = shift ? ['faketime', '-f', shift, ...node] : node;
  const { stdout } = await promisify(execFile)(command, args, {
    cwd: __dirname,
    env: { ...realClockEnv(), FAKETIME_DONT_FAKE_MONOTONIC: '1' },
  });
  return Number(stdout.trim());
}

describe('the servers clock', () => {
  const module = JSON.stringify(path.join(__dirname, 'serverClock.ts'));

  it('is the process clock when nothing shifts it', async () => {
    expect(
      await inChild(
        undefined,
        `console.log(require(${module}).serverClockOffsetMs())`,
      ),
    ).toBe(0);
  });

  it('takes back the shift libfaketime gives a test process', async () => {
    requireBinaries('faketime');
    const offset = await inChild(
      '+30d',
      `console.log(require(${module}).serverClockOffsetMs())`,
    );
    expect(offset).toBeGreaterThan(-30 * DAY_MS - 60_000);
    expect(offset).toBeLessThan(-30 * DAY_MS + 60_000);
    const serverNow = await inChild(
      '+30d',
      `console.log(require(${module}).serverNow())`,
    );
    // the real date, as a child without libfaketime reads it
    const real = await inChild(undefined, 'console.log(Date.now())');
    expect(Math.abs(serverNow - real)).toBeLessThan(60_000);
  });

  it('starts children without libfaketime, keeping the rest of the environment', () => {
    expect(
      realClockEnv({
        LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
        FAKETIME: '+400d',
        PATH: '/usr/bin',
      }),
    ).toEqual({ PATH: '/usr/bin' });
    expect(
      realClockEnv({
        LD_PRELOAD: '/opt/libother.so:/usr/lib/faketime/libfaketimeMT.so.1',
        PATH: '/usr/bin',
      }),
    ).toEqual({ LD_PRELOAD: '/opt/libother.so', PATH: '/usr/bin' });
  });
});
