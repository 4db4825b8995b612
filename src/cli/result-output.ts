// Where `sluice run` writes its result lines: stdout (a pipe, a terminal, or a file the shell
// opened), or an --output file it appends to itself — never truncating results already there.

import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { InputError } from './cli-errors.js';
import { OutputWriteError, stdoutFailure } from './output-error.js';
import { writeWithBackpressure } from './write-line.js';

/** Result lines written so far and, on failure, how many of them made it whole. */
export interface WriteFailure {
  error: unknown;
  /** Bytes of the text that were written whole, as complete lines (a torn line was undone). */
  written: number;
}

export interface ResultOutput {
  /** `file`: results are readable back, so a resumed run checks them against the state. */
  readonly kind: 'stdout' | 'file';
  /** Writes `text` (whole lines); resolves with the failure, if any, rather than rejecting. */
  write(text: string): Promise<WriteFailure | undefined> | WriteFailure | undefined;
  close(): void;
}

/** stdout, with backpressure: a slow reader slows the requests, not memory. */
export class StreamOutput implements ResultOutput {
  readonly kind = 'stdout';
  constructor(readonly stream: Writable) {}

  write(text: string): Promise<WriteFailure | undefined> {
    return writeWithBackpressure(this.stream, text).then(
      () => undefined,
      (error: unknown) => ({ error: stdoutFailure(error), written: 0 }),
    );
  }

  close(): void {}
}

/**
 * `--output FILE`: opened for appending (created if absent), written with one write(2) per
 * batch of whole lines, so a crash leaves whole lines (a torn one only when a large write is cut
 * by the disk filling or a kill, and the next run removes it).
 */
export class FileOutput implements ResultOutput {
  readonly kind = 'file';
  #size: number;

  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {
    this.#size = fstatSync(fd).size;
  }

  static open(path: string): FileOutput {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o644);
    } catch (error) {
      throw new InputError(`cannot open --output "${path}": ${(error as Error).message}`);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new InputError(`--output "${path}" is not a regular file; give a file path (or leave --output out to use stdout)`);
    }
    return new FileOutput(path, fd);
  }

  /** Bytes in the file. */
  get size(): number {
    return this.#size;
  }

  write(text: string): WriteFailure | undefined {
    const bytes = Buffer.from(text);
    const base = this.#size;
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
      this.#size = base + written;
      return undefined;
    } catch (error) {
      // Keep the whole lines that made it; a torn last one is cut off again.
      const whole = written === 0 ? 0 : bytes.lastIndexOf(0x0a, written - 1) + 1;
      this.#size = base + written;
      if (whole < written) this.#truncate(base + whole);
      return { error: new OutputWriteError('output', this.path, error as NodeJS.ErrnoException), written: whole };
    }
  }

  /** Makes what was written durable (before the state says it was). */
  sync(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      // Durability across power loss only; the results are in the page cache.
    }
  }

  /**
   * The line numbers of results written from byte `from` on — what a crash can leave written but
   * not yet in the state — and a torn last line removed (its line number, when readable, returned
   * as `torn`: that request was answered, so it must not be sent again).
   */
  linesAfter(from: number): { lines: number[]; torn: number | undefined } {
    if (from > this.#size) {
      throw new InputError(
        `--output "${this.path}" is shorter than when the state was saved (${this.#size} < ${from} bytes): ` +
          'it was changed since; restore it, or delete the state file to start over',
      );
    }
    const lines: number[] = [];
    let torn: number | undefined;
    const chunk = Buffer.alloc(1 << 20);
    let carry = '';
    let position = from;
    while (position < this.#size) {
      const read = readSync(this.fd, chunk, 0, chunk.length, position);
      if (read === 0) break;
      position += read;
      const text = carry + chunk.toString('utf8', 0, read);
      const parts = text.split('\n');
      carry = parts.pop()!;
      for (const part of parts) {
        const line = lineNumberOf(part);
        if (line !== undefined) lines.push(line);
      }
    }
    if (carry !== '') {
      torn = lineNumberOf(carry);
      this.#truncate(this.#size - Buffer.byteLength(carry));
    }
    return { lines, torn };
  }

  close(): void {
    this.sync();
    closeSync(this.fd);
  }

  #truncate(size: number): void {
    try {
      ftruncateSync(this.fd, size);
      this.#size = size;
    } catch {
      // Left as is: the next run sees the torn line and removes it.
    }
  }
}

/** Every result line starts with its input line number. */
function lineNumberOf(text: string): number | undefined {
  const match = /^\{"line":(\d+)[,}]/.exec(text);
  return match ? Number(match[1]) : undefined;
}
