// A write that failed for a reason other than the reader leaving: a full disk, a quota, an I/O
// error — on stdout, the --output file or the state file. It has its own message and exit code.

export type OutputTarget = 'stdout' | 'output' | 'state';

const reasons: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'the file is too large for its file system',
  EIO: 'input/output error',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EBADF: 'it is not open for writing',
};

export class OutputWriteError extends Error {
  override readonly name = 'OutputWriteError';
  readonly code: string;

  constructor(
    readonly target: OutputTarget,
    readonly path: string | undefined,
    cause: NodeJS.ErrnoException,
  ) {
    const code = cause?.code ?? 'EIO';
    const what = target === 'stdout' ? 'results to stdout' : target === 'output' ? `results to "${path}"` : `the state file "${path}"`;
    super(`cannot write ${what}: ${reasons[code] ?? cause?.message ?? 'unknown error'} (${code})`, { cause });
    this.code = code;
  }
}

/** The reader of a pipe went away (`| head`): not a failure of the disk, and not reported as one. */
export function isOutputClosed(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/** A failed write to stdout as the CLI reports it: the reader leaving stays as it is, anything else is an `OutputWriteError`. */
export function stdoutFailure(error: unknown): unknown {
  return isOutputClosed(error) || error instanceof OutputWriteError ? error : new OutputWriteError('stdout', undefined, error as NodeJS.ErrnoException);
}
