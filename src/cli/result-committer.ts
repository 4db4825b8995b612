// Writes `sluice run`'s results and records them in the state file, in batches and in the order
// that keeps a resumed run from sending a finished request twice, whatever stops this one.
//
// To stdout, a line is recorded before it is printed: a crash in between loses that result line
// but never repeats its request. To an --output file, a line is printed first and recorded after,
// and the next run reads back what the file holds beyond the state's last checkpoint: so a crash
// loses nothing and repeats nothing. A result that cannot be written at all (disk full, reader
// gone) is recorded as lost: not sent again, and the next run prints a result saying so.

import type { ResultOutput, WriteFailure } from './result-output.js';
import type { StateFile } from './state-file.js';

/** Results held before a write is forced (else they go out at the end of the current turn). */
const batchBytes = 64 * 1024;

export class ResultCommitter {
  #lines: number[] = [];
  #text = '';
  #writing: Promise<void> = Promise.resolve();
  #scheduled = false;
  #failure: unknown;

  constructor(
    readonly output: ResultOutput,
    readonly state: StateFile | undefined,
    /** Told once, at the first write that fails (the run then stops taking work). */
    readonly onFailure: (error: unknown) => void,
  ) {}

  /** The first failure, if any: later results are recorded as lost without being written. */
  get failure(): unknown {
    return this.#failure;
  }

  /**
   * Queues line `line`'s result `text` (ending in a newline). Returns a promise when the caller
   * should wait before adding more (the output is behind), else undefined.
   */
  add(line: number, text: string): Promise<void> | undefined {
    this.#lines.push(line);
    this.#text += text;
    if (this.#text.length >= batchBytes) return this.flush();
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.flush();
      });
    }
    return undefined;
  }

  /** Writes what is queued; resolves when it (and every earlier batch) is written and recorded. */
  flush(): Promise<void> {
    if (this.#lines.length > 0) {
      const lines = this.#lines;
      const text = this.#text;
      this.#lines = [];
      this.#text = '';
      this.#writing = this.#writing.then(() => this.#commit(lines, text));
    }
    return this.#writing;
  }

  async #commit(lines: number[], text: string): Promise<void> {
    const { state, output } = this;
    try {
      if (this.#failure !== undefined) {
        state?.done(lines, true);
        return;
      }
      if (output.kind === 'stdout') {
        state?.done(lines);
        const failure = await output.write(text);
        if (failure) this.#fail(failure, lines, text, true);
        return;
      }
      const failure = output.write(text) as WriteFailure | undefined;
      if (failure) this.#fail(failure, lines, text, false);
      else state?.done(lines);
    } catch (error) {
      // The state file itself could not take the records (its reserve is spent).
      this.#failure ??= error;
      this.onFailure(error);
    }
  }

  /** Lines written whole stay finished; the rest are lost (recorded, so never sent again). */
  #fail(failure: WriteFailure, lines: number[], text: string, recorded: boolean): void {
    let whole = 0;
    if (failure.written > 0) {
      const bytes = Buffer.from(text);
      for (let i = 0; i < failure.written; i++) if (bytes[i] === 0x0a) whole++;
    }
    if (!recorded) this.state?.done(lines.slice(0, whole));
    this.state?.done(lines.slice(whole), true);
    this.#failure = failure.error;
    this.onFailure(failure.error);
  }
}
