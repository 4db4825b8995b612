// One line of `sluice run` input: a plain URL or an NDJSON request object, detected per line and
// validated field by field, so a bad line is reported as `line 7: "method" must be a string`.

import { InputError } from './cli-errors.js';

/** A request as read from one input line. */
export interface InputRequest {
  /** 1-based line number in the input. */
  line: number;
  url: string;
  method: string;
  headers: [string, string][];
  body: string | undefined;
  /** The line's `id`, echoed in its result so results can be joined back to their inputs. */
  id?: unknown;
}

const fields = ['url', 'method', 'headers', 'body', 'id'];
const methodToken = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses one line; `undefined` for a line that holds no request (blank, or a `#` comment).
 * Throws `InputError` naming the line and the field.
 */
export function parseInputLine(text: string, line: number): InputRequest | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  if (trimmed.startsWith('{')) return parseObject(trimmed, line);
  if (!isHttpUrl(trimmed)) {
    throw new InputError(`expected a URL or a JSON object, got ${JSON.stringify(shorten(trimmed))}`, line);
  }
  return { line, url: trimmed, method: 'GET', headers: [], body: undefined };
}

function parseObject(text: string, line: number): InputRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`invalid JSON (${(error as Error).message})`, line);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('expected a JSON object', line);
  }
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !fields.includes(key));
  if (unknown !== undefined) {
    throw new InputError(`unknown field ${JSON.stringify(unknown)} (known fields: ${fields.join(', ')})`, line);
  }
  if (record.url === undefined) throw new InputError('"url" is missing', line);
  if (typeof record.url !== 'string') throw new InputError('"url" must be a string', line);
  if (!isHttpUrl(record.url)) {
    throw new InputError(`"url" must be an absolute http(s) URL, got ${JSON.stringify(shorten(record.url))}`, line);
  }
  const method = record.method ?? 'GET';
  if (typeof method !== 'string') throw new InputError('"method" must be a string', line);
  if (!methodToken.test(method)) throw new InputError(`"method" is not an HTTP method: ${JSON.stringify(method)}`, line);
  const upper = method.toUpperCase();
  const headers = parseHeaders(record.headers, line);
  const body = parseBody(record.body, headers, line);
  if (body !== undefined && (upper === 'GET' || upper === 'HEAD')) {
    throw new InputError(`"body" is not allowed with method ${upper}`, line);
  }
  return { line, url: record.url, method: upper, headers, body, ...('id' in record ? { id: record.id } : {}) };
}

function parseHeaders(value: unknown, line: number): [string, string][] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError('"headers" must be an object of names to string values', line);
  }
  const headers: [string, string][] = [];
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue !== 'string') throw new InputError(`"headers.${name}" must be a string`, line);
    try {
      new Headers([[name, headerValue]]);
    } catch {
      throw new InputError(`"headers" has an invalid header: ${JSON.stringify(name)}`, line);
    }
    headers.push([name, headerValue]);
  }
  return headers;
}

/** A string is sent as is; any other JSON value is sent as JSON (with a JSON content type). */
function parseBody(value: unknown, headers: [string, string][], line: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (!headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json']);
  try {
    return JSON.stringify(value);
  } catch {
    throw new InputError('"body" could not be encoded as JSON', line);
  }
}

function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text)) return false;
  return URL.canParse(text);
}

/** For an error message: short, and without credentials a URL-like text may carry. */
function shorten(text: string): string {
  const safe = text.replace(/\/\/[^/?#@\s"]*@/g, '//***@');
  return safe.length > 60 ? `${safe.slice(0, 57)}...` : safe;
}
