// How `sluice run` keeps a response body: written to a file under --output-dir (streamed, so any
// size), dropped with --no-body, or read into the result line — JSON as JSON, text as a string.

import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { readBodyBytes, type BodyReader } from '../bulk/body-mode.js';
import type { InputRequest } from './input-line.js';

/** What a result line says about the body. */
export type KeptBody =
  | { kind: 'file'; path: string; bytes: number }
  | { kind: 'inline'; value: unknown; encoding?: 'base64' }
  | { kind: 'none' };

export interface BodyOutputOptions {
  /** Write bodies to files here instead of into the result lines. */
  outputDir?: string | undefined;
  /** False: read and drop bodies (--no-body). */
  include: boolean;
  /** Largest body put into a result line; larger ones fail and point at --output-dir. */
  maxInlineBytes: number;
}

export function bodyReader(options: BodyOutputOptions): BodyReader<KeptBody> {
  return async (response, { input }) => {
    const { line } = input as InputRequest;
    if (options.outputDir !== undefined) return writeToFile(response, options.outputDir, line);
    if (!options.include) {
      // Read to the end rather than cancel, so the connection goes back to the pool.
      for await (const _ of (response.body ?? []) as AsyncIterable<Uint8Array>) void _;
      return { kind: 'none' };
    }
    return inline(response, options.maxInlineBytes);
  };
}

async function writeToFile(response: Response, dir: string, line: number): Promise<KeptBody> {
  const path = join(dir, `${line}${extensionOf(response.headers.get('content-type'))}`);
  let bytes = 0;
  const source = response.body ? Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>) : Readable.from([]);
  source.on('data', (chunk: Uint8Array) => (bytes += chunk.byteLength));
  await pipeline(source, createWriteStream(path));
  return { kind: 'file', path, bytes };
}

async function inline(response: Response, maxBytes: number): Promise<KeptBody> {
  const bytes = await readBodyBytes(response, maxBytes);
  if (bytes.byteLength === 0) return { kind: 'none' };
  const type = response.headers.get('content-type') ?? '';
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { kind: 'inline', value: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
  if (/[/+]json\b/i.test(type)) {
    try {
      return { kind: 'inline', value: JSON.parse(text) };
    } catch {
      // A server that labels non-JSON as JSON still gets its text shown.
    }
  }
  return { kind: 'inline', value: text };
}

const extensions: [RegExp, string][] = [
  [/[/+]json\b/i, '.json'],
  [/^text\/html/i, '.html'],
  [/[/+]xml\b/i, '.xml'],
  [/^text\/csv/i, '.csv'],
  [/^text\//i, '.txt'],
  [/^image\/png/i, '.png'],
  [/^image\/jpe?g/i, '.jpg'],
  [/^application\/pdf/i, '.pdf'],
];

function extensionOf(contentType: string | null): string {
  if (!contentType) return '.body';
  return extensions.find(([pattern]) => pattern.test(contentType))?.[1] ?? '.body';
}
