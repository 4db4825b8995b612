// The `sluice run --help` text: what the command does, the input and output formats with an
// example of each, every option with its default, the exit codes and a few recipes.

import { durationHelp, originFlagHelp, requestFlagHelp } from './client-flags.js';
import { exitCodeHelp } from './exit-codes.js';

export const runHelp = `Usage: sluice run [options] <file | ->

Sends one HTTP request per line of <file> (or stdin, with -) and prints one JSON
result per line on stdout. Requests to the same origin share one gate: when the
server answers 429 or 503, or sends rate-limit headers, sluice slows the whole
origin down instead of letting every request retry on its own.

Input: one request per line, each line either a URL or a JSON object.
  https://api.example.com/users/1
  {"url":"https://api.example.com/users","method":"POST","body":{"name":"Ada"}}
  Fields: url (required), method (default GET), headers (object of strings),
  body (a string is sent as is; any other JSON value is sent as JSON), id
  (copied to the result). Blank lines and lines starting with # are skipped.
  A file is checked before anything is sent; a bad line is reported as
  "line 7: ...".

Output: one JSON object per finished request, in the order they finish.
  {"line":1,"url":"https://api.example.com/users/1","method":"GET","status":200,
   "ok":true,"ms":84,"attempts":1,"body":{"id":1,"name":"Ada"}}
  line is the input line; ok means a response below 400 arrived; a JSON body is
  embedded as JSON, text as a string, binary as base64 (with "bodyEncoding");
  a request with no response has "error" (a sentence) and "errorCode" instead
  of "status".

Options:
${originFlagHelp}
${requestFlagHelp}
  -o, --output <file>         append results to <file> (created if missing,
                              never truncated); with --state, a resumed run
                              adds the rest: every result in <file> once
  --include-header <name>     copy this response header into each result
                              (repeatable)
  --output-dir <dir>          write each body to <dir>/<line>.<ext>; results
                              carry "bodyFile" instead of "body"
  --no-body                   leave bodies out of the results
  --ordered                   print results in input order (finished ones
                              wait for earlier ones, up to 1024)
  --fail-fast                 stop at the first failed request (exit 1)
  --state <file>              record finished lines in <file>; after Ctrl-C,
                              a crash or a full disk, run the same command
                              again to go on where it stopped (finished
                              requests are not sent again; one cut short may
                              be). With stdin, feed it the same input again
  --report <file>             write an HTML page of the run to <file>: per
                              origin, attempts over time (sent, 2xx, 429,
                              503), latency p50/p90/p99 and counts per status
  --live                      on a terminal, show one row per origin under
                              the progress line: in flight, window, rate,
                              queued, paused for, 429s
  -q, --quiet                 no progress line and no summary on stderr
  -h, --help                  show this help

${durationHelp}

With --state, use --output rather than '> results.ndjson': running the same
command again with '>' empties the file first, losing the results of the run
you resume (use '>>' if you must redirect).

On a terminal, stderr shows a progress line (done/total, rate, in flight,
queued, 429s, pause, ETA). At the end, stderr gets a summary: the totals, then
per origin the latency (p50, p90, p99, max; queueing and retries included),
the count of each status or error, and the attempts sent. Ctrl-C stops
sending, lets requests in flight finish for up to 2 s, saves --state, and
exits 130.

Credentials in a URL (https://user:password@host/) are sent as Basic
authentication and shown as *** in results and messages. With
NODE_USE_ENV_PROXY=1, HTTP_PROXY, HTTPS_PROXY and NO_PROXY are used, as
Node.js 24 does. Memory stays bounded however long the input (sluice starts
Node with a capped young generation; set NODE_OPTIONS=--max-semi-space-size=N
to choose another cap).

${exitCodeHelp}

Examples:
  sluice run urls.txt > results.ndjson
  sluice run --state run.state --output results.ndjson requests.ndjson
  sluice run --live --report run.html urls.txt > results.ndjson
  sluice run --retry-method POST --max-retry-after 2m \\
    --include-header x-ratelimit-remaining requests.ndjson
  seq 1 500 | sed 's|^|https://api.example.com/items/|' | sluice run - \\
    | jq -c '{line,status}'
`;
