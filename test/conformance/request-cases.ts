// The cases the conformance suite sends through `undici.request`, over a plain Agent and over one
// with sluice's interceptor composed in: the interceptor must be invisible to the caller.

import { Readable } from 'node:stream';
import { FormData as UndiciFormData, request, type Dispatcher } from 'undici';
import { describeError } from './observe.js';
import type { CaseEnv } from './fetch-cases.js';

export interface RequestCase {
  name: string;
  run(dispatcher: Dispatcher, env: CaseEnv): Promise<unknown>;
}

type Options = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { dispatcher?: Dispatcher };

/** What a caller of `undici.request` observes: status, headers, body text; or the error. */
async function observeRequest(url: string, options: Options): Promise<unknown> {
  try {
    const { statusCode, headers, body } = await request(url, options);
    let text: unknown;
    try {
      text = await body.text();
    } catch (error) {
      text = { error: describeError(error) };
    }
    const { date: _date, ...stable } = headers;
    return { statusCode, headers: stable, body: text };
  } catch (error) {
    return { error: { ...describeError(error), code: (error as { code?: unknown }).code } };
  }
}

const send = (options: Partial<Options>, path = '/echo') => (dispatcher: Dispatcher, env: CaseEnv) =>
  observeRequest(`${env.echo.origin}${path}`, { method: 'PUT', ...options, dispatcher } as Options);

function form(): UndiciFormData {
  const data = new UndiciFormData();
  data.append('field', 'value');
  data.append('file', new File(['contents'], 'f.txt', { type: 'text/plain' }));
  return data;
}

export const requestCases: RequestCase[] = [
  { name: 'string body', run: send({ body: 'hello' }) },
  { name: 'Buffer body', run: send({ body: Buffer.from('buffer') }) },
  { name: 'Uint8Array body', run: send({ body: new TextEncoder().encode('bytes') }) },
  { name: 'Readable body', run: (d, env) => send({ body: Readable.from([Buffer.from('read'), Buffer.from('able')]) })(d, env) },
  { name: 'sync generator body', run: (d, env) => send({ body: (function* () { yield 'gen'; yield 'erator'; })() as never })(d, env) },
  { name: 'async generator of strings', run: (d, env) => send({ body: (async function* () { yield 'grüße'; })() as never })(d, env) },
  { name: 'an array of chunks', run: send({ body: [Buffer.from('a'), Buffer.from('b')] as never }) },
  { name: "undici's FormData body", run: (d, env) => send({ body: form() as never })(d, env) },
  { name: 'a global FormData body is refused', run: (d, env) => send({ body: new FormData() as never })(d, env) },
  { name: 'Blob body', run: send({ body: new Blob(['blob'], { type: 'x/blob' }) as never }) },
  { name: 'no body', run: send({ method: 'GET' }) },
  { name: 'a lower-case method is sent as written', run: send({ method: 'get' as never }) },
  { name: 'a custom method', run: send({ method: 'PURGE' as never }) },
  { name: 'headers as an object', run: send({ headers: { 'X-A': '1', 'x-b': ['2', '3'] } }) },
  { name: 'headers as a flat array', run: send({ headers: ['X-Flat', '1', 'X-Flat', '2'] as never }) },
  { name: 'response headers, repeated Set-Cookie included', run: send({ method: 'GET' }, '/headers') },
  { name: 'a compressed body is not decoded', run: send({ method: 'GET' }, '/encoded?as=gzip') },
  { name: 'an error status', run: send({ method: 'GET' }, '/status?code=404&text=Not%20Found&body=gone') },
  { name: 'a refused connection', run: (d, env) => observeRequest(`${env.refused}/echo`, { method: 'GET', dispatcher: d }) },
  { name: 'a reset before the response', run: send({ method: 'GET' }, '/reset') },
  { name: 'a reset in the middle of the body', run: send({ method: 'GET' }, '/reset-mid-body') },
  {
    name: 'an aborted signal',
    run: async (d, env) => {
      const reason = new Error('stop');
      const error = await request(`${env.echo.origin}/echo`, { dispatcher: d, signal: AbortSignal.abort(reason) }).catch((e: unknown) => e);
      return { sameReason: error === reason, error: describeError(error) };
    },
  },
  {
    name: 'aborting while waiting for the response',
    run: async (d, env) => {
      const controller = new AbortController();
      const pending = request(`${env.echo.origin}/hang`, { dispatcher: d, signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      const error = await pending.catch((e: unknown) => e);
      return { ...describeError(error), code: (error as { code?: unknown }).code };
    },
  },
];
