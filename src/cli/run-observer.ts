// What `sluice run` records to show a run: per origin, the attempts over time (from the engine's
// events), each result's status and latency; written as the --report page and the summary lines.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { Engine } from '../engine/engine.js';
import { renderRunReportHtml } from '../report/run-report-html.js';
import { RunRecorder } from '../report/run-recorder.js';
import { formatOriginSummary } from '../report/run-summary.js';
import { InputError } from './cli-errors.js';
import { OriginCache } from './origin-of.js';

/** Origins the summary on stderr lists one by one; the report page shows them all. */
const summaryOrigins = 10;

/** The parts of a result line the observer reads. */
export interface ObservedResult {
  input: { url: string };
  status?: number;
  error?: unknown;
  ms: number;
}

/** `--report FILE`: opened (and emptied) before the run, so a bad path fails before anything is sent. */
export class ReportFile {
  private constructor(
    readonly path: string,
    readonly fd: number,
  ) {}

  static open(path: string): ReportFile {
    try {
      return new ReportFile(path, openSync(path, 'w', 0o644));
    } catch (error) {
      throw new InputError(`cannot open --report "${path}": ${(error as Error).message}`);
    }
  }

  write(html: string): void {
    const bytes = Buffer.from(html);
    for (let at = 0; at < bytes.length; ) at += writeSync(this.fd, bytes, at);
  }

  close(): void {
    closeSync(this.fd);
  }
}

export class RunObserver {
  readonly #recorder: RunRecorder;
  readonly #origins = new OriginCache();
  readonly #detach: (() => void) | undefined;

  /**
   * Records results (told with `result()`) and, given an `engine`, its attempts over time until
   * `end()`. The attempts are for the --report page: listening costs the gate an event object
   * per admission and per end (bench:bulk: 1.07 and 1.14 × the CPU per request of `-q` in two
   * runs), so without a page the summary makes do with the results.
   */
  constructor(engine: Pick<Engine, 'on'> | undefined, now: () => number = Date.now) {
    this.#recorder = new RunRecorder({ now });
    this.#detach = engine && this.#recorder.attach(engine);
  }

  result(result: ObservedResult): void {
    const origin = this.#origins.of(result.input.url);
    if (result.status !== undefined) this.#recorder.request(origin, { status: result.status, latencyMs: result.ms });
    else this.#recorder.request(origin, { error: errorName(result.error), latencyMs: result.ms });
  }

  /** Stops recording: the run's duration ends here. */
  end(): void {
    this.#recorder.end();
    this.#detach?.();
  }

  /** The per-origin lines of the summary on stderr: latency percentiles, results, and the attempts when recorded. */
  summaryLines(): string[] {
    return formatOriginSummary(this.#recorder.report(), summaryOrigins);
  }

  /** Writes the run's self-contained HTML page to `file`. */
  writeReport(file: ReportFile, title: string): void {
    file.write(renderRunReportHtml(this.#recorder.report(), { title }));
  }
}

/** A result's error as the report counts it: its code (`ECONNREFUSED`, `UND_ERR_…`) or its name. */
function errorName(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string' && code !== '') return code;
  return typeof name === 'string' && name !== '' ? name : 'error';
}
