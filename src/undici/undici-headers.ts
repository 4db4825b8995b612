// Reads the header shapes undici's dispatch API uses — parsed objects, flat raw arrays, pair
// iterables — so the engine's parsers see a response through the same `HeaderReader` as fetch.

import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderReader } from '../headers.js';

type RawValue = string | Buffer | readonly (string | Buffer)[] | number | undefined | null;

/**
 * A `HeaderReader` over the headers `onResponseStart` receives: an object keyed by lower-case
 * name (undici's parsed form, repeated headers as arrays) or a flat `[name, value, …]` raw array,
 * which some dispatchers (mocks, legacy wrappers) pass instead.
 */
export function responseHeaderReader(
  headers: IncomingHttpHeaders | readonly (string | Buffer)[] | null | undefined,
): HeaderReader & { keys(): Iterable<string> } {
  if (Array.isArray(headers)) return rawArrayReader(headers as readonly (string | Buffer)[]);
  return new RecordReader((headers ?? {}) as Record<string, RawValue>);
}

/**
 * undici's parsed headers. A class, not a closure: one is made per response. `keys` lets the
 * rate-limit parsers see at a glance that a response has none of their fields.
 */
class RecordReader implements HeaderReader {
  constructor(private readonly record: Record<string, RawValue>) {}

  get(name: string): string | null {
    // undici lower-cases names when it parses; a hand-made object may not, so look both ways.
    const lower = name.toLowerCase();
    const value = this.record[lower] ?? findCaseInsensitive(this.record, lower);
    return joinValue(value);
  }

  keys(): Iterable<string> {
    return Object.keys(this.record);
  }
}

/**
 * The value of request header `name` in any form `DispatchOptions.headers` accepts: a plain
 * object, a flat `[name, value, …]` array, or an iterable of `[name, value]` pairs (a `Map`,
 * fetch's header list). `null` when absent.
 */
export function requestHeader(headers: unknown, name: string): string | null {
  if (headers == null || typeof headers !== 'object') return null;
  const lower = name.toLowerCase();
  if (Array.isArray(headers)) {
    // A flat array holds names and values alternately; an array of pairs holds tuples.
    if (headers.length > 0 && Array.isArray(headers[0])) return fromPairs(headers as Iterable<unknown>, lower);
    return rawArrayReader(headers as (string | Buffer)[]).get(lower);
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') return fromPairs(headers as Iterable<unknown>, lower);
  return joinValue(findCaseInsensitive(headers as Record<string, RawValue>, lower));
}

function rawArrayReader(raw: readonly (string | Buffer)[]): HeaderReader & { keys(): Iterable<string> } {
  return {
    keys() {
      const names: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) names.push(String(raw[i]));
      return names;
    },
    get(name) {
      const lower = name.toLowerCase();
      const values: string[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2) {
        if (String(raw[i]).toLowerCase() === lower) values.push(String(raw[i + 1]));
      }
      return values.length === 0 ? null : values.join(', ');
    },
  };
}

function fromPairs(pairs: Iterable<unknown>, lower: string): string | null {
  const values: string[] = [];
  for (const pair of pairs) {
    if (!Array.isArray(pair) || String(pair[0]).toLowerCase() !== lower) continue;
    const value = joinValue(pair[1] as RawValue);
    if (value !== null) values.push(value);
  }
  return values.length === 0 ? null : values.join(', ');
}

function findCaseInsensitive(record: Record<string, RawValue>, lower: string): RawValue {
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/** Repeated headers are joined by ", " as the `HeaderReader` contract (and `Headers.get`) says. */
function joinValue(value: RawValue): string | null {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map(String).join(', ');
  return String(value);
}
