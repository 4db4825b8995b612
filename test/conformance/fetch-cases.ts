// The cases the conformance suite sends through Node's global fetch and through sluice's fetch:
// each one is a call a program makes, and what it returns is what the program can observe.

import { expect } from 'vitest';
import { Request as UndiciRequest } from 'undici';
import type { EchoServer } from './echo-server.js';
import { describeError, observe, type Observed } from './observe.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface CaseEnv {
  /** The main echo server, and a second one: another origin. */
  echo: EchoServer;
  other: EchoServer;
  /** An origin nobody listens on. */
  refused: string;
}

export interface FetchCase {
  name: string;
  run(fetch: FetchLike, env: CaseEnv): Promise<unknown>;
  /**
   * Set when sluice differs from Node's fetch on purpose: why (the README lists it), and a check
   * of what each does, run instead of comparing the two.
   */
  differs?: { why: string; check(node: unknown, sluice: unknown): void };
}

const text = (value: string) => new TextEncoder().encode(value);
const post = (body: unknown, extra: Record<string, unknown> = {}) => ({ method: 'POST', body, ...extra }) as RequestInit;

function byteStream(parts: string[]): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream({
    pull(controller) {
      if (index < parts.length) controller.enqueue(text(parts[index++]!));
      else controller.close();
    },
  });
}

function sampleForm(): FormData {
  const form = new FormData();
  form.append('field', 'value');
  form.append('same', 'one');
  form.append('same', 'two');
  form.append('upload', new File(['file contents'], 'notes.txt', { type: 'text/plain' }));
  form.append('blob', new Blob(['blob contents']));
  return form;
}

/** Sends `init` to /echo and observes what the server saw. */
const echo = (init?: RequestInit, path = '/echo') => (fetch: FetchLike, env: CaseEnv) => observe(fetch(`${env.echo.origin}${path}`, init));

export const bodyCases: FetchCase[] = [
  { name: 'string body', run: echo(post('hello')) },
  { name: 'empty string body', run: echo(post('')) },
  { name: 'Uint8Array body', run: echo(post(text('bytes'))) },
  { name: 'ArrayBuffer body', run: echo(post(text('buffer').buffer)) },
  { name: 'DataView body', run: echo(post(new DataView(text('view').buffer))) },
  { name: 'Buffer body', run: echo(post(Buffer.from('node buffer'))) },
  { name: 'URLSearchParams body', run: echo(post(new URLSearchParams({ a: '1', b: 'x y' }))) },
  { name: 'Blob body with a type', run: echo(post(new Blob(['blob'], { type: 'application/x-blob' }))) },
  { name: 'Blob body without a type', run: echo(post(new Blob(['untyped']))) },
  { name: 'File body', run: echo(post(new File(['file'], 'f.bin', { type: 'application/octet-stream' }))) },
  { name: 'global FormData body (fields, repeated fields, a File, a Blob)', run: (fetch, env) => echo(post(sampleForm()))(fetch, env) },
  { name: 'ReadableStream body', run: (fetch, env) => echo(post(byteStream(['chunk one, ', 'chunk two']), { duplex: 'half' }))(fetch, env) },
  {
    name: 'async generator of bytes',
    run: (fetch, env) =>
      echo(post((async function* () { yield text('async '); yield text('bytes'); })(), { duplex: 'half' }))(fetch, env),
  },
  {
    name: 'async generator of strings',
    run: (fetch, env) => echo(post((async function* () { yield 'grüße '; yield 'strings'; })(), { duplex: 'half' }))(fetch, env),
  },
  { name: 'POST without a body', run: echo({ method: 'POST' }) },
  { name: 'null body', run: echo(post(null)) },
  { name: 'a plain object body (sent as its string)', run: echo(post({ an: 'object' })) },
  { name: 'a sync generator body (sent as its string)', run: (fetch, env) => echo(post((function* () { yield 'x'; })()))(fetch, env) },
  { name: 'a number body (sent as its string)', run: echo(post(42)) },
  {
    name: 'a locked ReadableStream body is refused',
    run: (fetch, env) => {
      const stream = byteStream(['x']);
      stream.getReader();
      return echo(post(stream, { duplex: 'half' }))(fetch, env);
    },
  },
  { name: 'a stream body without duplex is refused', run: (fetch, env) => echo(post(byteStream(['x'])))(fetch, env) },
  { name: 'a stream of strings fails the request', run: (fetch, env) => echo(post(new ReadableStream({ start(c) { c.enqueue('text'); c.close(); } }), { duplex: 'half' }))(fetch, env) },
  { name: 'a body on GET is refused', run: echo({ method: 'GET', body: 'x' }) },
  { name: 'a body on HEAD is refused', run: echo({ method: 'HEAD', body: 'x' }) },
  {
    name: 'a stream body is locked from the call on, and given back once sent',
    run: async (fetch, env) => {
      const stream = byteStream(['a', 'b']);
      const pending = fetch(`${env.echo.origin}/echo`, post(stream, { duplex: 'half' }));
      const during = stream.locked;
      const observed = await observe(pending);
      return { during, after: stream.locked, observed };
    },
    differs: {
      why: "sluice gives a stream body back (unlocked) once it was sent, and cancels it when the request fails; Node's fetch leaves it locked",
      check(node, sluice) {
        expect(node).toMatchObject({ during: true, after: true });
        expect(sluice).toEqual({ ...(node as object), after: false });
      },
    },
  },
  { name: 'keepalive with a small body', run: echo(post('kept alive', { keepalive: true })) },
  { name: 'null headers are refused', run: echo({ headers: null as never }) },
  { name: 'a null signal is no signal', run: echo({ signal: null }) },
];

