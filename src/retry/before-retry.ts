// The `beforeRetry` hook: the caller's chance to change a request between attempts (refresh a
// token, re-sign it, point it elsewhere), after the retry's wait and before the next attempt.

/** What a `beforeRetry` hook sees, and the two parts of the next attempt it may change. */
export interface BeforeRetryContext {
  /** The attempt about to be made: 2 for the first retry. */
  readonly attempt: number;
  /** ms waited before this retry. */
  readonly delay: number;
  /** Whether the server set the wait (`Retry-After`, a reset header) or it was backoff. */
  readonly source: 'server' | 'backoff';
  /**
   * The previous attempt's response, when it got one: its status and headers. Its body is
   * already being released (so the connection is reused), so it cannot be read here.
   */
  readonly response: Response | undefined;
  /** The previous attempt's transport error, when it got no response (fetch: a `TypeError` with a `cause`). */
  readonly error: unknown;
  /**
   * Aborts when the request is aborted or its total deadline passes: hand it to whatever the hook
   * waits for. sluice stops waiting for the hook as soon as it aborts.
   */
  readonly signal: AbortSignal;
  /** The method as sent. */
  readonly method: string;
  /**
   * The next attempt's URL: change it in place or assign another. The request stays in the gate
   * of the key it started with.
   */
  url: URL;
  /** The next attempt's headers: set, append or delete (a new token, a new signature). */
  headers: Headers;
}

/**
 * Runs before every retry, after its wait. May be async: the next attempt waits for it. A hook
 * that throws (or rejects) fails the request with what it threw.
 */
export type BeforeRetryHook = (context: BeforeRetryContext) => void | Promise<void>;

/** The client's hook, then the request's: both run, in that order. Undefined when there is none. */
export function beforeRetryHooks(
  client: BeforeRetryHook | undefined,
  request: BeforeRetryHook | undefined,
): BeforeRetryHook[] | undefined {
  if (client === undefined && request === undefined) return undefined;
  return [client, request].filter((hook): hook is BeforeRetryHook => hook !== undefined);
}

/** Runs `hooks` in turn, then reads back what they left in `url` and `headers` (a string URL or a header record is accepted). */
export async function runBeforeRetry(hooks: readonly BeforeRetryHook[], context: BeforeRetryContext): Promise<{ url: URL; headers: Headers }> {
  for (const hook of hooks) await hook(context);
  const url = context.url instanceof URL ? context.url : new URL(String(context.url));
  const headers = context.headers instanceof Headers ? context.headers : new Headers(context.headers as ConstructorParameters<typeof Headers>[0]);
  return { url, headers };
}
