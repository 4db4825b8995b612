// Bounds the memory of `sluice run` without the user knowing V8's flags: the process replaces
// itself (execve: same pid, same stdio, same signals and exit code) with one whose young
// generation is capped. Under a sustained request rate V8 otherwise grows each semi-space to
// 64 MB whatever the live heap is, so the peak RSS of a long run is mostly empty young space.

/** Each semi-space's cap in MB (V8 keeps two, plus a large-object young space). See bench:bulk. */
export const semiSpaceMb = 8;

/** V8 flags that already bound the young generation (given by the user, or by our re-exec). */
const youngGenerationFlags = /--(max-semi-space-size|max-young-generation-size|min-semi-space-size|semi-space-growth-factor)\b/;

/** Set in the re-executed process, so it never re-executes again. */
const marker = 'SLUICE_BOUNDED_HEAP';

export interface ReexecOptions {
  argv: readonly string[];
  execArgv: readonly string[];
  env: NodeJS.ProcessEnv;
  execPath: string;
  /** `process.execve`, absent on Windows (and before Node 22.15): then the run is not capped. */
  execve: ((file: string, args: string[], env: NodeJS.ProcessEnv) => never) | undefined;
}

/**
 * For `sluice run`, re-executes the process with `--max-semi-space-size` unless the young
 * generation is already bounded; returns (doing nothing) when it does not apply or cannot.
 */
export function reexecWithBoundedHeap(options: ReexecOptions = processOptions()): void {
  const { argv, execArgv, env, execPath, execve } = options;
  const command = argv[2];
  if (command !== 'run' || argv.includes('--help') || argv.includes('-h')) return;
  if (env[marker] !== undefined || execve === undefined) return;
  if (execArgv.some((flag) => youngGenerationFlags.test(flag)) || youngGenerationFlags.test(env.NODE_OPTIONS ?? '')) return;
  try {
    execve(execPath, [execPath, `--max-semi-space-size=${semiSpaceMb}`, ...execArgv, ...argv.slice(1)], { ...env, [marker]: '1' });
  } catch {
    // Not allowed here (a sandbox, a missing binary): run as we are, just with more memory.
  }
}

function processOptions(): ReexecOptions {
  const execve = (process as { execve?: ReexecOptions['execve'] }).execve;
  return {
    argv: process.argv,
    execArgv: process.execArgv,
    env: process.env,
    execPath: process.execPath,
    execve: process.platform === 'win32' || typeof execve !== 'function' ? undefined : execve.bind(process),
  };
}