export const requestObjectCases: FetchCase[] = [
  { name: 'Request with a string body', run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/echo`, post('from a Request')))) },
  { name: 'Request with a FormData body', run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/echo`, post(sampleForm())))) },
  { name: 'Request with a URLSearchParams body', run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/echo`, post(new URLSearchParams('q=1'))))) },
  { name: 'Request with a Blob body', run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/echo`, post(new Blob(['b'], { type: 'x/y' }))))) },
  {
    name: 'Request with a stream body',
    run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/echo`, post(byteStream(['s1', 's2']), { duplex: 'half' })))),
  },
  {
    name: 'Request with a value body larger than maxReplayBytes',
    run: async (fetch, env) => {
      const observed = await observe(fetch(new Request(`${env.echo.origin}/echo`, post('x'.repeat(1_100_000)))));
      if ('error' in observed) return observed;
      const echo = observed.body as { framing: string; body: string; headers: [string, string][] };
      return { status: observed.status, framing: echo.framing, bytes: echo.body.length, contentLength: echo.headers.find(([name]) => name === 'content-length')?.[1] };
    },
    differs: {
      why: "sluice sends a Request's value body larger than `maxReplayBytes` (1 MiB) chunked, having read only that much of it ahead; Node's fetch sends it with its Content-Length",
      check(node, sluice) {
        expect(node).toEqual({ status: 200, framing: 'content-length', bytes: 1_100_000, contentLength: '1100000' });
        expect(sluice).toEqual({ status: 200, framing: 'chunked', bytes: 1_100_000, contentLength: undefined });
      },
    },
  },
  {
    name: 'Request with its headers and method',
    run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/echo?x=1`, { method: 'PUT', body: 'b', headers: { 'X-One': '1', 'Content-Type': 'text/x' } }))),
  },
  {
    name: "init overrides a Request's method, headers and body",
    run: (fetch, env) =>
      observe(fetch(new Request(`${env.echo.origin}/echo`, { method: 'PUT', body: 'old', headers: { 'X-Old': '1' } }), { method: 'POST', body: 'new', headers: { 'X-New': '2' } })),
  },
  { name: 'global Headers object in init', run: echo({ headers: new Headers([['X-A', '1'], ['X-B', '2'], ['x-a', '3']]) }) },
  { name: 'headers as an array of pairs', run: echo({ headers: [['X-Pair', '1'], ['X-Pair', '2']] }) },
  { name: 'headers as a record', run: echo({ headers: { 'X-Record': 'r', 'Content-Type': 'text/plain' } }) },
  { name: 'a user-agent the caller sets is kept', run: echo({ headers: { 'User-Agent': 'my-app/1.0' } }) },
  { name: 'an invalid header name is refused', run: echo({ headers: { 'bad header': 'x' } }) },
  {
    name: "a Request's aborted signal",
    run: async (fetch, env) => {
      const reason = new Error('aborted in the Request');
      const request = new Request(`${env.echo.origin}/echo`, { signal: AbortSignal.abort(reason) });
      const error = await fetch(request).catch((e: unknown) => e);
      return { sameReason: error === reason, error: describeError(error) };
    },
  },
  {
    name: 'a Request whose body was already used is refused',
    run: async (fetch, env) => {
      const request = new Request(`${env.echo.origin}/echo`, post('once'));
      await request.text();
      return observe(fetch(request));
    },
  },
  {
    name: "a Request's redirect mode is honoured",
    run: (fetch, env) => observe(fetch(new Request(`${env.echo.origin}/redirect?status=302&to=/echo`, { redirect: 'manual' })), 'text'),
  },
  {
    name: 'a Request from another copy of undici (the npm package)',
    run: (fetch, env) => observe(fetch(new UndiciRequest(`${env.echo.origin}/echo`, { method: 'PUT', body: 'from undici' }) as unknown as Request)),
    differs: {
      why: 'sluice reads a Request of any realm (Node\'s fetch takes only its own, and parses any other as the URL "[object Request]")',
      check(node, sluice) {
        expectError(node, 'TypeError', /Failed to parse URL from \[object Request\]/);
        expectEcho(sluice, { method: 'PUT', body: 'from undici' });
      },
    },
  },
];

