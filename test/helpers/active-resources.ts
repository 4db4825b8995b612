// Leak checks for tests over real sockets: what keeps the event loop alive (sockets, servers,
// ref'd timers) must be back to what it was before the test once everything is closed.

/** The resources keeping the event loop alive, as a sorted multiset of their type names. */
export function activeResources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

/**
 * Waits (polling, up to `withinMs`) for the active resources to equal `baseline` again — closed
 * sockets report their 'close' a tick or two after `close()` resolves — and returns what is
 * left over, so a test can `expect(await leftoverResources(baseline)).toEqual([])`.
 */
export async function leftoverResources(baseline: readonly string[], withinMs = 2000): Promise<string[]> {
  const until = performance.now() + withinMs;
  for (;;) {
    const extra = difference(activeResources(), baseline);
    if (extra.length === 0 || performance.now() > until) return extra;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Items of `now` not matched one-for-one by `before`. */
function difference(now: readonly string[], before: readonly string[]): string[] {
  const left = new Map<string, number>();
  for (const name of before) left.set(name, (left.get(name) ?? 0) + 1);
  const extra: string[] = [];
  for (const name of now) {
    const count = left.get(name) ?? 0;
    if (count > 0) left.set(name, count - 1);
    else extra.push(name);
  }
  return extra;
}
