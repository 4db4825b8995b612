// The two failures the CLI reports without a stack trace: a wrong command line (exit 2) and
// wrong input (exit 3). Anything else reaching the top is a bug and is reported as one.

/** The command line is wrong; the message says what and how to fix it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** The command whose `--help` the user should read (undefined: the global help). */
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The input (a line, a file, the state file) is wrong; the message names the line and field. */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(
    message: string,
    /** 1-based line number in the input, when the error is about one line. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
  }
}
