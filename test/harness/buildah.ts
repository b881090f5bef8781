/*
 * Debian's buildah (1.28), a real image builder that needs no daemon: builds an image from a
 * real Dockerfile and pushes it to the test registry. Storage is vfs in a temp dir (no
 * overlay or fuse here), RUN steps use chroot isolation, the registry is plain HTTP
 * (--tls-verify=false).
 *
 * What buildah records (seen here, asserted in test/e2e/builders.test.ts): with --format oci
 * the manifest annotations org.opencontainers.image.base.name (the final stage's FROM after
 * ARG substitution) and org.opencontainers.image.base.digest (the base's manifest digest); the
 * base's labels plus io.buildah.version; `created` with nanoseconds; one history entry per
 * instruction, the last one's comment "FROM <base>". With --format docker no base at all.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Buildah {
  /** Builds `dockerfile` (its text) with the files of `context` and pushes it as `image`. */
  buildAndPush(options: {
    image: string;
    dockerfile: string;
    context?: Record<string, string>;
    format?: 'oci' | 'docker';
    buildArgs?: Record<string, string>;
  }): Promise<void>;
  /** Removes buildah's storage. */
  cleanup(): Promise<void>;
}

/** A buildah with its own vfs storage in a temp dir. */
export function startBuildah(): Buildah {
  const root = fs.mkdtempSync(
    path.join(os.tmpdir(), 'image-freshness-buildah-'),
  );
  const storage = [
    '--storage-driver',
    'vfs',
    '--root',
    path.join(root, 'storage'),
    '--runroot',
    path.join(root, 'run'),
  ];
  const env = {
    ...process.env,
    BUILDAH_ISOLATION: 'chroot',
    HOME: root,
  };
  const buildah = async (args: string[], cwd?: string) => {
    try {
      await run('buildah', [...storage, ...args], {
        cwd,
        env,
        maxBuffer: 16 * 1024 * 1024,
        timeout: 180_000,
      });
    } catch (error) {
      const e = error as { stderr?: string; stdout?: string; message: string };
      throw new Error(
        `buildah ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${
          e.stderr ?? ''
        }`,
      );
    }
  };
  let builds = 0;
  return {
    async buildAndPush(options) {
      const dir = path.join(root, `context-${++builds}`);
      fs.mkdirSync(dir, { recursive: true });
      for (const [name, content] of Object.entries(options.context ?? {})) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
      }
      fs.writeFileSync(path.join(dir, 'Dockerfile'), options.dockerfile);
      await buildah(
        [
          'bud',
          '--isolation',
          'chroot',
          '--tls-verify=false',
          // FROM images come from the registry, never from buildah's own store
          '--pull=always',
          '--format',
          options.format ?? 'oci',
          ...Object.entries(options.buildArgs ?? {}).flatMap(([k, v]) => [
            '--build-arg',
            `${k}=${v}`,
          ]),
          '-f',
          'Dockerfile',
          '-t',
          options.image,
          '.',
        ],
        dir,
      );
      await buildah(['push', '--tls-verify=false', options.image]);
    },
    async cleanup() {
      // vfs layers are plain directories, some read-only: make them writable first
      await run('chmod', ['-R', 'u+w', root]).catch(() => undefined);
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
