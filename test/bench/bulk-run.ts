// `npm run bench:bulk -- N`: N lines through `sluice run` (the built CLI, no flags) against a fast
// loopback server in another process, beside a hand-written loop of `undici.request` workers at
// the same concurrency, each in a process of its own. Prints wall time, throughput, CPU per
// request, peak RSS, the heap after a full GC at 100k lines and at 99 % of N, and the most
// requests the server saw at once (to show both ran at the same concurrency).
//
//   npm run bench:bulk -- [N=1000000] [--rounds=1] [--concurrency=128] [--state] [--only=sluice,loop,sluice-q] [--quiet-too]
//
// --quiet-too adds a third side, `sluice run -q` (no summary, so nothing recorded for it): the
// cost of the per-origin summary is the CPU between the two sluice sides.
//
// Both processes are started with the same preload (bulk-probe.mjs) and --expose-gc, so the
// probe can take its readings; both write their NDJSON results to a file, which the bench counts
// as it grows. Rounds alternate which of the two goes first.

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const flag = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1];
const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 1_000_000);
const rounds = Number(flag('rounds') ?? 1);
const concurrency = Number(flag('concurrency') ?? 128);
const withState = args.includes('--state');
const only = flag('only');
const quietToo = args.includes('--quiet-too');
const root = fileURLToPath(new URL('../..', import.meta.url));
const node = process.execPath;
const cli = join(root, 'dist/cli.js');
if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` first (npm run bench:bulk does)');

const work = mkdtempSync(join(tmpdir(), 'sluice-bench-bulk-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// The loop, compiled to plain JavaScript so neither side carries a TypeScript loader (inside the
// project, so it finds undici).
const loop = join(root, 'node_modules/.cache/bulk-loop.mjs');
await build({
  entryPoints: [fileURLToPath(new URL('bulk-loop.ts', import.meta.url))],
  outfile: loop,
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
  absWorkingDir: root,
});
const probe = fileURLToPath(new URL('bulk-probe.mjs', import.meta.url));

// The server: keep-alive, a 2-byte body, counting requests and the most connections open at once
// (a client's concurrency: each connection carries one request at a time).
const serverCode = `
  let open = 0, most = 0, received = 0;
  const server = require('node:http').createServer((req, res) => {
    received++;
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.end('ok');
  });
  server.on('connection', (socket) => { open++; if (open > most) most = open; socket.on('close', () => open--); });
  server.keepAliveTimeout = 60000;
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
  process.stdin.on('data', () => { console.log(JSON.stringify({ received, most })); received = 0; most = 0; });
`;
const server = spawn(node, ['-e', serverCode], { stdio: ['pipe', 'pipe', 'inherit'] });
process.on('exit', () => server.kill());
const [portLine] = (await once(server.stdout!, 'data')) as [Buffer];
const origin = `http://127.0.0.1:${portLine.toString().trim()}`;

// The input: N URLs, one per line.
const input = join(work, 'urls.txt');
{
  const file = createWriteStream(input);
  for (let i = 1; i <= count; i++) if (!file.write(`${origin}/item/${i}\n`)) await once(file, 'drain');
  file.end();
  await once(file, 'finish');
}

interface Figures {
  name: string;
  wallS: number;
  lines: number;
  cpuUsPerRequest: number;
  maxRssMb: number;
  heapMb: number[];
  serverReceived: number;
  serverMost: number;
}

const mb = (bytes: number) => bytes / 1024 / 1024;

async function serverCounts(): Promise<{ received: number; most: number }> {
  server.stdin!.write('\n');
  const [line] = (await once(server.stdout!, 'data')) as [Buffer];
  return JSON.parse(line.toString()) as { received: number; most: number };
}

