// `sluice run <file|->`: parses the command line, checks the input file (every line, before
// anything is sent), the output and the state file, then hands over to `runRequests`.

import { mkdir } from 'node:fs/promises';
import type { ParseArgsOptionsConfig } from 'node:util';
import { onePositional, parseCommandArgs } from './args.js';
import { UsageError } from './cli-errors.js';
import { clientOptionsFrom, originFlagOptions, requestFlagOptions, type ClientFlagValues } from './client-flags.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';
import { scanInputFile } from './input-file.js';
import { proxyFromEnv } from './proxy-from-env.js';
import { FileOutput, StreamOutput, type ResultOutput } from './result-output.js';
import { runHelp } from './run-help.js';
import { ReportFile } from './run-observer.js';
import { runRequests } from './run-requests.js';
import { StateFile } from './state-file.js';
import { packageVersion } from './version.js';

const options = {
  ...originFlagOptions,
  ...requestFlagOptions,
  'include-header': { type: 'string', multiple: true },
  output: { type: 'string', short: 'o' },
  'output-dir': { type: 'string' },
  body: { type: 'boolean', default: true },
  ordered: { type: 'boolean', default: false },
  'fail-fast': { type: 'boolean', default: false },
  state: { type: 'string' },
  report: { type: 'string' },
  live: { type: 'boolean', default: false },
  quiet: { type: 'boolean', short: 'q', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

interface RunValues extends ClientFlagValues {
  'include-header'?: string[];
  output?: string;
  'output-dir'?: string;
  body: boolean;
  ordered: boolean;
  'fail-fast': boolean;
  state?: string;
  report?: string;
  live: boolean;
  quiet: boolean;
  help: boolean;
}

export const runCommand: Command = {
  name: 'run',
  summary: 'send one request per line (URLs or NDJSON); print NDJSON results',
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
    if (values.output !== undefined && values.output === values.state) {
      throw new UsageError('--output and --state must be different files', 'run');
    }
    if (values.report !== undefined && (values.report === values.output || values.report === values.state)) {
      throw new UsageError(`--report must be a file of its own, not the ${values.report === values.output ? '--output' : '--state'} file`, 'run');
    }

    let total: number | undefined;
    let fingerprint = 'stdin';
    if (input !== '-') {
      const scan = await scanInputFile(input, { fingerprint: values.state !== undefined });
      if (scan.invalid > 0) {
        for (const error of scan.errors) io.stderr.write(`sluice: ${error.message}\n`);
        const more = scan.invalid - scan.errors.length;
        io.stderr.write(`sluice: ${scan.invalid} invalid line(s) in ${input}${more > 0 ? ` (${more} not shown)` : ''}; nothing was sent\n`);
        return ExitCode.input;
      }
      total = scan.total;
      fingerprint = scan.fingerprint;
    }
    const file = values.output === undefined ? undefined : FileOutput.open(values.output);
    const output: ResultOutput = file ?? new StreamOutput(io.stdout);
    let state: StateFile | undefined;
    let report: ReportFile | undefined;
    const dispatcher = proxyFromEnv();
    try {
      report = values.report === undefined ? undefined : ReportFile.open(values.report);
      state = values.state === undefined ? undefined : StateFile.open(values.state, fingerprint, file ? { output: file } : {});
      return await runRequests({
        io,
        input,
        total,
        client,
        dispatcher,
        defaults: { headers, userAgent: `sluice/${packageVersion()}` },
        includeHeaders,
        outputDir,
        includeBody: values.body,
        ordered: values.ordered,
        failFast: values['fail-fast'],
        state,
        output,
        quiet: values.quiet,
        report,
        live: values.live,
      });
    } finally {
      report?.close();
      state?.close();
      file?.close();
      await dispatcher?.close();
    }
  },
};
