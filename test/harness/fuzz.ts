/**
 * Shared pieces of the `*.fuzz.test.ts` files: each generated case runs under a
 * time bound (a hang or a blow-up fails it, a loaded machine does not), only
 * the project's classified errors may escape, and every property has a
 * whole-run time limit. fast-check's default random seed is kept; a failure
 * prints the seed, the path and the counterexample.
 */

/** The longest one case may take: far above any real input, far below a hang. */
export const CASE_LIMIT_MS = 1000;

/** How one case ended: its answer or its error, and how long it took. */
export type CaseOutcome<T> =
  | { ok: true; value: T; ms: number }
  | { ok: false; error: unknown; ms: number };

function timeBound(ms: number, input: unknown) {
  if (ms > CASE_LIMIT_MS) {
    throw new Error(
      `one case took ${Math.round(
        ms,
      )} ms (limit ${CASE_LIMIT_MS} ms) for input ${printable(input)}`,
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

/** Runs `fn` on one case and fails when it takes longer than {@link CASE_LIMIT_MS}. */
export function runCase<T>(input: unknown, fn: () => T): CaseOutcome<T> {
  const started = performance.now();
  let outcome: CaseOutcome<T>;
  try {
    outcome = { ok: true, value: fn(), ms: 0 };
  } catch (error) {
    outcome = { ok: false, error, ms: 0 };
  }
  outcome.ms = performance.now() - started;
  timeBound(outcome.ms, input);
  return outcome;
}

/** {@link runCase} for asynchronous code: also fails a promise that never settles within the bound. */
export async function runCaseAsync<T>(
  input: unknown,
  fn: () => Promise<T>,
): Promise<CaseOutcome<T>> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hung: no answer within ${CASE_LIMIT_MS * 5} ms`)),
      CASE_LIMIT_MS * 5,
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
  outcome.ms = performance.now() - started;
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
 * fast-check parameters: `numRuns` cases, stopped (and failed) after
 * `seconds` in all. The seed stays random; fast-check prints it on failure.
 */
export function fuzzRuns(numRuns: number, seconds = 30) {
  return {
    numRuns,
    interruptAfterTimeLimit: seconds * 1000,
    markInterruptAsFailure: true,
  };
}
