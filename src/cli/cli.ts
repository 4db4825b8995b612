// The `sluice` command line: picks the subcommand, prints the help, and turns the failures a user
// can fix (usage, input) into a message and an exit code instead of a stack trace.

import { InvalidOptionError } from '../errors.js';
import { closest } from './args.js';
import { InputError, UsageError } from './cli-errors.js';
import { processIo, type CliIo } from './command.js';
import { commands, findCommand } from './commands.js';
import { ExitCode, exitCodeHelp } from './exit-codes.js';
import { OutputWriteError } from './output-error.js';
import { packageVersion } from './version.js';

export function globalHelp(): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`).join('\n');
  return `Usage: sluice <command> [options]

sluice sends HTTP requests the way a careful client should: when a server pushes
back (429, 503, rate-limit headers), it slows the whole origin down and retries
after the time the server asks for, instead of hammering it.

Commands:
${list}

Run 'sluice <command> --help' for a command's options and examples,
'sluice --version' for the version.

${exitCodeHelp}
`;
}

/** Runs `sluice` with `argv` (the arguments after the program name); resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '-h' || name === '--help') {
    io.stdout.write(globalHelp());
    return ExitCode.ok;
  }
  if (name === '-V' || name === '--version') {
    io.stdout.write(`sluice ${packageVersion()}\n`);
    return ExitCode.ok;
  }
  if (name === undefined) {
    io.stderr.write(globalHelp());
    return ExitCode.usage;
  }
  if (name === 'help') {
    const command = rest[0] === undefined ? undefined : findCommand(rest[0]);
    io.stdout.write(command?.help ?? globalHelp());
    return rest[0] === undefined || command ? ExitCode.ok : ExitCode.usage;
  }
  const command = findCommand(name);
  if (!command) {
    const names = commands.map((c) => c.name);
    const guess = name.startsWith('-') ? closest(name, ['--help', '--version']) : closest(name, names);
    const hint = `${name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`}${guess ? ` (did you mean ${guess}?)` : ''}`;
    io.stderr.write(`sluice: ${hint}; commands: ${names.join(', ')} (see sluice --help)\n`);
    return ExitCode.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`sluice ${command.name}: ${error.message}\nRun 'sluice ${command.name} --help' for usage.\n`);
      return ExitCode.usage;
    }
    // An option sluice itself refused (say, a value past a limit the flags do not check).
    if (error instanceof InvalidOptionError) {
      io.stderr.write(`sluice ${command.name}: ${error.message}\n`);
      return ExitCode.usage;
    }
    if (error instanceof InputError) {
      io.stderr.write(`sluice: ${error.message}\n`);
      return ExitCode.input;
    }
    if (error instanceof OutputWriteError) {
      io.stderr.write(`sluice: ${error.message}\n`);
      return ExitCode.outputFailed;
    }
    throw error;
  }
}
