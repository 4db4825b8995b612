// `sluice run <file|->`: parses the command line, checks the input file (every line, before
// anything is sent) and the state file, then hands over to `runRequests`.

import { mkdir } from 'node:fs/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import { onePositional, parseCommandArgs } from './args.js';
import { UsageError } from './cli-errors.js';
import { clientFlagOptions, clientOptionsFrom, type ClientFlagValues } from './client-flags.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { scanInputFile } from './input-file.js';
import { runHelp } from './run-help.js';
import { runRequests } from './run-requests.js';
import { StateFile } from './state-file.js';

const options = {
  ...clientFlagOptions,
  'include-header': { type: 'string', multiple: true },
  'output-dir': { type: 'string' },
  body: { type: 'boolean', default: true },
  ordered: { type: 'boolean', default: false },
  'fail-fast': { type: 'boolean', default: false },
  state: { type: 'string' },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

interface RunValues extends ClientFlagValues {
  'include-header'?: string[];
  'output-dir'?: string;
  body: boolean;
  ordered: boolean;
  'fail-fast': boolean;
  state?: string;
  quiet: boolean;
  help: boolean;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'send one request per line of a file (URLs or NDJSON); print results as NDJSON',
  help: runHelp,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs<RunValues>('run', argv, options);
    if (values.help) {
      io.stdout.write(runHelp);
      return ExitCode.ok;
    }
    const input = onePositional('run', positionals, 'input', 'missing the input: a file, or - for stdin');
    const { client, headers } = clientOptionsFrom(values);
    const includeHeaders = (values['include-header'] ?? []).map((name) => {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new UsageError(`--include-header needs a header name, got "${name}"`, 'run');
      return name.toLowerCase();
    });
    const outputDir = values['output-dir'];
    if (outputDir !== undefined) {
      await mkdir(outputDir, { recursive: true }).catch((error: Error) => {
        throw new UsageError(`cannot create --output-dir "${outputDir}": ${error.message}`, 'run');
      });
    }

    let total: number | undefined;
    let fingerprint = 'stdin';
    if (input !== '-') {
      const scan = await scanInputFile(input);
      if (scan.invalid > 0) {
        for (const error of scan.errors) io.stderr.write(`sluice: ${error.message}\n`);
        const more = scan.invalid - scan.errors.length;
        io.stderr.write(`sluice: ${scan.invalid} invalid line(s) in ${input}${more > 0 ? ` (${more} not shown)` : ''}; nothing was sent\n`);
        return ExitCode.input;
      }
      total = scan.total;
      fingerprint = scan.fingerprint;
    }
    const state = values.state === undefined ? undefined : StateFile.open(values.state, fingerprint);
    try {
      return await runRequests({
        io,
        input,
        total,
        client,
        headers,
        includeHeaders,
        outputDir,
        includeBody: values.body,
        ordered: values.ordered,
        failFast: values['fail-fast'],
        state,
        quiet: values.quiet,
      });
    } finally {
      state?.close();
    }
  },
};

