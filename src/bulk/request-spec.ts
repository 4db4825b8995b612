// Normalises what `toRequest` returned into fetch's two arguments plus what the runner needs to
// know before sending: the URL, and which gate (key) it will be admitted by.

import type { SluiceRequestInit } from '../client.js';
import type { RequestSpec } from './map-result.js';

export interface PreparedRequest {
  input: string | URL | Request;
  init: SluiceRequestInit;
  url: URL;
  /** What to ask `client.ready()` / `client.stats()` about: the per-request key, else the URL. */
  target: string | URL;
}

/** Throws a `TypeError` (failing only this item) for a spec that is not a request or a bad URL. */
export function prepareRequest(spec: RequestSpec): PreparedRequest {
  const { input, init } = splitSpec(spec);
  let url: URL;
  try {
    url = input instanceof URL ? input : new URL(typeof input === 'string' ? input : input.url);
  } catch (cause) {
    throw new TypeError(`Invalid URL: ${JSON.stringify(typeof input === 'string' ? input : (input as Request).url)}`, { cause });
  }
  return { input, init, url, target: typeof init.sluice?.key === 'string' ? init.sluice.key : url };
}

function splitSpec(spec: RequestSpec): { input: string | URL | Request; init: SluiceRequestInit } {
  if (typeof spec === 'string' || spec instanceof URL) return { input: spec, init: {} };
  if (typeof spec === 'object' && spec !== null) {
    if ('input' in spec) return { input: spec.input, init: spec.init ?? {} };
    if (typeof (spec as Request).url === 'string' && typeof (spec as Request).method === 'string') {
      return { input: spec as Request, init: {} };
    }
  }
  throw new TypeError(
    `toRequest must return a URL string, a URL, a Request or { input, init }, got ${spec === null ? 'null' : typeof spec}`,
  );
}
