// The CLI's exit codes, in one place so the help text, the commands and the tests agree; scripts
// branch on them, so they are part of the CLI's contract and never change meaning.

export const ExitCode = {
  /** Every request got a response with a status below 400. */
  ok: 0,
  /** At least one request failed: no response (connection, timeout, refusal) or status >= 400. */
  failed: 1,
  /** The command line was wrong: unknown command or flag, bad flag value, missing argument. */
  usage: 2,
  /** The input was wrong: a malformed line, an unreadable file, or a state file for other input. */
  input: 3,
  /** Stopped by Ctrl-C (SIGINT); with --state, finished lines are saved. */
  interrupted: 130,
  /** The reader of stdout went away (`sluice run … | head`); like a process killed by SIGPIPE. */
  outputClosed: 141,
  /**
   * Results or the state file could not be written (disk full, quota, I/O error); like sysexits'
   * EX_IOERR. Finished requests are recorded, so a resumed run does not send them again.
   */
  outputFailed: 74,
  /** Stopped by SIGTERM; with --state, finished lines are saved. */
  terminated: 143,
  /** A bug in sluice (reported with its stack trace); like sysexits' EX_SOFTWARE. */
  internal: 70,
  /** Node.js is older than sluice supports; like sysexits' EX_CONFIG. */
  unsupportedRuntime: 78,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** One line of `--help` per exit code, keyed by code. */
const codeLines: Record<number, string> = {
  [ExitCode.ok]: 'every request got a response with status < 400',
  [ExitCode.failed]: 'some requests failed (no response, or status >= 400)',
  [ExitCode.usage]: 'usage error (unknown command or flag, bad value)',
  [ExitCode.input]: 'bad input (malformed line, unreadable file, state file for another input)',
  [ExitCode.internal]: 'internal error in sluice (please report it)',
  [ExitCode.outputFailed]: 'could not write results or the state file (disk full, I/O error)',
  [ExitCode.unsupportedRuntime]: 'Node.js is too old for sluice (it needs 22.19 or later)',
  [ExitCode.interrupted]: 'interrupted by Ctrl-C (finished lines are saved with --state)',
  [ExitCode.outputClosed]: 'stdout was closed by its reader',
  [ExitCode.terminated]: 'terminated by SIGTERM',
};

/** For `--help`: the codes given, with what each means (`overrides` rewords some for a command). */
export function exitCodeList(codes: readonly number[], overrides: Record<number, string> = {}): string {
  return ['Exit codes:', ...codes.map((code) => `  ${String(code).padEnd(4)} ${overrides[code] ?? codeLines[code]}`)].join('\n');
}

/** Every code, for the global help and `sluice run`. */
export const exitCodeHelp = exitCodeList([0, 1, 2, 3, 70, 74, 78, 130, 141, 143]);
