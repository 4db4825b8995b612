// The live progress line of `sluice run` on a terminal: done/total, rate, in flight, queued,
// 429s, pause and ETA, redrawn in place at most ten times a second on stderr (with --live, rows under it).

import { count, duration, perSecond } from './format.js';

export interface ProgressSnapshot {
  /** Finished in this run. */
  done: number;
  /** Finished in earlier runs (resumed from --state): shown, but not part of the rate. */
  resumed: number;
  /** Requests in the input, when known (a file; not stdin). */
  total: number | undefined;
  failed: number;
  throttled: number;
  inFlight: number;
  queued: number;
  /** Epoch ms until which some origin is paused by the server. */
  pausedUntil: number | undefined;
}

/** What the line is written to: stderr, whose `columns` says how wide the terminal is. */
export interface ProgressStream {
  write(text: string): unknown;
  columns?: number;
}

/** Redraws at most every 100 ms: readable, and cheap whatever the request rate. */
const redrawMs = 100;
/**
 * Rate and ETA over the last five seconds, so they follow a change of pace quickly. Only this
 * run's results count: lines skipped as finished on resume come in a rush that is not a rate.
 */
const windowMs = 5000;

export class ProgressLine {
  #timer: NodeJS.Timeout | undefined;
  readonly #samples: { at: number; done: number }[] = [];
  /** Lines on screen from the last draw (0: none). */
  #drawn = 0;

  constructor(
    readonly stream: ProgressStream,
    readonly snapshot: () => ProgressSnapshot,
    readonly now: () => number = Date.now,
    /** Lines drawn under the progress line (the live table of --live), given the width. */
    readonly rows?: (width: number) => string[],
  ) {}

  start(): void {
    this.draw();
    this.#timer = setInterval(() => this.draw(), redrawMs).unref();
  }

  /** Prints `message` on its own line above the progress line. */
  note(message: string): void {
    this.#clear();
    this.stream.write(`${message}\n`);
    this.draw();
  }

  draw(): void {
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    const lines = [this.format(this.snapshot()), ...(this.rows?.(width) ?? [])].map((line) => (line.length > width ? line.slice(0, width) : line));
    // Back to the first line drawn, then each line followed by "erase to end of line": redrawn
    // in place without scrolling the terminal; "erase below" removes rows a shorter table left.
    const below = lines.length < this.#drawn ? '\x1b[J' : '';
    this.stream.write(`${this.#home()}${lines.join('\x1b[K\n')}\x1b[K${below}`);
    this.#drawn = lines.length;
  }

  /** Erases the line until the next redraw, so output to the same terminal lands on a clean line. */
  hide(): void {
    this.#clear();
  }

  /** Stops redrawing and erases the line, leaving the cursor where the line began. */
  stop(): void {
    clearInterval(this.#timer);
    this.#clear();
  }

  format(s: ProgressSnapshot): string {
    const at = this.now();
    this.#samples.push({ at, done: s.done });
    while (this.#samples.length > 2 && this.#samples[0]!.at < at - windowMs) this.#samples.shift();
    const first = this.#samples[0]!;
    const rate = at > first.at ? ((s.done - first.done) * 1000) / (at - first.at) : 0;
    const done = s.resumed + s.done;
    const parts = [
      s.total === undefined ? count(done) : `${count(done)}/${count(s.total)}`,
      ...(s.total ? [`${Math.floor((done / s.total) * 100)}%`] : []),
      perSecond(rate),
      `in flight ${count(s.inFlight)}`,
      `queued ${count(s.queued)}`,
      `429s ${count(s.throttled)}`,
    ];
    if (s.pausedUntil !== undefined && s.pausedUntil > at) parts.push(`paused ${duration(s.pausedUntil - at)}`);
    if (s.failed > 0) parts.push(`failed ${count(s.failed)}`);
    if (s.total !== undefined && done < s.total) parts.push(`ETA ${rate > 0 ? duration(((s.total - done) / rate) * 1000) : '?'}`);
    return `sluice ${parts.join('  ')}`;
  }

  /** Moves the cursor to the start of the first line drawn. */
  #home(): string {
    return this.#drawn > 1 ? `\r\x1b[${this.#drawn - 1}A` : '\r';
  }

  #clear(): void {
    if (this.#drawn > 1) this.stream.write(`${this.#home()}\x1b[J`);
    else if (this.#drawn === 1) this.stream.write('\r\x1b[K');
    this.#drawn = 0;
  }
}
