// The resume state of `sluice run --state FILE`: which input lines are finished, kept bounded and
// crash-safe so an interrupted or crashed run continues without re-sending finished requests.
//
// Format (text): a header `sluice-state 1 <input fingerprint>`, then records, one per line:
// `low N` (every request on lines 1..N is finished) or `N` (line N is finished). A finished
// line is appended with one write(2) on an O_APPEND descriptor as soon as its result is printed:
// a crash of the process loses nothing, since the kernel holds the write; an fsync every second
// bounds what a power loss can lose to a second of results (those requests are sent again).
// Appends are compacted every `compactEvery` records into `low N` plus the finished lines above
// it (only those finished while an earlier line was still in flight), by writing a new file,
// fsyncing it and renaming it over the old one, so the file is always one or the other.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from './cli-errors.js';

const magic = 'sluice-state 1';

export interface StateFileOptions {
  /** Appended records between compactions. @default 10000 */
  compactEvery?: number;
  /** ms between fsyncs of appended records. @default 1000 */
  syncEveryMs?: number;
}

export class StateFile {
  /** Every request on a line up to here is finished. */
  #low = 0;
  /** Finished lines above `#low`. */
  readonly #above = new Set<number>();
  /** Lines handed out for sending and not finished yet. */
  readonly #pending = new Set<number>();
  /** The last line the reader went past (sent, skipped as finished, or not a request). */
  #lastRead = 0;
  #fd: number;
  #appended = 0;
  #dirty = false;
  readonly #timer: NodeJS.Timeout;

  private constructor(
    readonly path: string,
    readonly fingerprint: string,
    readonly options: Required<StateFileOptions>,
  ) {
    this.#fd = -1;
    this.#timer = setInterval(() => this.#sync(), options.syncEveryMs).unref();
  }

  /** Opens (or creates) the state of `path` for input `fingerprint`; `InputError` if it is someone else's. */
  static open(path: string, fingerprint: string, options: StateFileOptions = {}): StateFile {
    const state = new StateFile(path, fingerprint, { compactEvery: 10_000, syncEveryMs: 1000, ...options });
    try {
      if (existsSync(path)) state.#load(readFileSync(path, 'utf8'));
      state.#compact();
    } catch (error) {
      clearInterval(state.#timer);
      if (error instanceof InputError) throw error;
      throw new InputError(`cannot use state file "${path}": ${(error as Error).message}`);
    }
    return state;
  }

  isDone(line: number): boolean {
    return line <= this.#low || this.#above.has(line);
  }

  /** The reader went past `line`; `sending` says it was handed out to be sent. */
  read(line: number, sending: boolean): void {
    if (sending) this.#pending.add(line);
    this.#lastRead = line;
  }

  /** `line`'s result was printed: record it, so a resumed run does not send it again. */
  done(line: number): void {
    this.#pending.delete(line);
    this.#above.add(line);
    writeSync(this.#fd, `${line}\n`);
    this.#dirty = true;
    if (++this.#appended >= this.options.compactEvery) this.#compact();
  }

  /** Compacts and syncs; the state is complete on disk when this returns. */
  close(): void {
    clearInterval(this.#timer);
    this.#compact();
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #load(text: string): void {
    const lines = text.split('\n');
    // A last line without its newline is a write torn by a crash: it never counted.
    lines.pop();
    if (lines[0] === undefined || !lines[0].startsWith(`${magic} `)) {
      throw new InputError(`"${this.path}" is not a sluice state file; choose another --state path`);
    }
    const recorded = lines[0].slice(magic.length + 1);
    if (recorded !== this.fingerprint && recorded !== 'stdin' && this.fingerprint !== 'stdin') {
      throw new InputError(
        `state file "${this.path}" was written for different input (${recorded}, now ${this.fingerprint}); ` +
          'delete it to start over, or use another --state path',
      );
    }
    for (let i = 1; i < lines.length; i++) {
      const record = /^(low )?(\d+)$/.exec(lines[i]!);
      if (!record) throw new InputError(`state file "${this.path}" is damaged at its line ${i + 1}: ${JSON.stringify(lines[i])}`);
      const line = Number(record[2]);
      if (record[1]) this.#low = Math.max(this.#low, line);
      else this.#above.add(line);
    }
    this.#lastRead = this.#low;
  }

  /** Folds the finished lines into `low` where no earlier line is still pending, then rewrites the file. */
  #compact(): void {
    let low = this.#lastRead;
    for (const line of this.#pending) low = Math.min(low, line - 1);
    this.#low = Math.max(this.#low, low);
    for (const line of this.#above) if (line <= this.#low) this.#above.delete(line);
    while (this.#above.delete(this.#low + 1)) this.#low++;

    const body = [`${magic} ${this.fingerprint}`, `low ${this.#low}`, ...[...this.#above].sort((a, b) => a - b)].join('\n');
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, `${body}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (this.#fd >= 0) closeSync(this.#fd);
    renameSync(temporary, this.path);
    syncDirectory(dirname(this.path));
    this.#fd = openSync(this.path, 'a');
    this.#appended = 0;
    this.#dirty = false;
  }

  #sync(): void {
    if (!this.#dirty || this.#fd < 0) return;
    this.#dirty = false;
    fsyncSync(this.#fd);
  }
}

/** Makes the rename itself durable; not every platform lets a directory be opened, which is fine. */
function syncDirectory(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Best effort: the rename is still atomic, only its durability across power loss is weaker.
  }
}
