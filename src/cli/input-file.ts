// Where `sluice run` reads requests from: a file (scanned once up front, so bad lines fail the
// run before anything is sent and progress knows the total) or stdin (checked as it streams).

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError } from './cli-errors.js';
import { parseInputLine, type InputRequest } from './input-line.js';
import { readLines } from './lines.js';

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

/** Reads the whole file once: counts requests, validates every line, fingerprints the bytes. */
export async function scanInputFile(path: string, maxErrors = 10): Promise<InputScan> {
  await checkReadable(path);
  const hash = createHash('sha256');
  const scan: InputScan = { total: 0, fingerprint: '', errors: [], invalid: 0 };
  for await (const { line, text } of readLines(createReadStream(path), (chunk) => hash.update(chunk))) {
    try {
      if (parseInputLine(text, line)) scan.total++;
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      scan.invalid++;
      if (scan.errors.length < maxErrors) scan.errors.push(error);
    }
  }
  scan.fingerprint = `sha256:${hash.digest('hex')}`;
  return scan;
}

/** The requests of `stream` in order; a bad line throws `InputError` when reached. */
export async function* readRequests(stream: Readable): AsyncGenerator<InputRequest> {
  for await (const { line, text } of readLines(stream)) {
    const request = parseInputLine(text, line);
    if (request) yield request;
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
