// The `sluice` subcommands, in the order the help lists them. To add one (e.g. `demo`), write a
// `Command` in its own file and list it here; parsing, help and exit codes come with it.

import type { Command } from './command.js';
import { getCommand } from './get-command.js';
import { runCommand } from './run-command.js';

export const commands: readonly Command[] = [runCommand, getCommand];

export function findCommand(name: string): Command | undefined {
  return commands.find((command) => command.name === name);
}
