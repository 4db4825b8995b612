// One line of `sluice run` output: the NDJSON record printed for each finished request, with the
// input line number so results can be matched to inputs whatever order they finish in.

import type { MapResult } from '../bulk/map-result.js';
import { describeError } from './describe-error.js';
import type { InputRequest } from './input-line.js';
import type { KeptBody } from './response-body.js';

export interface ResultRecord {
  line: number;
  id?: unknown;
  url: string;
  method: string;
  status?: number;
  ok: boolean;
  ms: number;
  attempts?: number;
  headers?: Record<string, string>;
  body?: unknown;
  bodyEncoding?: 'base64';
  bodyFile?: string;
  error?: string;
  errorCode?: string;
}

/** Builds the record; `includeHeaders` are lower-case names copied when present. */
export function resultRecord(result: MapResult<InputRequest, KeptBody>, includeHeaders: readonly string[]): ResultRecord {
  const { input } = result;
  // Built in this order so every line reads the same way: where, what, how it went, then data.
  const record: ResultRecord = {
    line: input.line,
    ...(input.id !== undefined ? { id: input.id } : {}),
    url: input.url,
    method: input.method,
    ...(result.response ? { status: result.response.status } : {}),
    ok: result.ok,
    ms: result.ms,
    ...(result.attempts !== undefined ? { attempts: result.attempts } : {}),
  };
  if (result.response && includeHeaders.length > 0) {
    const headers: Record<string, string> = {};
    for (const name of includeHeaders) {
      const value = result.response.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    record.headers = headers;
  }
  const body = result.body;
  if (body?.kind === 'inline') {
    record.body = body.value;
    if (body.encoding) record.bodyEncoding = body.encoding;
  } else if (body?.kind === 'file') {
    record.bodyFile = body.path;
  }
  if (result.error !== undefined) {
    const { message, code } = describeError(result.error, input.url);
    record.error = message;
    record.errorCode = code;
  }
  return record;
}
