// The origin (`scheme://host:port`) of an input line's URL, for the run's report and summary:
// parsed once per distinct scheme and authority, so a million lines to one API parse one URL.

/** Distinct authorities remembered; past this, URLs are parsed each time (still correct, only slower). */
const maxRemembered = 1024;

export class OriginCache {
  readonly #byAuthority = new Map<string, string>();

  /** The origin of `url` (credentials never included); `(invalid URL)` when it does not parse. */
  of(url: string): string {
    // The scheme and authority end at the first '/', '?' or '#' after "//".
    const start = url.indexOf('//') + 2;
    let end = start;
    while (end < url.length) {
      const c = url.charCodeAt(end);
      if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
      end++;
    }
    const authority = url.slice(0, end);
    const known = this.#byAuthority.get(authority);
    if (known !== undefined) return known;
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      return '(invalid URL)';
    }
    if (this.#byAuthority.size < maxRemembered) this.#byAuthority.set(authority, origin);
    return origin;
  }
}
