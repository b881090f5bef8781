/*
 * skopeo copy between two places of a test registry, e.g. to turn an OCI image or index into a
 * Docker v2 schema 2 image or manifest list (`format: 'v2s2'`) with an independent tool.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireBinaries } from './registry';

/** Options for {@link skopeoCopy}. */
export interface SkopeoCopyOptions {
  /** copy every image of a multi-arch index (`--all`) */
  all?: boolean;
  /** the manifest format to write: `v2s2` (Docker) or `oci` */
  format?: 'v2s2' | 'oci';
  /** `username:password` for both ends */
  creds?: string;
}

/**
 * Runs `skopeo copy --src-tls-verify=false --dest-tls-verify=false [--all] [--format F]
 * docker://SRC docker://DEST`.
 *
 * @param source - `127.0.0.1:PORT/repo:tag`
 * @param destination - `127.0.0.1:PORT/other:tag`
 */
export async function skopeoCopy(
  source: string,
  destination: string,
  options: SkopeoCopyOptions = {},
): Promise<void> {
  requireBinaries('skopeo');
  const args = ['copy', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (options.all) {
    args.push('--all');
  }
  if (options.format) {
    args.push('--format', options.format);
  }
  if (options.creds) {
    args.push('--src-creds', options.creds, '--dest-creds', options.creds);
  } else {
    args.push('--src-no-creds', '--dest-no-creds');
  }
  args.push(`docker://${source}`, `docker://${destination}`);
  try {
    await promisify(execFile)('skopeo', args, { timeout: 60_000 });
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: unknown };
    const shown = args.map(arg => (arg === options.creds ? 'USER:***' : arg));
    throw new Error(
      `skopeo ${shown.join(' ')} failed (${code}): ${stderr?.trim()}`,
    );
  }
}
