// How `sluice run` keeps a response body, as it arrives: written to a file under --output-dir
// (streamed, so any size), dropped with --no-body, or collected into the result line — JSON as
// JSON, text as a string, anything else as base64.

import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Dispatcher } from 'undici';
import { Collector, discardSink, type BodySink, type ResponseHead, type SinkFactory } from '../bulk/body-sink.js';
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

const none: KeptBody = { kind: 'none' };
const nothing: BodySink<KeptBody> = { data: discardSink.data, end: () => none, error: discardSink.error };

export function bodySink(options: BodyOutputOptions): SinkFactory<InputRequest, KeptBody> {
  return (head, input) => {
    if (options.outputDir !== undefined) return new FileSink(join(options.outputDir, `${input.line}${extensionOf(head)}`));
    if (!options.include) return nothing;
    return new InlineSink(head, options.maxInlineBytes);
  };
}

/** Collects the body for the result line. */
class InlineSink extends Collector<KeptBody> {
  end(): KeptBody {
    return inline(this.bytes(), this.head);
  }
}

/** Streams the body to a file, pausing the connection while the disk is behind. */
class FileSink implements BodySink<KeptBody> {
  readonly #file: WriteStream;
  #bytes = 0;
  #failed: Error | undefined;

  constructor(readonly path: string) {
    this.#file = createWriteStream(path);
    this.#file.on('error', (error) => (this.#failed = error));
  }

  data(chunk: Buffer, controller: Dispatcher.DispatchController): void {
    if (this.#failed) throw this.#failed;
    this.#bytes += chunk.byteLength;
    if (!this.#file.write(chunk)) {
      controller.pause();
      this.#file.once('drain', () => controller.resume());
    }
  }

  end(): Promise<KeptBody> {
    return new Promise((resolve, reject) => {
      if (this.#failed) return reject(this.#failed);
      this.#file.end(() => (this.#failed ? reject(this.#failed) : resolve({ kind: 'file', path: this.path, bytes: this.#bytes })));
    });
  }

  error(): void {
    this.#file.destroy();
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function inline(bytes: Uint8Array, head: ResponseHead): KeptBody {
  if (bytes.byteLength === 0) return none;
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { kind: 'inline', value: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
  }
  if (/[/+]json\b/i.test(String(head.headers['content-type'] ?? ''))) {
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

function extensionOf(head: ResponseHead): string {
  const contentType = head.headers['content-type'];
  if (!contentType) return '.body';
  return extensions.find(([pattern]) => pattern.test(String(contentType)))?.[1] ?? '.body';
}
