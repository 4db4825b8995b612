import { describe, expect, it } from 'vitest';
import { BucketRoutes, bucketKey, routeOf } from '../../src/gate/bucket-routes.js';

describe('routeOf', () => {
  it('keeps method and path, drops the query, and folds identifier segments', () => {
    expect(routeOf('GET', new URL('https://api.github.com/search/issues?q=x'))).toBe('GET /search/issues');
    expect(routeOf('GET', new URL('https://api.github.com/repos/o/r/issues/42'))).toBe('GET /repos/o/r/issues/:id');
    expect(routeOf('POST', new URL('https://discord.com/api/v10/channels/1234567890123/messages'))).toBe(
      'POST /api/v10/channels/:id/messages',
    );
    expect(routeOf('GET', new URL('https://x.test/items/3f2504e0-4f89-11d3-9a0c-0305e82c3301'))).toBe('GET /items/:id');
    expect(routeOf('GET', new URL('https://x.test/blobs/9fceb02d0ae598e95dc970b74767f19372d61af8'))).toBe('GET /blobs/:id');
  });
});

describe('BucketRoutes', () => {
  it('routes to the base key until the server names a bucket, then to that bucket', () => {
    const routes = new BucketRoutes();
    expect(routes.keyFor('https://api.github.com', 'GET /search/issues')).toBe('https://api.github.com');
    routes.learn('https://api.github.com', 'GET /search/issues', 'search');
    expect(routes.keyFor('https://api.github.com', 'GET /search/issues')).toBe(bucketKey('https://api.github.com', 'search'));
    expect(routes.keyFor('https://api.github.com', 'GET /user')).toBe('https://api.github.com');
    expect(routes.keyFor('https://other.test', 'GET /search/issues')).toBe('https://other.test');
  });

  it('follows the server when it moves a route to another bucket', () => {
    const routes = new BucketRoutes();
    routes.learn('b', 'GET /a', 'one');
    routes.learn('b', 'GET /a', 'two');
    expect(routes.keyFor('b', 'GET /a')).toBe(bucketKey('b', 'two'));
  });

  it('forgets the least recently used route beyond its bound', () => {
    const routes = new BucketRoutes(2);
    routes.learn('b', 'GET /1', 'x');
    routes.learn('b', 'GET /2', 'x');
    routes.keyFor('b', 'GET /1'); // used: /2 is now the oldest
    routes.learn('b', 'GET /3', 'x');
    expect(routes.size).toBe(2);
    expect(routes.keyFor('b', 'GET /2')).toBe('b');
    expect(routes.keyFor('b', 'GET /1')).toBe(bucketKey('b', 'x'));
  });
});
