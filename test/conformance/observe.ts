// What a caller can observe of one fetch call, as plain data two implementations can be compared
// on: the response's status, headers and body, or the error's class, name, message and cause.

export interface ObservedError {
  /** The constructor's name: `TypeError`, `DOMException`, `Error`, … */
  class: string;
  name: string;
  message: string;
  /** The cause's code, else its message. */
  cause?: string | undefined;
}

export type Observed =
  | { error: ObservedError }
  | {
      status: number;
      statusText: string;
      ok: boolean;
      redirected: boolean;
      url: string;
      type: string;
      /** Sorted: the order of different field names carries no meaning (RFC 9110 §5.3). */
      headers: [string, string][];
      setCookie: string[];
      body: unknown;
    };

export function describeError(error: unknown): ObservedError {
  if (!(error instanceof Error)) return { class: typeof error, name: '', message: String(error) };
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const causeText = cause === undefined ? undefined : String(cause.code ?? cause.message ?? cause);
  return { class: error.constructor.name, name: error.name, message: error.message, ...(causeText === undefined ? {} : { cause: causeText }) };
}

/**
 * Awaits the response and reads its body: as text, or for `echo` as the echo server's JSON with
 * the request's headers sorted (and `host`, whose port is the test's, kept as it is).
 */
export async function observe(pending: Promise<Response>, read: 'text' | 'echo' | 'none' = 'echo'): Promise<Observed> {
  let response: Response;
  try {
    response = await pending;
  } catch (error) {
    return { error: describeError(error) };
  }
  let body: unknown;
  try {
    if (read === 'none') body = response.body === null ? null : 'stream';
    else if (read === 'text') body = await response.text();
    else {
      const echo = (await response.json()) as { headers: [string, string][] };
      body = { ...echo, headers: [...echo.headers].sort(byName) };
    }
  } catch (error) {
    body = { error: describeError(error) };
  }
  return {
    status: response.status,
    statusText: response.statusText,
    ok: response.ok,
    redirected: response.redirected,
    url: response.url,
    type: response.type,
    headers: [...response.headers].sort(byName),
    setCookie: response.headers.getSetCookie(),
    body,
  };
}

function byName(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}
