// Preloaded (`--import`) into each process `bench:bulk` measures, sluice or the hand-written loop
// alike: on SIGUSR2 it runs a full GC and notes the heap that survives; at exit it notes the
// process's peak RSS and CPU time. It writes JSON lines to the file named by SLUICE_BENCH_PROBE.

import { appendFileSync } from 'node:fs';

const file = process.env.SLUICE_BENCH_PROBE;
if (file) {
  const note = (record) => appendFileSync(file, `${JSON.stringify({ pid: process.pid, ...record })}\n`);
  process.on('SIGUSR2', () => {
    globalThis.gc?.();
    note({ heapAfterGc: process.memoryUsage().heapUsed, rss: process.memoryUsage.rss(), at: Date.now() });
  });
  process.on('exit', () => {
    const usage = process.resourceUsage();
    note({ exit: true, maxRss: usage.maxRSS * 1024, cpuUs: usage.userCPUTime + usage.systemCPUTime });
  });
}
