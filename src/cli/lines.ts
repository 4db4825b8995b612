// Reads a stream as numbered lines with memory bounded by the longest line, whatever the file's
// size: the input of `sluice run` may be millions of lines read from a file or from a pipe.

import type { Readable } from 'node:stream';
import { InputError } from './cli-errors.js';

/** Longest line accepted; a longer one is almost surely not line-oriented input. */
export const maxLineLength = 16 * 1024 * 1024;

export interface NumberedLine {
  /** 1-based. */
  line: number;
  text: string;
}

/**
 * Yields every line (a final line without a newline included); `\r\n` endings are accepted.
 * `onChunk` sees the decoded text as it is read (the scan fingerprints the input with it).
 */
export async function* readLines(stream: Readable, onChunk?: (text: string) => void): AsyncGenerator<NumberedLine> {
  stream.setEncoding('utf8');
  let pending = '';
  let line = 0;
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      onChunk?.(chunk);
      pending += chunk;
      let start = 0;
      for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n', start)) {
        yield { line: ++line, text: stripCr(pending.slice(start, end)) };
        start = end + 1;
      }
      pending = pending.slice(start);
      if (pending.length > maxLineLength) throw new InputError(`longer than ${maxLineLength} characters`, line + 1);
    }
    if (pending !== '') yield { line: ++line, text: stripCr(pending) };
  } finally {
    stream.destroy();
  }
}

function stripCr(text: string): string {
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}
