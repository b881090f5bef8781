/**
 * Shared pieces of the `*.fuzz.test.ts` files: each generated case runs under a
 * bound on the CPU time it uses (a blow-up fails it; a loaded machine, which
 * stretches wall time but not CPU time, does not), an asynchronous case that
 * never settles fails as hung, and only the project's classified errors may
 * escape. No property has a wall-clock limit on the whole run: every generated
 * case runs, however busy the machine. fast-check's default random seed is
 * kept; a failure prints the seed, the path and the counterexample.
 */

/** The most CPU time one case may use: far above any real input, far below a blow-up. */
export const CASE_LIMIT_MS = 1000;

/** How long an asynchronous case may wait for an answer, in wall time, before it counts as hung. */
const HUNG_AFTER_MS = 60_000;

/**
 * Starts measuring the CPU time this process uses (user and system, all
 * threads); the function it returns gives the milliseconds used since. Unlike
 * wall time, this does not grow when other processes load the machine.
 */
export function startCaseClock(): () => number {
  const started = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(started);
    return (used.user + used.system) / 1000;
  };
}

/** How one case ended: its answer or its error, and how long it took. */
export type CaseOutcome<T> =
  | { ok: true; value: T; ms: number }
  | { ok: false; error: unknown; ms: number };

function timeBound(ms: number, input: unknown) {
  if (ms > CASE_LIMIT_MS) {
    throw new Error(
      `one case used ${Math.round(
        ms,
      )} ms of CPU time (limit ${CASE_LIMIT_MS} ms) for input ${printable(
        input,
      )}`,
    );
  }
}

/** A short printable form of an input for failure messages. */
export function printable(input: unknown): string {
  let text: string;
  try {
    text =
      (typeof input === 'string' ? input : JSON.stringify(input)) ??
      String(input);
  } catch {
    text = String(input);
  }
  return JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}…` : text);
}

/** Runs `fn` on one case and fails when it uses more CPU time than {@link CASE_LIMIT_MS}. */
export function runCase<T>(input: unknown, fn: () => T): CaseOutcome<T> {
  const elapsed = startCaseClock();
  let outcome: CaseOutcome<T>;
  try {
    outcome = { ok: true, value: fn(), ms: 0 };
  } catch (error) {
    outcome = { ok: false, error, ms: 0 };
  }
  outcome.ms = elapsed();
  timeBound(outcome.ms, input);
  return outcome;
}

/** {@link runCase} for asynchronous code: also fails a promise that never settles. */
export async function runCaseAsync<T>(
  input: unknown,
  fn: () => Promise<T>,
): Promise<CaseOutcome<T>> {
  const elapsed = startCaseClock();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hung: no answer within ${HUNG_AFTER_MS} ms`)),
      HUNG_AFTER_MS,
    );
  });
  let outcome: CaseOutcome<T>;
  try {
    outcome = { ok: true, value: await Promise.race([fn(), hung]), ms: 0 };
  } catch (error) {
    outcome = { ok: false, error, ms: 0 };
  } finally {
    clearTimeout(timer);
  }
  outcome.ms = elapsed();
  timeBound(outcome.ms, input);
  return outcome;
}

/**
 * Fails unless `error` is one of the classified errors `allowed` accepts:
 * names the error's type, message and the input, so a counterexample reads
 * as a bug report.
 */
export function expectClassified(
  error: unknown,
  allowed: (error: unknown) => boolean,
  input: unknown,
): void {
  if (!allowed(error)) {
    const type = error instanceof Error ? error.constructor.name : typeof error;
    throw new Error(
      `unclassified ${type} for input ${printable(input)}: ${
        error instanceof Error ? error.stack : String(error)
      }`,
    );
  }
}

/**
 * fast-check parameters: all `numRuns` cases, never cut short by time. The
 * seed stays random; fast-check prints it on failure.
 */
export function fuzzRuns(numRuns: number) {
  return { numRuns };
}

/**
 * The Jest timeout of an asynchronous fuzz property: generous, since every
 * case runs however loaded the machine is, and a hung case fails on its own
 * (see {@link runCaseAsync}).
 */
export const FUZZ_TEST_TIMEOUT_MS = 20 * 60_000;
