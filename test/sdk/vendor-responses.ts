// How each vendor's API pushes back — its statuses, rate-limit headers and error bodies, as its
// SDK parses them — written as `sequence()` entries for the SDK tests.

import { rateLimitHeaders } from '../../mocks/rate-limit-headers.js';
import type { SequenceEntry } from '../../mocks/sequence.js';

type Quota = { limit: number; remaining: number; resetMs: number; nowMs: number };

const quota = (q: Quota) => ({ rate: q.limit, name: 'default', ...q });
const json = { 'content-type': 'application/json' };

/** OpenAI: 429 with `x-ratelimit-*-requests` (Go durations), `retry-after-ms` and `retry-after`. */
export const openai = {
  models: { object: 'list', data: [{ id: 'gpt-test', object: 'model', created: 0, owned_by: 'openai' }] },
  completion: {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content: 'hi', refusal: null }, finish_reason: 'stop', logprobs: null }],
  },
  ok(body: object, q: Quota = { limit: 60, remaining: 59, resetMs: 1000, nowMs: 0 }): SequenceEntry {
    return { status: 200, headers: { ...json, ...rateLimitHeaders('openai', quota(q)) }, body: body as never };
  },
  rateLimited(retryMs: number): SequenceEntry {
    return {
      status: 429,
      headers: {
        ...json,
        ...rateLimitHeaders('openai', quota({ limit: 60, remaining: 0, resetMs: retryMs, nowMs: 0 })),
        'retry-after-ms': String(retryMs),
        'retry-after': String(Math.ceil(retryMs / 1000)),
      },
      body: { error: { message: 'Rate limit reached for requests', type: 'requests', param: null, code: 'rate_limit_exceeded' } },
    };
  },
};

/** GitHub: 403 or 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` in epoch seconds. */
export const github = {
  repo: { id: 1, name: 'r', full_name: 'o/r' },
  ok(body: object): SequenceEntry {
    return { status: 200, headers: json, body: body as never };
  },
  rateLimited(status: 403 | 429, resetEpochSeconds: number, nowMs: number): SequenceEntry {
    const headers = rateLimitHeaders('x-ratelimit-epoch', quota({ limit: 60, remaining: 0, resetMs: resetEpochSeconds * 1000 - nowMs, nowMs }));
    return {
      status,
      headers: { ...json, ...headers, 'x-ratelimit-reset': String(resetEpochSeconds) },
      body: { message: 'API rate limit exceeded for 127.0.0.1.', documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' },
    };
  },
};

/** Stripe: 429 with `Stripe-Should-Retry` and a `rate_limit` error, no Retry-After. */
export const stripe = {
  customer: { id: 'cus_1', object: 'customer' },
  ok(body: object): SequenceEntry {
    return { status: 200, headers: { ...json, 'request-id': 'req_ok' }, body: body as never };
  },
  rateLimited(): SequenceEntry {
    return {
      status: 429,
      headers: { ...json, 'request-id': 'req_429', 'stripe-should-retry': 'true', 'stripe-rate-limited-reason': 'global-rate' },
      body: { error: { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests hit the API too quickly.' } },
    };
  },
};

/** Anthropic: 429 with `retry-after` and `anthropic-ratelimit-requests-*`; 529 `overloaded_error`. */
export const anthropic = {
  message: {
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: 'claude-test',
    content: [{ type: 'text', text: 'hi' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 1, output_tokens: 1 },
  },
  ok(body: object): SequenceEntry {
    return { status: 200, headers: { ...json, 'request-id': 'req_ok' }, body: body as never };
  },
  rateLimited(retryAfterSeconds: number, nowMs: number): SequenceEntry {
    return {
      status: 429,
      headers: {
        ...json,
        ...rateLimitHeaders('anthropic', quota({ limit: 50, remaining: 0, resetMs: retryAfterSeconds * 1000, nowMs })),
        'retry-after': String(retryAfterSeconds),
      },
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit.' } },
    };
  },
  overloaded(): SequenceEntry {
    return {
      status: 529,
      headers: { ...json, 'request-id': 'req_529' },
      body: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } },
    };
  },
};
