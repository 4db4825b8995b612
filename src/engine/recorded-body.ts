// A streamed request body that can be sent again: every chunk read from the caller's source is
// kept (up to a bound) so a retry replays what was read and then goes on reading the source.

import type { RequestBody } from './request-body.js';

/** Where the chunks come from: a ReadableStream's reader, or an (async) iterator. */
export interface ChunkSource {
  read(): Promise<IteratorResult<unknown>>;
  /** Stops the source for good (the stream's cancel, the iterator's return). */
  cancel(reason: unknown): Promise<void>;
  /** Gives the caller's stream back (unlocks it); nothing for an iterator. */
  release(): void;
  /**
   * The chunk as bytes to keep, or undefined for one that cannot be kept (it is then sent as it
   * is, and the body is no longer replayable).
   */
  toBytes(chunk: unknown): Uint8Array | undefined;
}

const END = Symbol('end of body');

/**
 * One request's streamed body across its attempts. Each attempt gets its own stream, which
 * replays the kept chunks from the start and then reads on from the source; the source is read
 * by one attempt at a time, and every chunk read is kept (so a chunk an abandoned attempt pulled
 * is not lost to the next). Kept while all of it fits `maxBytes`; past that, the body is spent.
 *
 * Keeping a partial prefix, not only a complete body, is the point: undici pulls a stream's
 * first chunk before it connects, so a refused connection would otherwise spend any stream.
 */
export class RecordedBody implements RequestBody {
  readonly streaming = true;
  /** Every chunk read so far, while `#kept`. */
  #chunks: Uint8Array[] = [];
  /** Chunks read from the source, kept or not. */
  #read = 0;
  #bytes = 0;
  /** Every chunk read so far is in `#chunks`. */
  #kept = true;
  #ended = false;
  #failed = false;
  /** The source was cancelled: nothing more can be read from it. */
  #cancelled = false;
  /** The caller's stream was given back. */
  #released = false;
  /** The source read in progress, shared by whoever wants the next chunk. */
  #pending: Promise<unknown> | undefined;
  /** The request is over; the last attempt's stream releases the source once done with it. */
  #settled = false;
  /** The latest attempt's stream: once the request is over, only it may still be sending. */
  #current: ReadableStream<Uint8Array> | undefined;
  /** Chunks read ahead and not kept (past the bound), until the first attempt has sent them. */
  #prefix: Uint8Array[] | undefined;

  constructor(
    private readonly source: ChunkSource,
    private readonly maxBytes: number,
    /** Chunks already read from the source (a Request's body, read ahead), kept as its start. */
    initial: readonly Uint8Array[] = [],
  ) {
    for (const chunk of initial) this.#keep(chunk);
    // A read-ahead past the bound cannot be kept for a replay, but the first attempt sends it.
    if (!this.#kept) this.#prefix = [...initial];
  }

  get replayable(): boolean {
    return this.#kept && !this.#failed && !this.#cancelled;
  }

  next(): ReadableStream<Uint8Array> {
    this.#current = this.#attemptStream();
    return this.#current;
  }

  /**
   * The request is over. After a failure the source is cancelled with the error and given back,
   * so the caller's stream is neither left locked nor read on. After a response, a source read
   * to its end is given back now, and one still being sent by the final attempt when it ends.
   */
  dispose(error?: unknown): void {
    this.#settled = true;
    if (this.#released) return;
    if (this.#ended) this.#release();
    else if (error !== undefined || this.#read === 0 || this.#current === undefined) {
      this.#cancel(error ?? new Error('the request ended before its body was sent'));
    }
  }

  #attemptStream(): ReadableStream<Uint8Array> {
    let position = 0;
    const stream: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          const chunk = await this.#chunkAt(position++);
          if (chunk === END) controller.close();
          else controller.enqueue(chunk as Uint8Array);
        },
        cancel: (reason) => {
          // An attempt let go of its body (it failed, or the server answered early). The source
          // stays for a replay, unless the request is over and this was its last attempt.
          if (this.#settled && this.#current === stream) this.#cancel(reason);
        },
      },
      // Pull only when the attempt reads: an abandoned attempt must not read the source ahead.
      { highWaterMark: 0 },
    );
    return stream;
  }

  /** The chunk at `index` (replayed, or read from the source now), or END. */
  async #chunkAt(index: number): Promise<unknown> {
    for (;;) {
      if (index < this.#chunks.length) return this.#chunks[index]!;
      if (this.#prefix !== undefined && index < this.#prefix.length) {
        const chunk = this.#prefix[index]!;
        if (index === this.#prefix.length - 1) this.#prefix = undefined;
        return chunk;
      }
      if (index < this.#read) {
        // Sent by an earlier attempt and not kept. The policy does not retry such a body.
        throw new TypeError('sluice: this request body was already sent and cannot be sent again');
      }
      if (this.#ended) return END;
      if (this.#cancelled) throw new TypeError('sluice: the request body was cancelled');
      if (this.#pending === undefined) break;
      await this.#pending.catch(() => {});
    }
    const read = this.#readSource();
    this.#pending = read;
    try {
      return await read;
    } finally {
      this.#pending = undefined;
    }
  }

  async #readSource(): Promise<unknown> {
    let result: IteratorResult<unknown>;
    try {
      result = await this.source.read();
    } catch (error) {
      this.#failed = true;
      throw error;
    }
    if (result.done) {
      this.#ended = true;
      // The whole body went out and the request is over: give the caller's stream back.
      if (this.#settled) this.#release();
      return END;
    }
    const bytes = this.source.toBytes(result.value);
    if (bytes === undefined) {
      this.#read++;
      this.#spend();
      return result.value;
    }
    this.#keep(bytes);
    return bytes;
  }

  #keep(bytes: Uint8Array): void {
    this.#read++;
    if (!this.#kept) return;
    this.#bytes += bytes.byteLength;
    if (this.#bytes > this.maxBytes) this.#spend();
    else this.#chunks.push(bytes);
  }

  #spend(): void {
    this.#kept = false;
    this.#chunks = [];
  }

  #cancel(reason: unknown): void {
    if (this.#cancelled || this.#released) return;
    this.#cancelled = true;
    this.#chunks = [];
    const release = () => this.#release();
    this.source.cancel(reason).then(release, release);
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.source.release();
  }
}
