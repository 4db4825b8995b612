// Keeps credentials written into a URL (`https://user:secret@host/`) out of everything the CLI
// prints: result lines, error messages, progress. Query strings are the caller's data and stay.

/** `url` with its user name and password replaced by `***`; unchanged when it has none. */
export function redactUrl(url: string): string {
  // Cheap first: most URLs have no '@' at all.
  if (!url.includes('@')) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/?#]*@/, '//***@');
  }
  if (parsed.username === '' && parsed.password === '') return url;
  // Rebuilt by hand: the URL setters would percent-encode the stars.
  const authority = parsed.password === '' ? '***@' : '***:***@';
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${authority}`);
}

/** `text` with every appearance of `url`'s user name and password (raw or decoded) replaced by `***`. */
export function redactSecrets(text: string, url: string): string {
  if (!url.includes('@')) return text;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return text;
  }
  let redacted = text.split(url).join(redactUrl(url));
  for (const secret of [parsed.password, parsed.username]) {
    if (secret === '') continue;
    for (const form of new Set([secret, safeDecode(secret)])) if (form.length >= 3) redacted = redacted.split(form).join('***');
  }
  return redacted;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
