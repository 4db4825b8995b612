// `sluice get <url>`: one request with the same backpressure and retries as `run`, curl-style:
// the body to stdout, the status line and headers too with -i, a clear sentence on failure.

import type { ParseArgsOptionsConfig } from 'node:util';
import { createClient } from '../client.js';
import { onePositional, parseCommandArgs } from './args.js';
import { UsageError } from './cli-errors.js';
import { clientFlagHelp, clientFlagOptions, clientOptionsFrom, type ClientFlagValues } from './client-flags.js';
import type { CliIo, Command } from './command.js';
import { describeError } from './describe-error.js';
import { ExitCode, exitCodeHelp } from './exit-codes.js';
import { duration } from './format.js';
import { watchInterrupts } from './interrupt.js';
import { writeWithBackpressure } from './write-line.js';

const options = {
  ...clientFlagOptions,
  include: { type: 'boolean', short: 'i', default: false },
  method: { type: 'string', short: 'X' },
  data: { type: 'string', short: 'd' },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

interface GetValues extends ClientFlagValues {
  include: boolean;
  method?: string;
  data?: string;
  verbose: boolean;
  help: boolean;
}

const help = `Usage: sluice get [options] <url>

Sends one request and writes the response body to stdout, like curl, but with
sluice's handling of overload: 429 and 503 answers are retried after the time
the server asks for (Retry-After, rate-limit headers), other failures with
backoff.

Options:
${clientFlagHelp}
  -X, --method <method>       request method (default: GET, or POST with --data)
  -d, --data <body>           send this request body
  -i, --include               print the status line and response headers first
  -v, --verbose               report retries and pauses on stderr
  -h, --help                  show this help

${exitCodeHelp.replace('every request got', 'the request got').replace('some requests failed', 'the request failed')}

Examples:
  sluice get https://api.example.com/users/1
  sluice get -i -H 'Authorization: Bearer $TOKEN' https://api.example.com/me
  sluice get -X POST -d '{"name":"Ada"}' -H 'Content-Type: application/json' https://api.example.com/users
`;

export const getCommand: Command = {
  name: 'get',
  summary: 'send one request and print the response body (curl-like)',
  help,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs<GetValues>('get', argv, options);
    if (values.help) {
      io.stdout.write(help);
      return ExitCode.ok;
    }
    const url = onePositional('get', positionals, 'URL', 'missing the URL');
    if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) throw new UsageError(`"${url}" is not an http(s) URL`, 'get');
    const { client: clientOptions, headers } = clientOptionsFrom(values);
    const method = (values.method ?? (values.data === undefined ? 'GET' : 'POST')).toUpperCase();
    return fetchOne(io, url, { method, headers, body: values.data, include: values.include, verbose: values.verbose, clientOptions });
  },
};

interface GetPlan {
  method: string;
  headers: [string, string][];
  body: string | undefined;
  include: boolean;
  verbose: boolean;
  clientOptions: ReturnType<typeof clientOptionsFrom>['client'];
}

async function fetchOne(io: CliIo, url: string, plan: GetPlan): Promise<number> {
  const client = createClient(plan.clientOptions);
  // One request has nothing to finish gracefully: Ctrl-C aborts it at once.
  const interrupt = watchInterrupts(() => {}, 0);
  const stopListening = plan.verbose
    ? client.on('retry', (event) => {
        const what = event.status === undefined ? describeError(event.error, url).message : `status ${event.status}`;
        io.stderr.write(`sluice: ${what}; retrying in ${duration(event.delay)} (attempt ${event.attempt + 1})\n`);
      })
    : () => {};
  try {
    const response = await client.fetch(url, {
      method: plan.method,
      headers: plan.headers,
      signal: interrupt.signal,
      ...(plan.body === undefined ? {} : { body: plan.body }),
    });
    if (plan.include) {
      let head = `HTTP/1.1 ${response.status} ${response.statusText}\r\n`;
      response.headers.forEach((value, name) => (head += `${name}: ${value}\r\n`));
      await writeWithBackpressure(io.stdout, `${head}\r\n`);
    }
    for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
      await writeWithBackpressure(io.stdout, chunk);
    }
    if (response.status >= 400) {
      io.stderr.write(`sluice: ${response.status} ${response.statusText} from ${url}\n`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  } catch (error) {
    if (interrupt.exitCode !== undefined) return interrupt.exitCode;
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') return ExitCode.outputClosed;
    io.stderr.write(`sluice: ${plan.method} ${url} failed: ${describeError(error, url).message}\n`);
    return ExitCode.failed;
  } finally {
    stopListening();
    interrupt.dispose();
    await client.close();
  }
}
