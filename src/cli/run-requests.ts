// The body of `sluice run`: streams input lines through the bulk runner (the engine over plain
// undici dispatches), writes each result as it finishes, records it in the state file, and keeps
// the progress line and the tally up to date.

import { Agent, type Dispatcher } from 'undici';
import type { ClientOptions } from '../client-options.js';
import { createEngine } from '../engine/engine.js';
import { createBulkDispatcher } from '../bulk/bulk-dispatcher.js';
import { BulkRun, type ItemSender, type RunControl } from '../bulk/bulk-run.js';
import { mapDefaults } from '../bulk/map-options.js';
import { dispatchItem, type RawResult } from '../bulk/dispatch-item.js';
import { InputError } from './cli-errors.js';
import type { CliIo } from './command.js';
import { ExitCode } from './exit-codes.js';
import { openInput, RequestSource } from './input-file.js';
import type { InputRequest } from './input-line.js';
import { watchInterrupts } from './interrupt.js';
import { lineDispatch, type LineDefaults } from './line-request.js';
import { isOutputClosed, stdoutFailure } from './output-error.js';
import { ProgressLine } from './progress-line.js';
import { formatLiveTable } from '../report/live-table.js';
import { bodySink, type KeptBody } from './response-body.js';
import { ResultCommitter } from './result-committer.js';
import { lostRecord, resultRecord } from './result-line.js';
import type { ResultOutput } from './result-output.js';
import { RunObserver, type ReportFile } from './run-observer.js';
import type { StateFile } from './state-file.js';
import { summaryLine } from './summary.js';
import { RunTally } from './tally.js';

export interface RunPlan {
  io: CliIo;
  /** A path, or `-` for stdin. */
  input: string;
  /** Requests in the input, when known. */
  total: number | undefined;
  client: ClientOptions;
  /** What requests are sent through (a proxy agent from the environment); none: a plain Agent. */
  dispatcher: Dispatcher | undefined;
  /** Headers for every request (a line's own headers win) and the User-Agent. */
  defaults: LineDefaults;
  includeHeaders: string[];
  outputDir: string | undefined;
  includeBody: boolean;
  ordered: boolean;
  failFast: boolean;
  state: StateFile | undefined;
  output: ResultOutput;
  quiet: boolean;
  /** `--report FILE`: the run's HTML page, written when it ends. */
  report: ReportFile | undefined;
  /** `--live`: one row per origin under the progress line (on a terminal). */
  live: boolean;
}

/** Largest body embedded in a result line; a larger one needs --output-dir. */
const maxInlineBytes = 16 * 1024 * 1024;

type LineResult = RawResult<InputRequest, KeptBody>;

