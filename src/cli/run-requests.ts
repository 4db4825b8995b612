// The body of `sluice run`: streams input lines through `client.map`, prints each result as it
// finishes, records it in the state file, and keeps the progress line and the tally up to date.

import type { ClientOptions } from '../client-options.js';
import { createClient } from '../client.js';
import type { MapResult } from '../bulk/map-result.js';
import { InputError } from './cli-errors.js';
import type { CliIo } from './command.js';
import { ExitCode } from './exit-codes.js';
import { openInput, readRequests } from './input-file.js';
import type { InputRequest } from './input-line.js';
import { watchInterrupts } from './interrupt.js';
import { ProgressLine } from './progress-line.js';
import { bodyReader, type KeptBody } from './response-body.js';
import { resultRecord } from './result-line.js';
import type { StateFile } from './state-file.js';
import { summaryLine } from './summary.js';
import { RunTally } from './tally.js';
import { writeWithBackpressure } from './write-line.js';

export interface RunPlan {
  io: CliIo;
  /** A path, or `-` for stdin. */
  input: string;
  /** Requests in the input, when known. */
  total: number | undefined;
  client: ClientOptions;
  /** Added to every request (a line's own headers win). */
  headers: [string, string][];
  includeHeaders: string[];
  outputDir: string | undefined;
  includeBody: boolean;
  ordered: boolean;
  failFast: boolean;
  state: StateFile | undefined;
  quiet: boolean;
}

/** Largest body embedded in a result line; a larger one needs --output-dir. */
const maxInlineBytes = 16 * 1024 * 1024;

export async function runRequests(plan: RunPlan): Promise<number> {
  const { io, state } = plan;
  const client = createClient(plan.client);
  const tally = new RunTally();
  const unsubscribe = client.on('retry', (event) => tally.retried(event));
  const tty = io.stderr.isTTY === true && !plan.quiet;
  let inputError: InputError | undefined;
  let outputClosed = false;
  let unfinished = 0;

  const interrupt = watchInterrupts(() => {
    const message = 'sluice: stopping — requests in flight get 2 s to finish (Ctrl-C again to abort now)';
    if (progress) progress.note(message);
    else if (!plan.quiet) io.stderr.write(`${message}\n`);
  });
  const onOutputError = (error: NodeJS.ErrnoException) => {
    outputClosed = true;
    interrupt.abortNow(error);
  };
  io.stdout.on('error', onOutputError);

  async function* requests(): AsyncGenerator<InputRequest> {
    for await (const request of readRequests(openInput(plan.input, io.stdin))) {
      if (interrupt.requested) return;
      if (state?.isDone(request.line)) {
        state.read(request.line, false);
        tally.resumed++;
        continue;
      }
      state?.read(request.line, true);
      yield request;
    }
  }

  const run = client.map(requests(), (request) => toFetch(request, plan.headers), {
    // A fixed --concurrency is the window per origin the user asked for; map's default cap (for
    // an adaptive window, which grows to 1000 against a fast server) must not lower it.
    ...(typeof plan.client.limits?.concurrency === 'number' ? { concurrency: Infinity } : {}),
    ordered: plan.ordered,
    failFast: plan.failFast,
    signal: interrupt.signal,
    body: bodyReader({ outputDir: plan.outputDir, include: plan.includeBody, maxInlineBytes }),
  });
  const progress = tty
    ? new ProgressLine(io.stderr, () => {
        const gates = client.stats();
        const paused = gates.map((gate) => gate.pausedUntil ?? 0).reduce((a, b) => Math.max(a, b), 0);
        return {
          done: tally.resumed + tally.done,
          total: plan.total,
          failed: tally.failed,
          throttled: tally.throttled,
          inFlight: run.progress.inFlight,
          queued: gates.reduce((sum, gate) => sum + gate.queued, 0),
          pausedUntil: paused > 0 ? paused : undefined,
        };
      })
    : undefined;
  progress?.start();

  try {
    for await (const result of run as AsyncIterable<MapResult<InputRequest, KeptBody>>) {
      // Cut short by Ctrl-C or --fail-fast: not finished, so not printed and not recorded;
      // a resumed run sends it again.
      if (result.cancelled) {
        unfinished++;
        continue;
      }
      if (outputClosed) continue;
      // Results and progress share the terminal when stdout is not redirected.
      if (io.stdout.isTTY) progress?.hide();
      try {
        await writeWithBackpressure(io.stdout, `${JSON.stringify(resultRecord(result, plan.includeHeaders))}\n`);
      } catch (error) {
        onOutputError(error as NodeJS.ErrnoException);
        continue;
      }
      state?.done(result.input.line);
      tally.finished({ ok: result.ok, status: result.response?.status, error: result.error });
    }
  } catch (error) {
    // Only stdin input reaches here with a bad line: a file was checked before the run.
    if (!(error instanceof InputError)) throw error;
    inputError = error;
  } finally {
    progress?.stop();
    interrupt.dispose();
    unsubscribe();
    io.stdout.off('error', onOutputError);
    await client.close();
  }

  if (inputError) io.stderr.write(`sluice: ${inputError.message}; stopped reading input there\n`);
  if (!plan.quiet && !outputClosed) {
    io.stderr.write(`${summaryLine(tally, { interrupted: interrupt.exitCode !== undefined, unfinished, statePath: state?.path, total: plan.total })}\n`);
  }
  if (outputClosed) return ExitCode.outputClosed;
  if (interrupt.exitCode !== undefined) return interrupt.exitCode;
  if (inputError) return ExitCode.input;
  return tally.failed > 0 || unfinished > 0 ? ExitCode.failed : ExitCode.ok;
}

/** A line's request as fetch arguments; the line's own headers override --header ones. */
function toFetch(request: InputRequest, headers: [string, string][]) {
  const merged = new Headers(headers);
  for (const [name, value] of request.headers) merged.set(name, value);
  return {
    input: request.url,
    init: { method: request.method, headers: merged, ...(request.body === undefined ? {} : { body: request.body }) },
  };
}
