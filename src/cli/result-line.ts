// One line of `sluice run` output: the NDJSON record printed for each finished request, with the
// input line number so results can be matched to inputs whatever order they finish in.

import type { RawResult } from '../bulk/dispatch-item.js';
import { describeError } from './describe-error.js';
import type { InputRequest } from './input-line.js';
import { redactSecrets, redactUrl } from './redact.js';
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
export function resultRecord(result: RawResult<InputRequest, KeptBody>, includeHeaders: readonly string[]): ResultRecord {
  const { input } = result;
  // Built in this order so every line reads the same way: where, what, how it went, then data.
  const record = { line: input.line } as ResultRecord;
  if (input.id !== undefined) record.id = input.id;
  record.url = redactUrl(input.url);
  record.method = input.method;
  if (result.status !== undefined) record.status = result.status;
  record.ok = result.ok;
  record.ms = result.ms;
  record.attempts = result.attempts;
  if (result.headers && includeHeaders.length > 0) {
    const headers: Record<string, string> = {};
    for (const name of includeHeaders) {
      const value = result.headers[name];
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
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
    record.error = redactSecrets(message, input.url);
    record.errorCode = code;
  }
  return record;
}

/** The record of a request finished in an earlier run whose result could not be written then. */
export function lostRecord(input: InputRequest): ResultRecord {
  return {
    line: input.line,
    ...(input.id !== undefined ? { id: input.id } : {}),
    url: redactUrl(input.url),
    method: input.method,
    ok: false,
    ms: 0,
    error: 'sent and answered in an earlier run, but its result could not be written then (the output failed); not sent again',
    errorCode: 'RESULT_LOST',
  };
}
