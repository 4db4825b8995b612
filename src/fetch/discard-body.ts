// Releases a response body that will not be returned (a retried 429/503), so its connection goes
// back to the pool: read a little of it, and destroy the connection rather than wait long.

import { discardLimits } from '../engine/discard-limits.js';

export async function discardBody(response: Response, limits = discardLimits): Promise<void> {
  const body = response.body;
  if (!body || response.bodyUsed) return;
  const reader = body.getReader();
  // Cancelling a fetch body aborts the fetch, which destroys the socket: the right end for a
  // body too large or too slow to drain (a hostile 10 GB 503 must not be read).
  const timer = setTimeout(() => void reader.cancel().catch(() => {}), limits.maxMs);
  timer.unref();
  try {
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
      if (bytes > limits.maxBytes) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // The body failed or was cancelled by the timer: either way the connection is gone.
  } finally {
    clearTimeout(timer);
  }
}