export const methodCases: FetchCase[] = [
  ...['get', 'Post', 'pUt', 'delete', 'options'].map((method) => ({ name: `method ${method} is normalised`, run: echo({ method, ...(method === 'Post' || method === 'pUt' ? { body: 'b' } : {}) }) })),
  { name: 'method head is normalised', run: (fetch: FetchLike, env: CaseEnv) => observe(fetch(`${env.echo.origin}/echo`, { method: 'head' }), 'text') },
  { name: 'method patch is sent as written', run: echo({ method: 'patch', body: 'p' }) },
  { name: 'method PATCH', run: echo({ method: 'PATCH', body: 'p' }) },
  { name: 'a custom method keeps its case', run: echo({ method: 'mKcOl' }) },
  { name: 'method null is sent as "null"', run: echo({ method: null as unknown as string }) },
  { name: 'method CONNECT is refused', run: echo({ method: 'CONNECT' }) },
  { name: 'method trace is refused', run: echo({ method: 'trace' }) },
  { name: 'method TRACK is refused', run: echo({ method: 'TRACK' }) },
  { name: 'a method that is not a token is refused', run: echo({ method: 'bad method' }) },
];

export const redirectCases: FetchCase[] = [
  ...[301, 302].map((status) => ({
    name: `${status} after POST follows with GET and no body`,
    run: (fetch: FetchLike, env: CaseEnv) => observe(fetch(`${env.echo.origin}/redirect?status=${status}&to=/echo`, post('dropped', { headers: { 'Content-Type': 'text/plain' } }))),
  })),
  { name: '302 after PUT keeps the method and body', run: echo({ method: 'PUT', body: 'kept' }, '/redirect?status=302&to=/echo') },
  { name: '303 after PUT follows with GET', run: echo({ method: 'PUT', body: 'dropped' }, '/redirect?status=303&to=/echo') },
  ...[307, 308].map((status) => ({ name: `${status} keeps POST and its body`, run: echo(post('kept'), `/redirect?status=${status}&to=/echo`) })),
  {
    name: '307 with a stream body cannot be followed',
    run: (fetch: FetchLike, env: CaseEnv) => observe(fetch(`${env.echo.origin}/redirect?status=307&to=/echo`, post(byteStream(['s']), { duplex: 'half' }))),
  },
  {
    name: 'a cross-origin redirect drops Authorization (and keeps other headers)',
    run: (fetch, env) =>
      observe(fetch(`${env.echo.origin}/redirect?status=302&to=${encodeURIComponent(`${env.other.origin}/echo`)}`, { headers: { Authorization: 'Bearer secret', 'X-Kept': 'yes', Cookie: 'c=1' } })),
  },
  {
    name: 'a same-origin redirect keeps Authorization',
    run: (fetch, env) => observe(fetch(`${env.echo.origin}/redirect?status=302&to=/echo`, { headers: { Authorization: 'Bearer secret' } })),
  },
  { name: "redirect: 'manual' returns the redirect", run: (fetch, env) => observe(fetch(`${env.echo.origin}/redirect?status=301&to=/echo`, { redirect: 'manual' }), 'text') },
  { name: "redirect: 'error' rejects", run: (fetch, env) => observe(fetch(`${env.echo.origin}/redirect?status=302&to=/echo`, { redirect: 'error' })) },
  {
    name: 'a chain of redirects sets redirected and the final url',
    run: (fetch, env) => observe(fetch(`${env.echo.origin}/redirect?status=302&to=${encodeURIComponent('/redirect?status=307&to=/echo?final=1')}`)),
  },
  {
    name: 'more than 20 redirects reject',
    run: (fetch, env) => {
      let url = '/echo';
      for (let i = 0; i < 21; i++) url = `/redirect?status=302&to=${encodeURIComponent(url)}`;
      return observe(fetch(`${env.echo.origin}${url}`));
    },
  },
];

