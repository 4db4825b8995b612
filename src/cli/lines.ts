// Reads a stream as lines with memory bounded by the longest line, whatever the file's size: the
// input of `sluice run` may be millions of lines read from a file or from a pipe. Lines come in
// batches (one per chunk read), so a million lines cost a few hundred awaits, not a million.

import type { Readable } from 'node:stream';
import { InputError } from './cli-errors.js';

/** Longest line accepted; a longer one is almost surely not line-oriented input. */
export const maxLineLength = 16 * 1024 * 1024;

/**
 * Yields the lines of each chunk as it is read (a final line without a newline included);
 * `\r\n` endings are accepted. `onChunk` sees the decoded text as it is read (the scan
 * fingerprints the input with it). Throws `InputError` for a line past `maxLineLength`.
 */
export async function* readLineBatches(stream: Readable, onChunk?: (text: string) => void): AsyncGenerator<string[]> {
  stream.setEncoding('utf8');
  let pending = '';
  let lines = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      onChunk?.(chunk);
      pending += chunk;
      const batch: string[] = [];
      let start = 0;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        batch.push(stripCr(pending.slice(start, end)));
        start = end + 1;
      }
      pending = pending.slice(start);
      lines += batch.length;
      if (pending.length > maxLineLength) throw new InputError(`longer than ${maxLineLength} characters`, lines + 1);
      if (batch.length > 0) yield batch;
    }
    if (pending !== '') yield [stripCr(pending)];
  } finally {
    stream.destroy();
  }
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
