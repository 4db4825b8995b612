// In-memory stdin/stdout/stderr for running `runCli` inside the test process, so the many small
// CLI cases need no child process; the spawned tests cover the real executable.

import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/command.js';

export interface MemoryIo extends CliIo {
  readonly out: string;
  readonly err: string;
}

export function memoryIo(stdin = '', options: { tty?: boolean; columns?: number } = {}): MemoryIo {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false, columns: options.columns ?? 120 });
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const input = new PassThrough();
  input.end(stdin);
  return {
    stdin: input,
    stdout,
    stderr,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
  };
}