export const abortCases: FetchCase[] = [
  {
    name: 'an already aborted signal rejects with its reason',
    run: async (fetch, env) => {
      const reason = new Error('stop');
      const error = await fetch(`${env.echo.origin}/echo`, { signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      return { sameReason: error === reason };
    },
  },
  { name: 'an already aborted signal without a reason rejects with an AbortError', run: echo({ signal: AbortSignal.abort() }) },
  {
    name: 'aborting while waiting for the response rejects with the reason',
    run: async (fetch, env) => {
      const controller = new AbortController();
      const reason = new Error('gave up');
      const pending = fetch(`${env.echo.origin}/hang`, { signal: controller.signal });
      setTimeout(() => controller.abort(reason), 20);
      const error = await pending.catch((e: unknown) => e);
      return { sameReason: error === reason };
    },
  },
  {
    name: 'aborting while reading the body rejects the read with the reason',
    run: async (fetch, env) => {
      const controller = new AbortController();
      const reason = new Error('enough');
      const response = await fetch(`${env.echo.origin}/drip`, { signal: controller.signal });
      const reading = response.text();
      controller.abort(reason);
      const error = await reading.catch((e: unknown) => e);
      return { status: response.status, sameReason: error === reason };
    },
  },
  { name: 'AbortSignal.timeout rejects with a TimeoutError', run: (fetch, env) => observe(fetch(`${env.echo.origin}/hang`, { signal: AbortSignal.timeout(30) })) },
  {
    name: 'aborting after the body was read changes nothing',
    run: async (fetch, env) => {
      const controller = new AbortController();
      const response = await fetch(`${env.echo.origin}/status?code=200&body=done`, { signal: controller.signal });
      const body = await response.text();
      controller.abort();
      return { body, bodyUsed: response.bodyUsed };
    },
  },
];

export const networkCases: FetchCase[] = [
  { name: 'a refused connection rejects with TypeError and its cause', run: (fetch, env) => observe(fetch(`${env.refused}/echo`)) },
  { name: 'a reset before the response', run: (fetch, env) => observe(fetch(`${env.echo.origin}/reset`, { method: 'POST', body: 'x' })) },
  { name: 'a reset in the middle of the body', run: (fetch, env) => observe(fetch(`${env.echo.origin}/reset-mid-body`), 'text') },
  { name: 'a body shorter than its Content-Length', run: (fetch, env) => observe(fetch(`${env.echo.origin}/short`), 'text') },
  { name: 'an invalid URL', run: (fetch) => observe(fetch('http://exa mple.com/')) },
  { name: 'a relative URL', run: (fetch) => observe(fetch('/relative')) },
  { name: 'a port fetch refuses (a bad port)', run: (fetch) => observe(fetch('http://127.0.0.1:6000/')) },
  { name: 'a scheme fetch does not speak', run: (fetch) => observe(fetch('ftp://127.0.0.1/file')) },
  {
    name: 'a URL with credentials',
    run: (fetch, env) => observe(fetch(env.echo.origin.replace('http://', 'http://user:pass@') + '/echo')),
    differs: {
      why: "sluice refuses a URL with credentials as Node's fetch does, but masks them in its message (`http://***:***@host/`); Node's fetch repeats them",
      check(node, sluice) {
        expectError(node, 'TypeError', /^Request cannot be constructed from a URL that includes credentials: http:\/\/user:pass@127\.0\.0\.1:\d+\/echo$/);
        expectError(sluice, 'TypeError', /^Request cannot be constructed from a URL that includes credentials: http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/echo$/);
      },
    },
  },
  { name: 'a data: URL', run: (fetch) => observe(fetch('data:text/plain;base64,aGVsbG8='), 'text') },
];

export const responseCases: FetchCase[] = [
  { name: 'a status with its own reason phrase', run: (fetch, env) => observe(fetch(`${env.echo.origin}/status?code=418&text=I%27m%20a%20teapot&body=short%20and%20stout`), 'text') },
  { name: 'an error status resolves (not rejects)', run: (fetch, env) => observe(fetch(`${env.echo.origin}/status?code=404&text=Not%20Found&body=gone`), 'text') },
  { name: 'repeated Set-Cookie and other headers', run: (fetch, env) => observe(fetch(`${env.echo.origin}/headers`), 'text') },
  ...['gzip', 'br', 'deflate'].map((as) => ({ name: `a ${as} body is decoded`, run: (fetch: FetchLike, env: CaseEnv) => observe(fetch(`${env.echo.origin}/encoded?as=${as}`), 'text') })),
  { name: '204 has a null body', run: (fetch, env) => observe(fetch(`${env.echo.origin}/empty`), 'none') },
  { name: 'HEAD has a null body and keeps Content-Length', run: (fetch, env) => observe(fetch(`${env.echo.origin}/big?bytes=10`, { method: 'HEAD' }), 'none') },
  { name: 'a 1 MB body', run: (fetch, env) => observe(fetch(`${env.echo.origin}/big?bytes=1000000`), 'text') },
  {
    name: 'the response is an instance of the global Response and Headers',
    run: async (fetch, env) => {
      const response = await fetch(`${env.echo.origin}/echo`);
      await response.body?.cancel();
      return { response: response instanceof Response, headers: response.headers instanceof Headers, tag: String(response) };
    },
    differs: {
      why: "sluice's `fetch` resolves with the `Response` class of the undici package it sends through, so `instanceof Response` (the global class) is false",
      check(node, sluice) {
        expect(node).toEqual({ response: true, headers: true, tag: '[object Response]' });
        expect(sluice).toEqual({ response: false, headers: false, tag: '[object Response]' });
      },
    },
  },
  {
    name: 'a body read twice rejects the second read',
    run: async (fetch, env) => {
      const response = await fetch(`${env.echo.origin}/status?code=200&body=once`);
      const first = await response.text();
      const second = await response.text().catch((e: unknown) => describeError(e));
      return { first, second };
    },
  },
  {
    name: 'a response body iterated as an async iterable',
    run: async (fetch, env) => {
      const response = await fetch(`${env.echo.origin}/big?bytes=100000`);
      let bytes = 0;
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
      return bytes;
    },
  },
  {
    name: 'a body that does not match its integrity metadata',
    run: (fetch, env) => observe(fetch(`${env.echo.origin}/status?code=200&body=x`, { integrity: 'sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' }), 'text'),
  },
  {
    name: 'a response body can be read as a stream, cloned and read twice',
    run: async (fetch, env) => {
      const response = await fetch(`${env.echo.origin}/status?code=200&body=twice`);
      const copy = response.clone();
      return [await response.text(), await copy.text(), response.bodyUsed];
    },
  },
];

/** Every fetch case, by group. */
export const fetchCases: Record<string, FetchCase[]> = {
  'request bodies': bodyCases,
  'Request and Headers objects': requestObjectCases,
  methods: methodCases,
  redirects: redirectCases,
  aborts: abortCases,
  'network errors': networkCases,
  responses: responseCases,
};

export function expectError(observed: unknown, klass: string, message: RegExp): void {
  const error = (observed as { error?: { class: string; message: string } }).error;
  if (!error || error.class !== klass || !message.test(error.message)) {
    throw new Error(`expected a ${klass} matching ${message}, got ${JSON.stringify(observed)}`);
  }
}

export function expectEcho(observed: unknown, fields: Record<string, unknown>): void {
  const body = (observed as Exclude<Observed, { error: unknown }>).body as Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (body?.[key] !== value) throw new Error(`expected the echo's ${key} to be ${JSON.stringify(value)}, got ${JSON.stringify(observed)}`);
  }
}
