/*
 * `yarn demo`: the whole product on this machine, without a cluster. Starts a
 * real OCI registry with demo images (different ages, a base image that moved),
 * two Kubernetes API stand-ins running workloads of them, and the real
 * backend serving the built app, then prints the URL and runs until Ctrl-C.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness/backend';
import {
  fetchReport,
  requestRefresh,
  startDemoStack,
  waitForEntities,
} from './stack';

/** Binaries the stack runs, and the Debian package of each. */
const NEEDED: Record<string, string> = {
  'docker-registry': 'docker-registry',
  setpriv: 'util-linux',
};

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some(dir => {
    try {
      fs.accessSync(path.join(dir, binary), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function checkBinaries(): boolean {
  const missing = Object.keys(NEEDED).filter(b => !onPath(b));
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.map(b => NEEDED[b]))].join(' ');
  console.error(
    [
      '',
      `yarn demo needs ${missing.join(' and ')}, which ${
        missing.length === 1 ? 'is' : 'are'
      } not installed.`,
      'Install the Debian package(s) first, as root:',
      '',
      `  apt-get update && apt-get install -y --no-install-recommends ${packages}`,
      '',
      "(The README's test command installs them, together with the other test tools.)",
      '',
    ].join('\n'),
  );
  return false;
}

/** Newest modification time under a directory (files only). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      latest = Math.max(latest, newest(full));
    } else {
      latest = Math.max(latest, fs.statSync(full).mtimeMs);
    }
  }
  return latest;
}

/** Builds the app when its dist is missing or older than the frontend sources. */
function ensureAppBuild() {
  const index = path.join(ROOT, 'packages/app/dist/index.html');
  const sources = [
    path.join(ROOT, 'packages/app/src'),
    path.join(ROOT, 'plugins/image-freshness/src'),
    path.join(ROOT, 'plugins/image-freshness-common/src'),
  ];
  const built = fs.existsSync(index) ? fs.statSync(index).mtimeMs : 0;
  if (built && sources.every(dir => newest(dir) <= built)) {
    return;
  }
  console.log(
    built
      ? 'The frontend changed since the last app build; building it (about 15 s)…'
      : 'Building the app (about 15 s)…',
  );
  const result = spawnSync(
    process.execPath,
    [
      path.join(ROOT, '.yarn/releases/yarn-4.13.0.cjs'),
      'workspace',
      'app',
      'build',
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (result.status !== 0) {
    throw new Error('The app build failed (see above)');
  }
}

async function main() {
  if (!checkBinaries()) {
    process.exitCode = 1;
    return;
  }
  const started = Date.now();
  ensureAppBuild();
  const portArg = process.argv.indexOf('--port');
  const port = portArg > 0 ? Number(process.argv[portArg + 1]) : undefined;
  if (port !== undefined && !(Number.isInteger(port) && port > 0)) {
    throw new Error(
      `--port needs a port number, not ${process.argv[portArg + 1]}`,
    );
  }
  const stack = await startDemoStack({
    refresh: 'scheduled',
    port,
    log: message => console.log(message),
  });
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping the demo…');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const url = stack.backend.url;
  console.log('Waiting for the catalog and the first refresh…');
  await waitForEntities(url, stack.entities);
  // The scheduled task may have run before the catalog knew the entities:
  // read the ones it missed now instead of at its next run.
  for (const entityRef of stack.entities) {
    if (!(await fetchReport(url, entityRef))?.refreshedAt) {
      await requestRefresh(url, entityRef);
    }
  }
  for (let i = 0; i < 120; i++) {
    const reports = await Promise.all(
      stack.entities.map(ref => fetchReport(url, ref)),
    );
    if (reports.every(r => r?.refreshedAt)) break;
    await new Promise(r => setTimeout(r, 1000));
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  let commit = '';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: ROOT,
      encoding: 'utf8',
    }).trim();
  } catch {
    // not a git checkout
  }
  console.log(
    [
      '',
      `Image Freshness demo is up (${seconds} s${
        commit ? `, ${commit}` : ''
      }):`,
      '',
      `  ${url}/catalog/default/component/checkout/image-freshness`,
      '',
      'Press Enter on the sign-in page (guest). Entities to look at:',
      `  checkout    Kubernetes in two clusters; us-east-1 still runs an older build (drift),`,
      `              a missing debug image (error), stale init and cache images`,
      `  payments    Kubernetes in eu-west-1; rebuild-delay 0d, so the moved base makes rebuilds due`,
      `  storefront  images declared in image-freshness/images, 14 day limit`,
      `  newsletter  no annotations: the tabs stay hidden`,
      '',
      `Registry: ${stack.registry.url}   Clusters: ${stack.clusters
        .map(c => c.url)
        .join(', ')}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch(error => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
