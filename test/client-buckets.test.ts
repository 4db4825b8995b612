import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type SluiceClient } from '../src/client.js';
import { startLoopbackServer, type LoopbackServer } from '../mocks/loopback.js';

// One origin, two quotas, as GitHub runs them: `search` is spent and answers 429 with a long
// Retry-After; `core` is healthy. The spent quota must hold up only its own routes.
const open: { server: LoopbackServer; client: SluiceClient }[] = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    await client.close();
    await server.close();
  }
});

async function githubLike(options: Parameters<typeof createClient>[0] = {}) {
  const arrivals: string[] = [];
  const quota = (resource: string, remaining: number) => ({
    'x-ratelimit-limit': resource === 'search' ? '30' : '5000',
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-resource': resource,
  });
  const server = await startLoopbackServer([
    http.get('*/search/issues', () => {
      arrivals.push('search');
      return new HttpResponse(null, { status: 429, headers: { 'retry-after': '60', ...quota('search', 0) } });
    }),
    http.get('*/users/:id', () => {
      arrivals.push('core');
      return new HttpResponse('ok', { headers: quota('core', 4990) });
    }),
  ]);
  // maxRetryAfter below the server's 60 s: the 429 comes back at once, and the pause stays.
  const client = createClient({ retry: { maxRetryAfter: 1_000 }, ...options });
  open.push({ server, client });
  return { server, client, arrivals };
}

describe('rate-limit buckets', () => {
  it('a spent search quota pauses search routes and lets core routes through', async () => {
    const { server, client, arrivals } = await githubLike();
    const pauses: string[] = [];
    client.on('pause', ({ key }) => pauses.push(key));

    expect((await client.fetch(`${server.origin}/users/1`)).status).toBe(200);
    expect((await client.fetch(`${server.origin}/search/issues?q=a`)).status).toBe(429);
    expect(pauses).toEqual([`${server.origin} [search]`]);
    expect(client.stats(server.origin)?.pausedUntil).toBeUndefined();

    // Core goes on at once; search is refused without reaching the server.
    expect((await client.fetch(`${server.origin}/users/42`)).status).toBe(200);
    await expect(client.fetch(`${server.origin}/search/issues?q=b`)).rejects.toMatchObject({ name: 'RateLimitedError' });
    expect(arrivals).toEqual(['core', 'search', 'core']);
    const search = client.stats().find((s) => s.key === `${server.origin} [search]`);
    expect(search).toMatchObject({ remaining: 0, counters: { throttled: 1 } });
  });

  it('buckets: false keeps one gate per origin, so the pause holds up every route', async () => {
    const { server, client, arrivals } = await githubLike({ buckets: false });
    expect((await client.fetch(`${server.origin}/users/1`)).status).toBe(200);
    expect((await client.fetch(`${server.origin}/search/issues?q=a`)).status).toBe(429);
    await expect(client.fetch(`${server.origin}/users/42`)).rejects.toMatchObject({ name: 'RateLimitedError' });
    expect(arrivals).toEqual(['core', 'search']);
    expect(client.stats()).toHaveLength(1);
  });

  it('rejects a non-boolean buckets option by name', () => {
    expect(() => createClient({ buckets: 'yes' as never })).toThrow('Expected `buckets` to be a boolean, got `"yes"` (string)');
  });
});