/** Runs one side to the end, signalling the probe at 100k lines and near the end. */
async function measure(name: string, command: string[]): Promise<Figures> {
  const output = join(work, `${name}.ndjson`);
  const probeFile = join(work, `${name}.probe`);
  rmSync(output, { force: true });
  rmSync(probeFile, { force: true });
  const outFd = openSync(output, 'w');
  const started = performance.now();
  const child: ChildProcess = spawn(node, ['--expose-gc', '--import', probe, ...command], {
    stdio: ['ignore', outFd, 'inherit'],
    env: { ...process.env, SLUICE_BENCH_PROBE: probeFile },
  });
  closeSync(outFd);
  const marks = [Math.min(100_000, Math.floor(count / 2)), Math.floor(count * 0.99)].filter((n, i, all) => n > 0 && all.indexOf(n) === i).sort((a, b) => a - b);
  let lines = 0;
  let offset = 0;
  const buffer = Buffer.alloc(1 << 20);
  const readFd = openSync(output, 'r');
  const counter = setInterval(() => {
    for (;;) {
      const read = readSync(readFd, buffer, 0, buffer.length, offset);
      if (read === 0) break;
      offset += read;
      for (let i = 0; i < read; i++) if (buffer[i] === 0x0a) lines++;
    }
    while (marks.length > 0 && lines >= marks[0]!) {
      marks.shift();
      child.kill('SIGUSR2');
    }
  }, 20);
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallS = (performance.now() - started) / 1000;
  clearInterval(counter);
  closeSync(readFd);
  if (code !== 0) throw new Error(`${name} exited with ${code}`);
  const finalLines = readFileSync(output).reduce((n, byte) => n + (byte === 0x0a ? 1 : 0), 0);
  const records = readFileSync(probeFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, number>);
  const exit = records.find((record) => record.exit)!;
  const counts = await serverCounts();
  rmSync(output, { force: true });
  return {
    name,
    wallS,
    lines: finalLines,
    cpuUsPerRequest: exit.cpuUs! / count,
    maxRssMb: mb(exit.maxRss!),
    heapMb: records.filter((record) => record.heapAfterGc !== undefined).map((record) => mb(record.heapAfterGc!)),
    serverReceived: counts.received,
    serverMost: counts.most,
  };
}

const sluiceArgs = [cli, 'run', ...(withState ? ['--state', join(work, 'run.state')] : []), input];
const loopArgs = [loop, input, String(concurrency)];
const sides: [string, string[]][] = [
  ['sluice', sluiceArgs],
  ['loop', loopArgs],
  ...(quietToo ? [['sluice-q', [cli, 'run', '-q', ...sluiceArgs.slice(2)]] as [string, string[]]] : []),
];

const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`bench:bulk — ${count.toLocaleString('en-US')} lines, loop concurrency ${concurrency}${withState ? ', sluice with --state' : ''}; load average before: ${load}`);
console.log(`sluice: node dist/cli.js run ${withState ? '--state FILE ' : ''}urls.txt > out.ndjson   loop: ${concurrency} undici.request workers`);
const results: Figures[] = [];
for (let round = 0; round < rounds; round++) {
  const order = round % 2 === 0 ? sides : [...sides].reverse();
  for (const [name, command] of order) {
    if (only && !only.split(',').includes(name)) continue;
    if (withState) rmSync(join(work, 'run.state'), { force: true });
    const figures = await measure(name, command);
    results.push(figures);
    console.log(
      `${name.padEnd(8)} wall ${figures.wallS.toFixed(1).padStart(6)} s  ${Math.round(count / figures.wallS).toString().padStart(6)}/s  ` +
        `CPU ${figures.cpuUsPerRequest.toFixed(1).padStart(5)} µs/request  peak RSS ${figures.maxRssMb.toFixed(1).padStart(6)} MB  ` +
        `heap after GC ${figures.heapMb.map((heap) => `${heap.toFixed(1)} MB`).join(' → ')}  ` +
        `results ${figures.lines}  server: ${figures.serverReceived} requests, ${figures.serverMost} connections at most`,
    );
  }
}

const pick = (name: string) => results.filter((figures) => figures.name === name);
const sluiceRuns = pick('sluice');
const loopRuns = pick('loop');
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
if (sluiceRuns.length > 0 && loopRuns.length > 0) {
  const throughput = mean(loopRuns.map((f) => f.wallS)) / mean(sluiceRuns.map((f) => f.wallS));
  const cpu = mean(sluiceRuns.map((f) => f.cpuUsPerRequest)) / mean(loopRuns.map((f) => f.cpuUsPerRequest));
  console.log(`sluice / loop: throughput ${throughput.toFixed(3)} ×, CPU per request ${cpu.toFixed(3)} ×`);
}
const quietRuns = pick('sluice-q');
if (sluiceRuns.length > 0 && quietRuns.length > 0) {
  const cpu = mean(sluiceRuns.map((f) => f.cpuUsPerRequest)) / mean(quietRuns.map((f) => f.cpuUsPerRequest));
  console.log(`sluice / sluice -q: CPU per request ${cpu.toFixed(3)} × (each round: ${sluiceRuns.map((f, i) => (f.cpuUsPerRequest / quietRuns[i]!.cpuUsPerRequest).toFixed(3)).join(', ')})`);
}
console.log(`load average after: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}; ${statSync(input).size} input bytes`);
server.kill();
