// The resume state of `sluice run --state FILE`: which input lines are finished, kept bounded and
// crash-safe so an interrupted, crashed or disk-full run continues without re-sending finished requests.
//
// Format (text): a header `sluice-state 2 <input fingerprint>`, then records, one per line:
// `low N` (every request on lines 1..N is finished), `out N` (the --output file held N bytes of
// results when this was written), `N` (line N is finished) or `N lost` (line N was sent and
// answered, but its result could not be written: it is not sent again, and the next run prints a
// result saying so). Unused space reserved at the end of the file is NUL bytes.
//
// Records are written into space the file already holds: the file is extended ahead, 64 KiB at a
// time, so when the disk fills the reserve still takes the records of the requests in flight —
// a finished request is always recorded, never sent again. A crash loses nothing the kernel got;
// an fsync every second bounds what a power loss can lose to a second of results.
// Every `compactEvery` records the file is rewritten as `low N` plus the finished lines above it,
// into `<file>.tmp` created exclusively (never through a planted symlink), fsynced and renamed
// over the old one, so the file is always one or the other.

import { closeSync, constants, fstatSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { InputError } from './cli-errors.js';
import { OutputWriteError } from './output-error.js';

const magic = 'sluice-state';
const version = 2;

/** Bytes the file is extended by at a time. */
const extendBytes = 64 * 1024;
/** Below this much reserved space left, the file is extended (or, if the disk is full, the run stops). */
const lowWaterBytes = 32 * 1024;

/** The --output file, as the state file checks it on resume and checkpoints it on compaction. */
export interface OutputLog {
  readonly size: number;
  /** Makes what was written durable, before the state says it was. */
  sync(): void;
  /** Line numbers of results written from byte `from` on; a torn last line is removed (`torn`). */
  linesAfter(from: number): { lines: number[]; torn: number | undefined };
}

export interface StateFileOptions {
  /**
   * The --output file. On resume, results written after the state's last checkpoint (a crash
   * came between writing them and recording them) count as finished; each compaction records
   * the file's size as the new checkpoint.
   */
  output?: OutputLog;
  /** Appended records between compactions. @default 10000 */
  compactEvery?: number;
  /** ms between fsyncs of appended records. @default 1000 */
  syncEveryMs?: number;
  /** The file system calls, for tests that make the disk fill. @default node:fs */
  fs?: StateFs;
}

/** The few calls the state file makes that can hit a full disk. */
export interface StateFs {
  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null): number;
  openSync(path: string, flags: number, mode?: number): number;
}

export class StateFile {
  /** Every request on a line up to here is finished. */
  #low = 0;
  /** Finished lines above `#low`. */
  readonly #above = new Set<number>();
  /** Finished lines whose result was never written. */
  readonly #lost = new Set<number>();
  /** Lines handed out for sending and not finished yet. */
  readonly #pending = new Set<number>();
  /** The last line the reader went past (sent, skipped as finished, or not a request). */
  #lastRead = 0;
  /** The --output file's size at the last compaction, when one is kept. */
  #outputBytes: number | undefined;
  #fd = -1;
  /** Where the next record goes, and how far the file is allocated. */
  #end = 0;
  #allocated = 0;
  #appended = 0;
  #dirty = false;
  /** The disk is full: records go into the reserve, the run should stop taking work. */
  #full: Error | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #fs: StateFs;
  readonly #output: OutputLog | undefined;

  private constructor(
    readonly path: string,
    readonly fingerprint: string,
    readonly options: Required<Omit<StateFileOptions, 'fs' | 'output'>>,
    fs: StateFs | undefined,
    output: OutputLog | undefined,
  ) {
    this.#fs = fs ?? { writeSync, openSync };
    this.#output = output;
    this.#timer = setInterval(() => this.#sync(), options.syncEveryMs).unref();
  }

