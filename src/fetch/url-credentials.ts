// Credentials written into a URL (`https://user:secret@host/`) never reach an error message: fetch
// refuses such a URL, and says so without repeating the secret. Query strings stay: caller's data.

/** `text` with the user name and password of the URL it holds replaced by `***`; as it was when it has none. */
export function redactUrl(text: string): string {
  // Cheap first: most URLs have no '@' at all.
  if (!text.includes('@')) return text;
  // The authority ends at the first '/', '?' or '#' after the scheme's '//'; its userinfo at the last '@' in it.
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)@/i, (_match, scheme: string, userinfo: string) =>
    `${scheme}${userinfo.includes(':') ? '***:***' : '***'}@`,
  );
}

/** True when `url` carries a user name or a password. */
export function hasCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== '';
}
