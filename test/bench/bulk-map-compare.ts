// `client.map` now beside `client.map` at an older commit, in one run: the older commit is built
// in a temporary directory (its sources from git, this checkout's node_modules), then
// bulk-memory.ts runs the same N inputs through each built package, taking turns going first.
//
//   npx tsx test/bench/bulk-map-compare.ts [N=1000000] [--commit=cd958a3] [--rounds=1]
//
// Each run is a process of its own with its own loopback server (see bulk-memory.ts); the
// throughput ratio is new / old over the rounds.

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const commit = flag('commit') ?? 'cd958a3';
const rounds = Number(flag('rounds') ?? 1);
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules/.bin', name);

const old = mkdtempSync(join(tmpdir(), 'sluice-old-'));
process.on('exit', () => rmSync(old, { recursive: true, force: true }));
execFileSync('sh', ['-c', `git -C "${root}" archive ${commit} | tar -x -C "${old}"`]);
symlinkSync(join(root, 'node_modules'), join(old, 'node_modules'));
execFileSync(bin('tsup'), { cwd: old, stdio: 'ignore' });
execFileSync(bin('tsup'), { cwd: root, stdio: 'ignore' });
const script = join(root, 'node_modules/.cache/bulk-memory.mjs');
execFileSync(bin('esbuild'), ['test/bench/bulk-memory.ts', '--format=esm', `--outfile=${script}`, '--log-level=warning'], { cwd: root });

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`client.map, ${count.toLocaleString('en-US')} inputs, map's defaults; now (${root}) vs ${commit}; load average ${loadavg()}`);

async function runOne(name: string, cwd: string): Promise<number> {
  const child = spawn(process.execPath, ['--expose-gc', script, String(count), 'adaptive', 'map', 'dist'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await once(child, 'exit');
  for (const line of output.trim().split('\n')) console.log(`${name.padEnd(8)} ${line}`);
  const rates = [...output.matchAll(/(\d+)\/s/g)].map((match) => Number(match[1]));
  return rates[rates.length - 1] ?? NaN;
}

const rates: Record<string, number[]> = { now: [], [commit]: [] };
for (let round = 0; round < rounds; round++) {
  const order: [string, string][] = [
    ['now', root],
    [commit, old],
  ];
  if (round % 2 === 1) order.reverse();
  for (const [name, cwd] of order) rates[name]!.push(await runOne(name, cwd));
}
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
console.log(`throughput now / ${commit}: ${(mean(rates.now!) / mean(rates[commit]!)).toFixed(2)} × (${rates.now!.join(', ')} vs ${rates[commit]!.join(', ')} per second); load average ${loadavg()}`);
