#!/usr/bin/env node
// The `sluice` executable: runs the command line and exits with its code. ESM-only because of the
// top-level await (a CommonJS build of this entry cannot exist).

import { reexecWithBoundedHeap } from './bounded-heap.js';
import { ExitCode } from './exit-codes.js';
import { unsupportedNodeMessage } from './node-version.js';

const tooOld = unsupportedNodeMessage(process.versions.node);
if (tooOld) {
  process.stderr.write(tooOld);
  process.exitCode = ExitCode.unsupportedRuntime;
} else {
  // Before anything is loaded or read: a long run becomes a process whose memory is bounded.
  reexecWithBoundedHeap();
  try {
    // Loaded only after the version check: undici fails while loading on an older Node.
    const { runCli } = await import('./cli.js');
    process.exitCode = await runCli(process.argv.slice(2));
  } catch (error) {
    // Only a bug gets here; say so, with the stack, since that is what a bug report needs.
    process.stderr.write(`sluice: internal error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = ExitCode.internal;
  }
}
// Everything the commands open is closed or unref'd, so Node exits by itself once output is
// flushed. Should a stray handle (a half-read stdin, say) hold the loop, do not hang the shell.
setTimeout(() => process.exit(), 1000).unref();
