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
  /** Stopped by SIGTERM; with --state, finished lines are saved. */
  terminated: 143,
  /** A bug in sluice (reported with its stack trace); like sysexits' EX_SOFTWARE. */
  internal: 70,
  /** Node.js is older than sluice supports; like sysexits' EX_CONFIG. */
  unsupportedRuntime: 78,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** For `--help`: one line per code. */
export const exitCodeHelp = `Exit codes:
  0    every request got a response with status < 400
  1    some requests failed (no response, or status >= 400)
  2    usage error (unknown command or flag, bad value)
  3    bad input (malformed line, unreadable file, state file for another input)
  70   internal error in sluice (please report it)
  78   Node.js is too old for sluice (it needs 22.19 or later)
  130  interrupted by Ctrl-C (finished lines are saved with --state)
  141  stdout was closed by its reader
  143  terminated by SIGTERM`;
