/*
 * Preloaded into a backend to log when its event loop stalls:
 * BENCH_BACKEND_NODE_ARGS="--require <this file>" (the reads bench passes it
 * on; add `--cpu-prof --cpu-prof-dir=DIR` for a profile on the same clock).
 * A timer due every 2 ms notes each gap longer than BENCH_STALL_MS (15) as
 * a line `<start> <end>` in microseconds of the monotonic clock (that of
 * `process.hrtime`, of CPU profiles and of the bench's phase marks), in
 * `<BENCH_STALL_DIR or the temp dir>/stalls.<pid>.log`. The file is
 * appended once a second, never from the timer itself.
 * `stallProfile.ts` tells what ran in them.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const limitNs = BigInt(Number(process.env.BENCH_STALL_MS ?? 15) * 1e6);
const file = path.join(
  process.env.BENCH_STALL_DIR ?? os.tmpdir(),
  `stalls.${process.pid}.log`,
);
const stalls = [];
let last = process.hrtime.bigint();
setInterval(() => {
  const now = process.hrtime.bigint();
  if (now - last > limitNs) stalls.push(`${last / 1000n} ${now / 1000n}`);
  last = now;
}, 2).unref();
const flush = () => {
  if (stalls.length)
    fs.appendFileSync(file, `${stalls.splice(0).join('\n')}\n`);
};
setInterval(flush, 1000).unref();
process.on('exit', flush);
