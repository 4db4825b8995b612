// `sluice get <url>`: one request with the same backpressure and retries as `run`, curl-style:
// the body to stdout, the status line and headers too with -i, a clear sentence on failure.

import type { ParseArgsOptionsConfig } from 'node:util';
import type { Dispatcher } from 'undici';
import { createClient } from '../client.js';
import { retryDefaults, serverDelayOf } from '../retry/policy.js';
import { onePositional, parseCommandArgs } from './args.js';
import { UsageError } from './cli-errors.js';
import { clientOptionsFrom, durationHelp, requestFlagHelp, requestFlagOptions, type ClientFlagValues } from './client-flags.js';
import type { CliIo, Command } from './command.js';
import { describeError } from './describe-error.js';
import { ExitCode, exitCodeList } from './exit-codes.js';
import { duration } from './format.js';
import { watchInterrupts } from './interrupt.js';
import { OutputWriteError, isOutputClosed } from './output-error.js';
import { proxyFromEnv } from './proxy-from-env.js';
import { redactSecrets, redactUrl } from './redact.js';
import { packageVersion } from './version.js';
import { writeWithBackpressure } from './write-line.js';

const options = {
  ...requestFlagOptions,
  include: { type: 'boolean', short: 'i', default: false },
  method: { type: 'string', short: 'X' },
  data: { type: 'string', short: 'd' },
  verbose: { type: 'boolean', short: 'v', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

interface GetValues extends Omit<ClientFlagValues, 'concurrency' | 'rate'> {
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
${requestFlagHelp.replace('to every request', 'to the request')}
  -X, --method <method>       request method (default: GET, or POST with --data)
  -d, --data <body>           send this request body
  -i, --include               print the status line and response headers first
  -v, --verbose               report each retry on stderr (why, and the wait)
  -h, --help                  show this help

${durationHelp}

Credentials in the URL (https://user:password@host/) are sent as Basic
authentication and never printed. With NODE_USE_ENV_PROXY=1, HTTP_PROXY,
HTTPS_PROXY and NO_PROXY are used, as Node.js 24 does.

${exitCodeList([0, 1, 2, 70, 74, 78, 130, 141, 143], {
  0: 'the response arrived with status < 400',
  1: 'the request failed (no response, or status >= 400)',
  74: 'could not write the body to stdout (disk full, I/O error)',
  130: 'interrupted by Ctrl-C',
})}

Examples:
  sluice get https://api.example.com/users/1
  sluice get -i -H "Authorization: Bearer $TOKEN" https://api.example.com/me
  sluice get -X POST -d '{"name":"Ada"}' -H 'Content-Type: application/json' \\
    https://api.example.com/users
  sluice get -v --max-retry-after 5m https://api.example.com/slow-quota
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
    if (!/^https?:\/\//i.test(url) || !URL.canParse(url)) throw new UsageError(`"${redactUrl(url)}" is not an http(s) URL`, 'get');
    const { client: clientOptions, headers } = clientOptionsFrom(values);
    const method = (values.method ?? (values.data === undefined ? 'GET' : 'POST')).toUpperCase();
    const { target, auth } = withoutCredentials(url);
    if (auth && !headers.some(([name]) => name.toLowerCase() === 'authorization')) headers.push(['Authorization', auth]);
    if (!headers.some(([name]) => name.toLowerCase() === 'user-agent')) headers.push(['User-Agent', `sluice/${packageVersion()}`]);
    return fetchOne(io, url, target, { method, headers, body: values.data, include: values.include, verbose: values.verbose, clientOptions });
  },
};

/** fetch refuses a URL with credentials; curl sends them as Basic authentication, and so do we. */
function withoutCredentials(url: string): { target: string; auth: string | undefined } {
  const parsed = new URL(url);
  if (parsed.username === '' && parsed.password === '') return { target: url, auth: undefined };
  const credentials = `${decodeURIComponent(parsed.username)}:${decodeURIComponent(parsed.password)}`;
  parsed.username = '';
  parsed.password = '';
  return { target: parsed.href, auth: `Basic ${Buffer.from(credentials).toString('base64')}` };
}

interface GetPlan {
  method: string;
  headers: [string, string][];
  body: string | undefined;
  include: boolean;
  verbose: boolean;
  clientOptions: ReturnType<typeof clientOptionsFrom>['client'];
}

/** Sends the request to `target` (`url` without its credentials); messages show `url` redacted. */
async function fetchOne(io: CliIo, url: string, target: string, plan: GetPlan): Promise<number> {
  const shown = redactUrl(url);
  const dispatcher: Dispatcher | undefined = proxyFromEnv();
  const client = createClient({ ...plan.clientOptions, ...(dispatcher ? { dispatcher } : {}) });
  const maxRetryAfter = (plan.clientOptions.retry as { maxRetryAfter?: number } | undefined)?.maxRetryAfter ?? retryDefaults.maxRetryAfter;
  // One request has nothing to finish gracefully: Ctrl-C aborts it at once.
  const interrupt = watchInterrupts(() => {}, 0);
  const stopListening = plan.verbose
    ? client.on('retry', (event) => {
        const what = event.status === undefined ? redactSecrets(describeError(event.error, url).message, url) : `status ${event.status}`;
        io.stderr.write(`sluice: ${what}; retrying in ${duration(event.delay)} (attempt ${event.attempt + 1})\n`);
      })
    : () => {};
  try {
    const response = await client.fetch(target, {
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
      io.stderr.write(`sluice: ${response.status} ${response.statusText} from ${shown}${beyondCap(response, maxRetryAfter)}\n`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  } catch (error) {
    if (interrupt.exitCode !== undefined) return interrupt.exitCode;
    if (isOutputClosed(error)) return ExitCode.outputClosed;
    if (error instanceof OutputWriteError || (error as NodeJS.ErrnoException).syscall === 'write') {
      const failure = error instanceof OutputWriteError ? error : new OutputWriteError('stdout', undefined, error as NodeJS.ErrnoException);
      io.stderr.write(`sluice: ${failure.message}\n`);
      return ExitCode.outputFailed;
    }
    io.stderr.write(`sluice: ${plan.method} ${shown} failed: ${redactSecrets(describeError(error, url).message, url)}\n`);
    return ExitCode.failed;
  } finally {
    stopListening();
    interrupt.dispose();
    await client.close();
    await dispatcher?.close();
  }
}

/**
 * Why a refused response was not retried, when the server asked for a wait past the cap: the
 * time it named and the cap, so the user knows what to change (or how long to come back in).
 */
function beyondCap(response: Response, maxRetryAfter: number): string {
  const now = Date.now();
  const delay = serverDelayOf(response.headers, now);
  if (delay === undefined || delay <= maxRetryAfter) return '';
  const retryAt = new Date(now + delay).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `; the server asks to wait ${duration(delay)} (until ${retryAt}), longer than --max-retry-after (${duration(maxRetryAfter)}), so it was not retried`;
}
