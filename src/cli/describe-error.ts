// Turns a failed request's error into one line a person can act on ("connection refused by
// 127.0.0.1:9") plus a stable code for scripts — never a stack trace.

import { errorCode } from '../engine/transport-error.js';
import { isSluiceError } from '../errors.js';
import { BodyTooLargeError } from '../bulk/body-mode.js';

export interface ErrorDescription {
  message: string;
  /** A Node/undici code (`ECONNREFUSED`), a sluice code (`SLUICE_RATE_LIMITED`), or a name. */
  code: string;
}

const byCode: Record<string, (host: string) => string> = {
  ECONNREFUSED: (host) => `connection refused by ${host} (is the server running?)`,
  ENOTFOUND: (host) => `host not found: ${host}`,
  EAI_AGAIN: (host) => `DNS lookup failed for ${host} (temporary failure)`,
  ETIMEDOUT: (host) => `connection to ${host} timed out`,
  UND_ERR_CONNECT_TIMEOUT: (host) => `connection to ${host} timed out`,
  ECONNRESET: (host) => `connection reset by ${host}`,
  UND_ERR_SOCKET: (host) => `connection to ${host} closed unexpectedly`,
  EHOSTUNREACH: (host) => `host unreachable: ${host}`,
  ENETUNREACH: (host) => `network unreachable for ${host}`,
  UND_ERR_HEADERS_TIMEOUT: (host) => `${host} sent no response headers in time`,
  UND_ERR_BODY_TIMEOUT: (host) => `${host} stopped sending the body`,
  CERT_HAS_EXPIRED: (host) => `TLS certificate of ${host} has expired`,
  DEPTH_ZERO_SELF_SIGNED_CERT: (host) => `TLS certificate of ${host} is self-signed`,
};

/** Describes `error`, which happened while requesting `url`. */
export function describeError(error: unknown, url?: string): ErrorDescription {
  const host = hostOf(url);
  if (isSluiceError(error)) return { message: error.message, code: error.code };
  if (error instanceof BodyTooLargeError) return { message: error.message, code: 'BODY_TOO_LARGE' };
  const code = errorCode(error);
  if (code !== undefined) {
    const known = byCode[code];
    if (known) return { message: known(host), code };
    return { message: `${innermostMessage(error)} (${code})`, code };
  }
  if (error instanceof Error) {
    if (error.name === 'AbortError') return { message: 'aborted', code: 'ABORTED' };
    // fetch refuses ports of other protocols (9, 25, 6000, …) before connecting.
    if (innermostMessage(error) === 'bad port') {
      return { message: `port ${portOf(url)} is one fetch refuses to use (a "bad port"); use another port`, code: 'BAD_PORT' };
    }
    return { message: innermostMessage(error), code: error.name };
  }
  return { message: String(error), code: 'UNKNOWN' };
}

/** fetch wraps the real failure in `TypeError: fetch failed`; the cause says what happened. */
function innermostMessage(error: unknown): string {
  let current = error as { message?: string; cause?: unknown };
  while (current.cause instanceof Error) current = current.cause;
  return current.message || String(error);
}

function portOf(url: string | undefined): string {
  try {
    return new URL(url ?? '').port || '?';
  } catch {
    return '?';
  }
}

function hostOf(url: string | undefined): string {
  if (url === undefined) return 'the server';
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
