// Where `sluice run` reads requests from: a file (scanned once up front, so bad lines fail the
// run before anything is sent and progress knows the total) or stdin (checked as it streams).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from './cli-errors.js';
import { parseInputLine, type InputRequest } from './input-line.js';
import { readLineBatches } from './lines.js';

export interface InputScan {
  /** Lines holding a request. */
  total: number;
  /** `sha256:<hex>` of the file's text: the state file refuses to resume other input. */
  fingerprint: string;
  /** The first invalid lines (at most `maxErrors`). */
  errors: InputError[];
  /** How many lines are invalid in all. */
  invalid: number;
}

/**
 * Reads the whole file once: counts requests, validates every line, and (for --state)
 * fingerprints the bytes.
 */
export async function scanInputFile(path: string, { maxErrors = 10, fingerprint = true } = {}): Promise<InputScan> {
  await checkReadable(path);
  const hash = fingerprint ? createHash('sha256') : undefined;
  const scan: InputScan = { total: 0, fingerprint: '', errors: [], invalid: 0 };
  let line = 0;
  for await (const batch of readLineBatches(createReadStream(path), hash && ((chunk) => hash.update(chunk)))) {
    for (const text of batch) {
      try {
        if (parseInputLine(text, ++line)) scan.total++;
      } catch (error) {
        if (!(error instanceof InputError)) throw error;
        scan.invalid++;
        if (scan.errors.length < maxErrors) scan.errors.push(error);
      }
    }
  }
  if (hash) scan.fingerprint = `sha256:${hash.digest('hex')}`;
  return scan;
}

/** What to do with a request read from the input, decided as it is read. */
export type Admission = 'send' | 'skip' | 'stop' | Promise<void>;

/**
 * The requests of `stream` in order, as the bulk runner pulls them: `next()` answers at once
 * (no promise) while the chunk read holds more lines, so a million lines cost a few hundred
 * awaits. `admit` decides per request: send it, skip it (finished earlier), stop here, or wait
 * for a promise and go on (skipping it). A bad line throws `InputError` when reached.
 */
export class RequestSource implements AsyncIterableIterator<InputRequest> {
  readonly #batches: AsyncGenerator<string[]>;
  #batch: string[] = [];
  #next = 0;
  #line = 0;
  #done = false;

  constructor(
    stream: Readable,
    readonly admit: (request: InputRequest) => Admission,
  ) {
    this.#batches = readLineBatches(stream);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<InputRequest, undefined>> {
    return this.#step() as Promise<IteratorResult<InputRequest, undefined>>;
  }

  /** Closes the input (the run stopped before reading it all). */
  async return(): Promise<IteratorResult<InputRequest, undefined>> {
    this.#done = true;
    await this.#batches.return(undefined);
    return { done: true, value: undefined };
  }

  #step(): IteratorResult<InputRequest, undefined> | Promise<IteratorResult<InputRequest, undefined>> {
    while (!this.#done) {
      while (this.#next < this.#batch.length) {
        const request = parseInputLine(this.#batch[this.#next++]!, ++this.#line);
        if (!request) continue;
        const admission = this.admit(request);
        if (admission === 'send') return { done: false, value: request };
        if (admission === 'stop') this.#done = true;
        else if (admission !== 'skip') return admission.then(() => this.#step());
        if (this.#done) break;
      }
      if (this.#done) break;
      return this.#batches.next().then((read) => {
        if (read.done) this.#done = true;
        else {
          this.#batch = read.value;
          this.#next = 0;
        }
        return this.#step();
      });
    }
    return { done: true, value: undefined };
  }
}

export function openInput(path: string, stdin: Readable): Readable {
  return path === '-' ? stdin : createReadStream(path);
}

async function checkReadable(path: string): Promise<void> {
  try {
    const handle = await open(path, 'r');
    const stats = await handle.stat();
    await handle.close();
    if (stats.isDirectory()) throw new InputError(`cannot read input "${path}": it is a directory`);
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new InputError(`cannot read input "${path}": ${reason}`);
  }
}