  /** Opens (or creates) the state of `path` for input `fingerprint`; `InputError` if it is someone else's. */
  static open(path: string, fingerprint: string, options: StateFileOptions = {}): StateFile {
    const { fs, output, ...rest } = options;
    const state = new StateFile(path, fingerprint, { compactEvery: 10_000, syncEveryMs: 1000, ...rest }, fs, output);
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        clearInterval(state.#timer);
        throw new InputError(`cannot read state file "${path}": ${(error as Error).message}`);
      }
    }
    try {
      if (text !== undefined) state.#load(text);
      state.#reconcile();
      state.#compact();
    } catch (error) {
      clearInterval(state.#timer);
      if (error instanceof InputError || error instanceof OutputWriteError) throw error;
      if (isDiskFull(error)) throw new OutputWriteError('state', path, error as NodeJS.ErrnoException);
      throw new InputError(`cannot use state file "${path}": ${(error as Error).message}`);
    }
    return state;
  }

  isDone(line: number): boolean {
    return line <= this.#low || this.#above.has(line);
  }

  /** Finished in an earlier run, but its result was never written. */
  isLost(line: number): boolean {
    return this.#lost.has(line);
  }

  /** Lines recorded as lost (for the resumed run's report). */
  get lostCount(): number {
    return this.#lost.size;
  }

  /** The --output file's size when the state was last compacted, if it kept one. */
  get outputBytes(): number | undefined {
    return this.#outputBytes;
  }

  /** Why records are going into the reserve (the disk is full); undefined while all is well. */
  get full(): Error | undefined {
    return this.#full;
  }

  /** The reader went past `line`; `sending` says it was handed out to be sent. */
  read(line: number, sending: boolean): void {
    if (sending) this.#pending.add(line);
    this.#lastRead = line;
  }

