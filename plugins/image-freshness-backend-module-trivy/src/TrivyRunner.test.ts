import path from 'node:path';
import {
  FakeTrivyDir,
  fakeTrivyDir,
  printReport,
  trivyReport,
} from '@internal/test/harness/fakeTrivy';
import {
  TrivyFailedError,
  TrivyRunner,
  TrivyTimeoutError,
} from './TrivyRunner';

jest.setTimeout(30_000);

const REFERENCE = `registry.example.com/team/api@sha256:${'1'.repeat(64)}`;

describe('TrivyRunner', () => {
  let fake: FakeTrivyDir;
  beforeAll(() => {
    fake = fakeTrivyDir();
  });
  afterAll(() => fake.remove());

  const env = () => ({
    ...process.env,
    PATH: `${fake.dir}:${process.env.PATH}`,
  });

  it('finds trivy on the PATH or at the configured path, with its version', async () => {
    const file = fake.write('trivy', 'exit 0');
    expect(await TrivyRunner.locate({ env: env() })).toEqual({
      available: true,
      path: file,
      version: '0.58.1',
    });
    const other = fake.write('my-trivy', 'exit 0');
    expect(await TrivyRunner.locate({ path: other })).toEqual({
      available: true,
      path: other,
      version: '0.58.1',
    });
    expect(await TrivyRunner.locate({ path: 'my-trivy', env: env() })).toEqual({
      available: true,
      path: other,
      version: '0.58.1',
    });
  });

  it('reports trivy as unavailable, and why, when it is missing or broken (no trivy is installed here)', async () => {
    // The machine's own PATH: Trivy cannot be installed here.
    expect(await TrivyRunner.locate({})).toEqual({
      available: false,
      reason:
        'no trivy binary on the PATH; install Trivy or set imageFreshness.trivy.path',
    });
    expect(
      await TrivyRunner.locate({ path: path.join(fake.dir, 'nothing') }),
    ).toEqual({
      available: false,
      reason: expect.stringMatching(
        /trivy.path ".*nothing" is not an executable file$/,
      ),
    });
    expect(await TrivyRunner.locate({ path: 'no-such-trivy' })).toEqual({
      available: false,
      reason: expect.stringContaining('is not an executable file on the PATH'),
    });
    const broken = path.join(fake.dir, 'broken');
    require('node:fs').writeFileSync(
      broken,
      '#!/bin/sh\necho "cannot open the cache" >&2\nexit 3\n',
      { mode: 0o755 },
    );
    expect(await TrivyRunner.locate({ path: broken })).toEqual({
      available: false,
      reason: `${broken} --version exited with 3: cannot open the cache`,
    });
  });

  it('scans a remote image and counts its report; credentials go through the environment only', async () => {
    const file = fake.write(
      'trivy-report',
      printReport(
        trivyReport([
          { severities: ['CRITICAL', 'HIGH', 'LOW'] },
          { severities: ['HIGH'] },
        ]),
      ),
    );
    const runner = new TrivyRunner({
      path: file,
      severities: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'],
      timeoutMs: 5_000,
      args: ['--cache-dir', '/tmp/trivy-cache'],
    });
    expect(
      await runner.scan({
        reference: REFERENCE,
        platform: 'linux/arm64',
        insecure: true,
        credentials: { username: 'bot', password: 's3cret' },
      }),
    ).toEqual({
      counts: { CRITICAL: 1, HIGH: 2, MEDIUM: 0, LOW: 1 },
      total: 4,
    });
    const [call] = fake.calls('trivy-report');
    expect(call.args).toEqual([
      'image',
      '--format',
      'json',
      '--quiet',
      '--scanners',
      'vuln',
      '--image-src',
      'remote',
      '--severity',
      'CRITICAL,HIGH,MEDIUM,LOW',
      '--timeout',
      '5s',
      '--platform',
      'linux/arm64',
      '--insecure',
      '--cache-dir',
      '/tmp/trivy-cache',
      REFERENCE,
    ]);
    expect(call.args.join(' ')).not.toContain('s3cret');
    expect(call.env).toMatchObject({
      TRIVY_USERNAME: 'bot',
      TRIVY_PASSWORD: 's3cret',
    });

    await runner.scan({
      reference: REFERENCE,
      credentials: { token: 't0ken' },
    });
    expect(fake.calls('trivy-report')[1].env).toMatchObject({
      TRIVY_REGISTRY_TOKEN: 't0ken',
    });
  });

  it('kills a scan that outlives its timeout, with what it started', async () => {
    const file = fake.write(
      'trivy-slow',
      // a child that would keep the output open if only the shell were killed
      'sleep 30 &\nwait\n',
    );
    const runner = new TrivyRunner({
      path: file,
      severities: ['CRITICAL'],
      timeoutMs: 700,
    });
    const started = Date.now();
    const error = await runner
      .scan({ reference: REFERENCE })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrivyTimeoutError);
    expect((error as Error).message).toBe(
      `Trivy did not finish scanning ${REFERENCE} within 1 s; it was stopped and the image skipped. Raise imageFreshness.trivy.timeout if this persists.`,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("fails with Trivy's own message when it exits with an error or prints no report", async () => {
    const failing = fake.write(
      'trivy-fails',
      'echo "2026-11-22T10:00:00Z\tFATAL\tunable to find the specified image" >&2\nexit 1',
    );
    const runner = (file: string) =>
      new TrivyRunner({ path: file, severities: ['HIGH'], timeoutMs: 5_000 });
    await expect(
      runner(failing).scan({ reference: REFERENCE }),
    ).rejects.toThrow(
      new TrivyFailedError(
        `Trivy exited with 1 scanning ${REFERENCE}: 2026-11-22T10:00:00Z\tFATAL\tunable to find the specified image`,
      ),
    );
    const table = fake.write('trivy-table', 'echo "Total: 3 (HIGH: 3)"');
    await expect(runner(table).scan({ reference: REFERENCE })).rejects.toThrow(
      /not JSON/,
    );
  });
});
