import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { VulnerabilityScanTimeoutError } from 'backstage-plugin-image-freshness-node';
import type { RegistryCredentials } from 'oci-client';
import type { Severity } from './config';
import { parseTrivyReport, VulnerabilityCounts } from './TrivyReport';

/** Whether Trivy can be run, and why not. */
export type TrivyAvailability =
  | { available: true; path: string; version: string }
  | { available: false; reason: string };

/** One image to scan. */
export interface TrivyScanRequest {
  /** `registry/repository@digest` */
  reference: string;
  /** os/arch[/variant] for multi-arch images. */
  platform?: string;
  /** The registry speaks plain HTTP (or has a certificate Trivy should not check). */
  insecure?: boolean;
  /** Passed in Trivy's environment (TRIVY_USERNAME/TRIVY_PASSWORD or TRIVY_REGISTRY_TOKEN), never in arguments or logs. */
  credentials?: RegistryCredentials;
}

/** A scan killed at its timeout. */
export class TrivyTimeoutError extends VulnerabilityScanTimeoutError {
  constructor(reference: string, timeoutMs: number) {
    super(
      `Trivy did not finish scanning ${reference} within ${Math.round(
        timeoutMs / 1000,
      )} s; it was stopped and the image skipped. Raise imageFreshness.trivy.timeout if this persists.`,
      'Trivy is retried after the rescan interval; raise imageFreshness.trivy.timeout if this persists.',
    );
    this.name = 'TrivyTimeoutError';
  }
}

/** Trivy exited with an error, or printed what is not a report. */
export class TrivyFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrivyFailedError';
  }
}

const MAX_REPORT_BYTES = 64 * 1024 * 1024;
const STDERR_TAIL = 2048;
const VERSION_TIMEOUT_MS = 15_000;

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The executable a name means: a path as given, else the first match on the PATH. */
function findExecutable(
  name: string,
  pathVariable: string | undefined,
): string | undefined {
  if (name.includes('/')) {
    return isExecutable(name) ? path.resolve(name) : undefined;
  }
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Runs a process; kills its whole process group at `timeoutMs`. */
function run(options: {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  maxBytes: number;
}): Promise<
  | { timedOut: true }
  | { timedOut: false; code: number | null; stdout: Buffer; stderr: string }
> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.file, options.args, {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so a timeout kills what it started too.
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let timedOut = false;
    let tooLarge = false;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxBytes) {
        tooLarge = true;
        killGroup();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', error => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', code => {
      clearTimeout(timer);
      if (timedOut) {
        resolve({ timedOut: true });
      } else if (tooLarge) {
        reject(
          new TrivyFailedError(
            `Trivy printed more than ${options.maxBytes} bytes; not a report this plugin reads`,
          ),
        );
      } else {
        resolve({
          timedOut: false,
          code,
          stdout: Buffer.concat(stdout),
          stderr,
        });
      }
    });
  });
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split('\n')
      .filter(l => l.trim())
      .pop() ?? ''
  ).slice(0, 500);
}

/**
 * Runs the `trivy` binary: `locate` finds it (the configured path, else
 * `trivy` on the PATH) and asks its version; `scan` runs
 * `trivy image --format json` on one remote image, with a timeout after which
 * the process group is killed, and counts the report per severity.
 */
export class TrivyRunner {
  private readonly path: string;
  private readonly severities: readonly Severity[];
  private readonly timeoutMs: number;
  private readonly args: string[];
  private readonly env: NodeJS.ProcessEnv;

  /** Finds Trivy and asks its version; never throws. */
  static async locate(options: {
    /** A path or a name; default `trivy`, looked up on the PATH. */
    path?: string;
    env?: NodeJS.ProcessEnv;
  }): Promise<TrivyAvailability> {
    const env = options.env ?? process.env;
    const name = options.path ?? 'trivy';
    const file = findExecutable(name, env.PATH);
    if (!file) {
      return {
        available: false,
        reason: options.path
          ? `imageFreshness.trivy.path ${JSON.stringify(
              options.path,
            )} is not an executable file${
              options.path.includes('/') ? '' : ' on the PATH'
            }`
          : 'no trivy binary on the PATH; install Trivy or set imageFreshness.trivy.path',
      };
    }
    try {
      const answer = await run({
        file,
        args: ['--version'],
        env,
        timeoutMs: VERSION_TIMEOUT_MS,
        maxBytes: 64 * 1024,
      });
      if (answer.timedOut) {
        return {
          available: false,
          reason: `${file} --version did not answer within ${
            VERSION_TIMEOUT_MS / 1000
          } s`,
        };
      }
      const output = answer.stdout.toString('utf8');
      if (answer.code !== 0) {
        return {
          available: false,
          reason: `${file} --version exited with ${answer.code}: ${lastLine(
            answer.stderr || output,
          )}`,
        };
      }
      const version =
        /Version:\s*(\S+)/i.exec(output)?.[1] ??
        (lastLine(output) || 'unknown');
      return { available: true, path: file, version };
    } catch (error) {
      return {
        available: false,
        reason: `${file} could not be run: ${(error as Error).message}`,
      };
    }
  }

  constructor(options: {
    /** The executable, as `locate` found it. */
    path: string;
    severities: readonly Severity[];
    timeoutMs: number;
    /** Extra arguments for `trivy image`. */
    args?: string[];
    env?: NodeJS.ProcessEnv;
  }) {
    this.path = options.path;
    this.severities = options.severities;
    this.timeoutMs = options.timeoutMs;
    this.args = options.args ?? [];
    this.env = options.env ?? process.env;
  }

  /** Scans one image; throws TrivyTimeoutError or TrivyFailedError. */
  async scan(request: TrivyScanRequest): Promise<VulnerabilityCounts> {
    const args = [
      'image',
      '--format',
      'json',
      '--quiet',
      '--scanners',
      'vuln',
      '--image-src',
      'remote',
      '--severity',
      this.severities.join(','),
      '--timeout',
      `${Math.max(1, Math.floor(this.timeoutMs / 1000))}s`,
      ...(request.platform ? ['--platform', request.platform] : []),
      ...(request.insecure ? ['--insecure'] : []),
      ...this.args,
      request.reference,
    ];
    const env: NodeJS.ProcessEnv = { ...this.env };
    const credentials = request.credentials;
    if (credentials && 'password' in credentials) {
      env.TRIVY_USERNAME = credentials.username;
      env.TRIVY_PASSWORD = credentials.password;
    } else if (credentials && 'token' in credentials) {
      env.TRIVY_REGISTRY_TOKEN = credentials.token;
    }
    let answer: Awaited<ReturnType<typeof run>>;
    try {
      answer = await run({
        file: this.path,
        args,
        env,
        timeoutMs: this.timeoutMs,
        maxBytes: MAX_REPORT_BYTES,
      });
    } catch (error) {
      if (error instanceof TrivyFailedError) throw error;
      throw new TrivyFailedError(
        `Trivy could not be run for ${request.reference}: ${
          (error as Error).message
        }`,
      );
    }
    if (answer.timedOut) {
      throw new TrivyTimeoutError(request.reference, this.timeoutMs);
    }
    if (answer.code !== 0) {
      throw new TrivyFailedError(
        `Trivy exited with ${answer.code} scanning ${request.reference}: ${
          lastLine(answer.stderr) || 'no message'
        }`,
      );
    }
    try {
      return parseTrivyReport(answer.stdout.toString('utf8'), this.severities);
    } catch (error) {
      throw new TrivyFailedError(
        `${request.reference}: ${(error as Error).message}`,
      );
    }
  }
}
