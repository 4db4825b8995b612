// Which server-side rate-limit bucket a request falls into, learned from the responses' bucket
// hints (GitHub's `x-ratelimit-resource`, Discord's `X-RateLimit-Bucket`, the IETF `pk`). One
// origin can run several independent quotas (GitHub: 5,000/h for `core`, 30/min for `search`);
// pacing them as one would let the small one's pause and pace stop the large one's traffic.

/** Routes remembered per client; least recently used are forgotten first. */
const DEFAULT_MAX_ROUTES = 4096;

/**
 * The route of a request: method and path, with segments that look like identifiers replaced by
 * `:id`, so `/users/42` and `/users/43` share one route (and one learned bucket) while
 * `/search/issues` and `/repos/o/r` do not. The query is left out: servers bucket by path.
 */
export function routeOf(method: string, url: URL): string {
  const path = url.pathname
    .split('/')
    .map((segment) => (looksLikeId(segment) ? ':id' : segment))
    .join('/');
  return `${method} ${path}`;
}

/** Digits, a UUID, a long hex string or a long opaque token. */
function looksLikeId(segment: string): boolean {
  return /^\d+$/.test(segment) || /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(segment) || /^[0-9a-f]{16,}$/i.test(segment) || segment.length >= 32;
}

/** The gate key of `bucket` within `baseKey` (an origin by default). */
export function bucketKey(baseKey: string, bucket: string): string {
  return `${baseKey} [${bucket}]`;
}

/** Remembers, per base key and route, the bucket the server last named; bounded. */
export class BucketRoutes {
  /** `baseKey route` → where the route goes; Map order is least recently used first. */
  readonly #routes = new Map<string, { baseKey: string; bucket: string }>();
  /** Routes remembered per base key, so a key whose server names no buckets costs no route. */
  readonly #perBase = new Map<string, number>();

  constructor(readonly maxRoutes = DEFAULT_MAX_ROUTES) {}

  /** True once the server of `baseKey` named a bucket for one of its routes. */
  covers(baseKey: string): boolean {
    return this.#perBase.has(baseKey);
  }

  /** The bucket of `route` under `baseKey`, once the server named one. */
  bucketOf(baseKey: string, route: string): string | undefined {
    const id = `${baseKey} ${route}`;
    const entry = this.#routes.get(id);
    if (entry === undefined) return undefined;
    this.#routes.delete(id);
    this.#routes.set(id, entry);
    return entry.bucket;
  }

  /** Records that the server put `route` in `bucket`; the latest answer wins. */
  learn(baseKey: string, route: string, bucket: string): void {
    const id = `${baseKey} ${route}`;
    const known = this.#routes.get(id);
    if (known !== undefined) this.#routes.delete(id);
    else this.#perBase.set(baseKey, (this.#perBase.get(baseKey) ?? 0) + 1);
    this.#routes.set(id, { baseKey, bucket });
    if (this.#routes.size > this.maxRoutes) {
      const [oldest, entry] = this.#routes.entries().next().value!;
      this.#routes.delete(oldest);
      const left = this.#perBase.get(entry.baseKey)! - 1;
      if (left === 0) this.#perBase.delete(entry.baseKey);
      else this.#perBase.set(entry.baseKey, left);
    }
  }

  get size(): number {
    return this.#routes.size;
  }
}
