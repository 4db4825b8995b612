// Polls a condition on live state (counters, queue length) so a test can wait for a stage of a
// request without sleeping a guessed time; fails with the description if it never comes true.

/** Resolves once `condition()` is true; rejects after `limitMs` naming what was awaited. */
export async function waitUntil(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > limitMs) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