  /** Records `lines` as finished (`lost`: their results were not written), in one write. */
  done(lines: readonly number[], lost = false): void {
    if (lines.length === 0) return;
    let text = '';
    for (const line of lines) {
      this.#pending.delete(line);
      this.#above.add(line);
      if (lost) this.#lost.add(line);
      else this.#lost.delete(line);
      text += lost ? `${line} lost\n` : `${line}\n`;
    }
    this.#append(text);
    this.#appended += lines.length;
    if (this.#appended >= this.options.compactEvery) this.#tryCompact();
  }

  /** Compacts and syncs; the state is complete on disk when this returns (as far as the disk allows). */
  close(): void {
    clearInterval(this.#timer);
    this.#tryCompact();
    this.#sync();
    closeSync(this.#fd);
    this.#fd = -1;
  }

  #load(text: string): void {
    // Reserved space is NUL bytes after the last record.
    const used = text.indexOf('\0');
    const lines = (used === -1 ? text : text.slice(0, used)).split('\n');
    // A last line without its newline is a write torn by a crash: it never counted.
    lines.pop();
    const header = /^sluice-state ([12]) (\S+)$/.exec(lines[0] ?? '');
    if (!header) throw new InputError(`"${this.path}" is not a sluice state file; choose another --state path`);
    const recorded = header[2]!;
    if (recorded !== this.fingerprint && recorded !== 'stdin' && this.fingerprint !== 'stdin') {
      throw new InputError(
        `state file "${this.path}" was written for different input (${recorded}, now ${this.fingerprint}); ` +
          'delete it to start over, or use another --state path',
      );
    }
    for (let i = 1; i < lines.length; i++) {
      const record = /^(?:(low|out) )?(\d+)( lost)?$/.exec(lines[i]!);
      if (!record) throw new InputError(`state file "${this.path}" is damaged at its line ${i + 1}: ${JSON.stringify(lines[i])}`);
      const n = Number(record[2]);
      if (record[1] === 'low') this.#low = Math.max(this.#low, n);
      else if (record[1] === 'out') this.#outputBytes = n;
      else {
        this.#above.add(n);
        if (record[3]) this.#lost.add(n);
        else this.#lost.delete(n);
      }
    }
    this.#lastRead = this.#low;
  }

  /**
   * A crash between writing results to --output and recording them leaves them only in the
   * file: they are finished (recorded now). A result torn by a crash or a full disk was
   * answered, so it is lost rather than sent again. Only when the state already checkpointed
   * this output: an --output new to this state may hold anyone's results.
   */
  #reconcile(): void {
    if (this.#output === undefined || this.#outputBytes === undefined) return;
    const { lines, torn } = this.#output.linesAfter(this.#outputBytes);
    for (const line of lines) {
      this.#above.add(line);
      this.#lost.delete(line);
    }
    if (torn !== undefined && !this.isDone(torn)) {
      this.#above.add(torn);
      this.#lost.add(torn);
    }
  }

  #tryCompact(): void {
    try {
      this.#compact();
    } catch (error) {
      // No room for a new file: keep appending into the reserve of the current one.
      if (!isDiskFull(error) || this.#fd < 0) throw error;
      this.#full ??= error as Error;
      this.#appended = 0;
    }
  }

  /** Folds the finished lines into `low` where no earlier line is still pending, then rewrites the file. */
  #compact(): void {
    let low = this.#lastRead;
    for (const line of this.#pending) low = Math.min(low, line - 1);
    let newLow = Math.max(this.#low, low);
    while (this.#above.has(newLow + 1)) newLow++;
    // A lost line stays listed until its result is printed, however low `low` goes.
    const above = [...this.#above].filter((line) => line > newLow || this.#lost.has(line)).sort((a, b) => a - b);
    this.#output?.sync();
    const outputBytes = this.#output?.size ?? this.#outputBytes;
    const records = [
      `${magic} ${version} ${this.fingerprint}`,
      `low ${newLow}`,
      ...(outputBytes === undefined ? [] : [`out ${outputBytes}`]),
      ...above.map((line) => (this.#lost.has(line) ? `${line} lost` : String(line))),
    ];
    const body = Buffer.from(`${records.join('\n')}\n`);

    const temporary = `${this.path}.tmp`;
    const fd = this.#createExclusive(temporary);
    let allocated: number;
    try {
      this.#writeAll(fd, body, 0);
      allocated = this.#reserve(fd, body.length, body.length + extendBytes);
      fsyncSync(fd);
    } catch (error) {
      closeSync(fd);
      unlinkQuietly(temporary);
      throw error;
    }
    if (this.#fd >= 0) closeSync(this.#fd);
    renameSync(temporary, this.path);
    syncDirectory(dirname(this.path));
    this.#fd = fd;
    this.#end = body.length;
    this.#allocated = allocated;
    this.#low = newLow;
    for (const line of this.#above) if (line <= newLow && !this.#lost.has(line)) this.#above.delete(line);
    this.#outputBytes = outputBytes;
    this.#appended = 0;
    this.#dirty = false;
  }

  /**
   * `<state>.tmp`, created here and now: never an existing file, never through a symlink someone
   * planted there (a stale one from a crash is removed first; removing a link leaves its target alone).
   */
  #createExclusive(path: string): number {
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
    try {
      return this.#fs.openSync(path, flags, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    unlinkSync(path);
    try {
      return this.#fs.openSync(path, flags, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw new InputError(`"${path}" keeps reappearing: is another sluice run using --state ${this.path}?`);
    }
  }

  /** Zero-fills the file from `from` to `to` so later records need no new space; returns how far it got. */
  #reserve(fd: number, from: number, to: number): number {
    const zeros = Buffer.alloc(to - from);
    try {
      this.#writeAll(fd, zeros, from);
      return to;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      this.#full ??= error as Error;
      // What did get written is still reserved.
      return Math.max(from, fstatSync(fd).size);
    }
  }

  #append(text: string): void {
    const bytes = Buffer.from(text);
    if (this.#end + bytes.length > this.#allocated - lowWaterBytes && !this.#full) {
      this.#allocated = this.#reserve(this.#fd, this.#allocated, this.#allocated + extendBytes);
    }
    if (this.#end + bytes.length > this.#allocated && this.#full) {
      // The reserve ran out too: this record cannot be kept, so the run must end here.
      throw new OutputWriteError('state', this.path, this.#full as NodeJS.ErrnoException);
    }
    try {
      this.#writeAll(this.#fd, bytes, this.#end);
    } catch (error) {
      throw new OutputWriteError('state', this.path, error as NodeJS.ErrnoException);
    }
    this.#end += bytes.length;
    if (this.#end > this.#allocated) this.#allocated = this.#end;
    this.#dirty = true;
  }

  #writeAll(fd: number, bytes: Uint8Array, position: number): void {
    for (let written = 0; written < bytes.length; ) {
      written += this.#fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
    }
  }

  #sync(): void {
    if (!this.#dirty || this.#fd < 0) return;
    this.#dirty = false;
    try {
      fsyncSync(this.#fd);
    } catch {
      // A failed fsync weakens durability across power loss only; the next one tries again.
      this.#dirty = true;
    }
  }
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
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
