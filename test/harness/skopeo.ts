/*
 * skopeo, the independent check: what it reports about an image is what a real client sees.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireBinaries } from './registry';

/**
 * Runs `skopeo inspect --tls-verify=false [--config] [--raw] [--override-arch X] [--creds u:p]
 * docker://REF` and returns the parsed JSON. Without `creds` it sends none (`--no-creds`), so
 * credentials on this machine cannot make a test pass.
 *
 * @param reference - `127.0.0.1:PORT/repo:tag` or `127.0.0.1:PORT/repo@sha256:...`
 * @param options.creds - `username:password`
 */
export async function skopeoInspect(
  reference: string,
  options: {
    config?: boolean;
    raw?: boolean;
    arch?: string;
    creds?: string;
  } = {},
): Promise<any> {
  requireBinaries('skopeo');
  const args = ['inspect', '--tls-verify=false'];
  if (options.config) {
    args.push('--config');
  }
  if (options.raw) {
    args.push('--raw');
  }
  if (options.arch) {
    args.push('--override-arch', options.arch);
  }
  args.push(...(options.creds ? ['--creds', options.creds] : ['--no-creds']));
  args.push(`docker://${reference}`);

  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)('skopeo', args, {
      maxBuffer: 16 * 1024 * 1024,
      timeout: 30_000,
    }));
  } catch (error) {
    // not error.message: it repeats the command line, credentials included
    const { stderr, code } = error as { stderr?: string; code?: unknown };
    const shown = args.map(arg => (arg === options.creds ? 'USER:***' : arg));
    throw new Error(
      `skopeo ${shown.join(' ')} failed (${code}): ${stderr?.trim()}`,
    );
  }
  return JSON.parse(stdout);
}
