/*
 * Preloaded into a process to profile it whole (`--cpu-prof` is not allowed
 * in NODE_OPTIONS): NODE_OPTIONS="--require <this file>" with BENCH_PROFILE=dir
 * writes `<dir>/<pid>.cpuprofile` when the process exits. The reads bench
 * passes it to the backend it starts (BENCH_BACKEND_NODE_OPTIONS) and prints
 * when each phase starts on the profile's clock.
 */
const fs = require('node:fs');
const inspector = require('node:inspector');
const path = require('node:path');

const dir = process.env.BENCH_PROFILE;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  process.on('exit', () => {
    // A session of the process's own thread answers at once.
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(
        path.join(dir, `${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
    });
  });
}
