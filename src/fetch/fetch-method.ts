// A request method as fetch sends it: the six standard ones upper-cased whatever their case,
// every other token sent exactly as written, and what fetch refuses refused with its TypeError.

/** The methods fetch normalises (the Fetch standard's "normalize a method"); the rest keep their case. */
const normalized: Readonly<Record<string, string>> = {
  delete: 'DELETE',
  get: 'GET',
  head: 'HEAD',
  options: 'OPTIONS',
  post: 'POST',
  put: 'PUT',
};

/** Methods fetch forbids: they would take over the connection or echo credentials back. */
const forbidden = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** RFC 9110 token characters. */
const token = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** `method` as fetch sends it; throws fetch's `TypeError` for a method it refuses. */
export function normalizeMethod(method: string): string {
  // The common spellings are answered without a regular expression.
  if (method === 'GET' || method === 'POST') return method;
  if (!token.test(method)) throw new TypeError(`'${method}' is not a valid HTTP method.`);
  const standard = normalized[method.toLowerCase()];
  if (standard !== undefined) return standard;
  if (forbidden.has(method.toUpperCase())) throw new TypeError(`'${method}' HTTP method is unsupported.`);
  return method;
}
