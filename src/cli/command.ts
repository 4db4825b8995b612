// What a `sluice` subcommand is: a name, a one-line summary for the global help, its own help,
// and a run function that returns the exit code. Commands get their streams through `CliIo`.

import type { Readable, Writable } from 'node:stream';

/** The process's streams, passed in so a command never reaches for `process` directly. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

export interface Command {
  name: string;
  /** One line for `sluice --help`. */
  summary: string;
  /** The full text of `sluice <name> --help`. */
  help: string;
  /** Runs with the arguments after the command name; resolves with the exit code. */
  run(argv: string[], io: CliIo): Promise<number>;
}

export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}
