/*
 * Optional CPU profiles of a bench's measured stretch (BENCH_PROFILE=dir):
 * the V8 profiler is started just before and stopped just after, so the
 * profile holds that stretch only, not the module loading or the fixtures'
 * setup. Open the files in Chrome's DevTools (Performance, Load profile).
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

const DIR = process.env.BENCH_PROFILE;

/** Runs `work`; with BENCH_PROFILE set, writes its CPU profile as `<dir>/<name>.cpuprofile`. */
export async function profiled<T>(
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  if (!DIR) return work();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await work();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    fs.mkdirSync(DIR, { recursive: true });
    const file = path.join(DIR, `${name}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(profile));
    console.log(`CPU profile: ${file}`);
    session.disconnect();
  }
}