export async function runRequests(plan: RunPlan): Promise<number> {
  const { io, state } = plan;
  const engine = createEngine(plan.client);
  const ownAgent = plan.dispatcher ? undefined : new Agent();
  const dispatcher = createBulkDispatcher(engine, plan.dispatcher ?? ownAgent!);
  const tally = new RunTally();
  const unsubscribe = engine.on('retry', (event) => tally.retried(event));
  const tty = io.stderr.isTTY === true && !plan.quiet;
  // Latency and results per origin for the summary and the report; nothing recorded when neither is shown.
  const observer = plan.quiet && plan.report === undefined ? undefined : new RunObserver(plan.report && engine);
  let inputError: InputError | undefined;
  let unfinished = 0;

  const interrupt = watchInterrupts(() => {
    const message = 'sluice: stopping — requests in flight get 2 s to finish (Ctrl-C again to abort now)';
    if (progress) progress.note(message);
    else if (!plan.quiet) io.stderr.write(`${message}\n`);
  });
  // A write that fails stops the run: the reader leaving (EPIPE) at once, a full disk after the
  // requests in flight finish (their results are recorded as lost, so they are not sent again).
  let writeFailure: unknown;
  const onWriteFailure = (error: unknown) => {
    if (writeFailure !== undefined) return;
    writeFailure = error;
    if (isOutputClosed(error)) interrupt.abortNow(error);
    else interrupt.stopTaking();
  };
  const committer = new ResultCommitter(plan.output, state, onWriteFailure);
  const onStreamError = (error: NodeJS.ErrnoException) => onWriteFailure(stdoutFailure(error));
  if (plan.output.kind === 'stdout') io.stdout.on('error', onStreamError);

  // Decided per line as it is read: the run's source answers without a promise for most lines.
  const requests = new RequestSource(openInput(plan.input, io.stdin), (request) => {
    if (interrupt.requested || state?.full) return 'stop';
    if (state?.isLost(request.line)) {
      // Answered in an earlier run whose output failed: said so now, not sent again.
      state.read(request.line, false);
      tally.finished({ ok: false, error: 'lost' });
      return committer.add(request.line, `${JSON.stringify(lostRecord(request))}\n`) ?? 'skip';
    }
    if (state?.isDone(request.line)) {
      state.read(request.line, false);
      tally.resumed++;
      return 'skip';
    }
    state?.read(request.line, true);
    return 'send';
  });

  const sink = bodySink({ outputDir: plan.outputDir, include: plan.includeBody, maxInlineBytes });
  const makeSender = (control: RunControl): ItemSender<InputRequest, LineResult> => {
    const context = { dispatcher, sink, stopped: control.stopped, onClientClosed: control.onClientClosed };
    return {
      send: (request, index, prepared) => dispatchItem(context, request, index, lineDispatch(request, prepared.url, plan.defaults), control.stop),
      failed: (input, index, error, cancelled) => ({ input, index, ok: false, error, attempts: 0, ms: 0, ...(cancelled ? { cancelled: true as const } : {}) }),
    };
  };
  const run = new BulkRun<InputRequest, LineResult>(
    engine,
    requests,
    (request) => request.url,
    {
      // A fixed --concurrency is the window per origin the user asked for; the bulk runner's
      // default cap (for an adaptive window, which grows to 1000 against a fast server) must not lower it.
      concurrency: typeof plan.client.limits?.concurrency === 'number' ? Infinity : mapDefaults.concurrency,
      bufferSize: mapDefaults.bufferSize,
      ordered: plan.ordered,
      failFast: plan.failFast,
      signal: interrupt.signal,
    },
    makeSender,
  );
  const progress = tty
    ? new ProgressLine(io.stderr, () => {
        const gates = engine.stats();
        const paused = gates.map((gate) => gate.pausedUntil ?? 0).reduce((a, b) => Math.max(a, b), 0);
        return {
          done: tally.done,
          resumed: tally.resumed,
          total: plan.total,
          failed: tally.failed,
          throttled: tally.throttled,
          inFlight: run.progress.inFlight,
          queued: gates.reduce((sum, gate) => sum + gate.queued, 0),
          pausedUntil: paused > 0 ? paused : undefined,
        };
      }, Date.now, plan.live ? (width) => formatLiveTable(engine.stats(), Date.now(), width) : undefined)
    : undefined;
  progress?.start();

  try {
    for (;;) {
      // Results already waiting are taken without a promise each; only an empty buffer is awaited.
      let result = run.takeReady();
      if (result === undefined) {
        const step = await run.next();
        if (step.done) break;
        result = step.value;
      }
      // Cut short by Ctrl-C or --fail-fast: not finished, so not printed and not recorded;
      // a resumed run sends it again.
      if (result.cancelled) {
        unfinished++;
        continue;
      }
      tally.finished({ ok: result.ok, status: result.status, error: result.error });
      observer?.result(result);
      // Results and progress share the terminal when stdout is not redirected.
      if (io.stdout.isTTY && plan.output.kind === 'stdout') progress?.hide();
      const wait = committer.add(result.input.line, `${JSON.stringify(resultRecord(result, plan.includeHeaders))}\n`);
      if (wait) await wait;
    }
    await committer.flush();
  } catch (error) {
    // Only stdin input reaches here with a bad line: a file was checked before the run.
    if (!(error instanceof InputError)) throw error;
    await committer.flush();
    inputError = error;
  } finally {
    progress?.stop();
    observer?.end();
    interrupt.dispose();
    unsubscribe();
    io.stdout.off('error', onStreamError);
    engine.close();
    await ownAgent?.close();
  }

  if (inputError) io.stderr.write(`sluice: ${inputError.message}; stopped reading input there\n`);
  const stateFull = state?.full;
  if (writeFailure !== undefined && !isOutputClosed(writeFailure)) {
    io.stderr.write(`sluice: ${(writeFailure as Error).message}; stopped sending\n`);
  } else if (stateFull) {
    io.stderr.write(`sluice: the disk holding the state file "${state!.path}" is full (${(stateFull as NodeJS.ErrnoException).code}); stopped sending\n`);
  }
  const closed = writeFailure !== undefined && isOutputClosed(writeFailure);
  const reportFailure = plan.report && writeReport(observer!, plan.report, `sluice run ${plan.input === '-' ? '(stdin)' : plan.input}`);
  if (reportFailure) io.stderr.write(`sluice: ${reportFailure}\n`);
  if (!plan.quiet && !closed) {
    const interrupted = interrupt.exitCode !== undefined || writeFailure !== undefined || stateFull !== undefined;
    const origins = tally.done > 0 ? observer!.summaryLines().map((line) => `  ${line}\n`) : [];
    io.stderr.write(`${summaryLine(tally, { interrupted, unfinished, statePath: state?.path, total: plan.total })}\n${origins.join('')}`);
  }
  if (closed) return ExitCode.outputClosed;
  if (writeFailure !== undefined || stateFull || reportFailure) return ExitCode.outputFailed;
  if (interrupt.exitCode !== undefined) return interrupt.exitCode;
  if (inputError) return ExitCode.input;
  return tally.failed > 0 || unfinished > 0 ? ExitCode.failed : ExitCode.ok;
}

/** Writes the report page; a failure (a full disk) is returned as a message, the run's results stand. */
function writeReport(observer: RunObserver, file: ReportFile, title: string): string | undefined {
  try {
    observer.writeReport(file, title);
    return undefined;
  } catch (error) {
    return `cannot write --report "${file.path}": ${(error as Error).message}`;
  }
}
