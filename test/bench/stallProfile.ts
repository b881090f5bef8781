/*
 * What ran while a backend's event loop stalled: reads a CPU profile
 * (`--cpu-prof`) and the stalls `stallLog.cjs` logged in the same process,
 * and prints, within a window of the monotonic clock (the reads bench's
 * phase marks), how many stalls there were and the CPU time in them by the
 * outermost frame of this project's plugins on the stack (else the outermost
 * package frame) and by the function running.
 *
 *   node --require @backstage/cli-node/config/nodeTransform.cjs \
 *     bench/stallProfile.ts <profile> <stalls.log> [fromUs] [toUs]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

const [profileFile, stallFile, fromArg, toArg] = process.argv.slice(2);
const from = Number(fromArg ?? 0);
const to = Number(toArg ?? Infinity);
const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as Profile;
const stalls = fs
  .readFileSync(stallFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map(line => line.split(' ').map(Number) as [number, number])
  .filter(([start, end]) => start >= from && end <= to);

const byId = new Map(profile.nodes.map(node => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) {
  for (const child of node.children ?? []) parentOf.set(child, node.id);
}
const name = ({ callFrame: frame }: ProfileNode) =>
  `${frame.functionName || '(anonymous)'} ${frame.url
    .replace(/.*node_modules\//, '')
    .replace(/.*\/plugins\//, '')}:${frame.lineNumber}`;

const byFrame = new Map<string, number>();
const bySelf = new Map<string, number>();
const add = (map: Map<string, number>, key: string, ms: number) =>
  map.set(key, (map.get(key) ?? 0) + ms);
const inStall = (at: number) =>
  stalls.some(([start, end]) => at >= start && at <= end);
let time = profile.startTime;
for (let i = 0; i < profile.samples.length; i++) {
  time += profile.timeDeltas[i];
  if (!inStall(time)) continue;
  const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  const node = byId.get(profile.samples[i])!;
  add(bySelf, name(node), ms);
  const stack: ProfileNode[] = [];
  for (let id: number | undefined = node.id; id !== undefined; ) {
    stack.push(byId.get(id)!);
    id = parentOf.get(id);
  }
  const outermost =
    stack.reverse().find(f => f.callFrame.url.includes('/plugins/')) ??
    stack.find(f => f.callFrame.url.includes('node_modules')) ??
    node;
  add(byFrame, name(outermost), ms);
}

const total = stalls.reduce((sum, [start, end]) => sum + end - start, 0);
const longest = Math.max(0, ...stalls.map(([start, end]) => end - start));
console.log(
  `${stalls.length} stalls, ${(total / 1000).toFixed(
    0,
  )} ms in all, the longest ${(longest / 1000).toFixed(0)} ms`,
);
const top = (title: string, map: Map<string, number>) => {
  console.log(title);
  for (const [key, ms] of [...map].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`${ms.toFixed(1).padStart(8)} ms  ${key}`);
  }
};
top('by the outermost plugin (or package) frame:', byFrame);
top('by the function running:', bySelf);
