// Classifies a transport failure by whether the request could have reached the server, which
// decides if a non-idempotent request may be re-sent (DESIGN: errors split by phase).

/**
 * Error codes that prove the request never left this process: the connection was never made
 * (refused, unreachable, DNS, connect timeout), or HTTP/2 refused the stream before processing.
 */
const neverSentCodes = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_HTTP2_GOAWAY_SESSION',
  'ERR_HTTP2_REFUSED_STREAM',
]);

/** Follows `cause` links (fetch wraps the real error) looking for a Node/undici error code. */
export function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    // AggregateError from happy-eyeballs connects carries the per-address errors.
    const nested = (current as { errors?: unknown[] }).errors?.[0];
    current = (current as { cause?: unknown }).cause ?? nested;
  }
  return undefined;
}

/** Conservative: anything not proven unsent counts as sent, so POST is never re-sent by guess. */
export function wasSent(error: unknown): boolean {
  const code = errorCode(error);
  return code === undefined || !neverSentCodes.has(code);
}
