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
    const github = 'https://api.github.com';
    expect(routes.covers(github)).toBe(false);
    expect(routes.bucketOf(github, 'GET /search/issues')).toBeUndefined();
    routes.learn(github, 'GET /search/issues', 'search');
    expect(routes.covers(github)).toBe(true);
    expect(routes.bucketOf(github, 'GET /search/issues')).toBe('search');
    expect(routes.bucketOf(github, 'GET /user')).toBeUndefined();
    expect(routes.covers('https://other.test')).toBe(false);
    expect(routes.bucketOf('https://other.test', 'GET /search/issues')).toBeUndefined();
    expect(bucketKey(github, 'search')).toBe('https://api.github.com [search]');
  });

  it('follows the server when it moves a route to another bucket', () => {
    const routes = new BucketRoutes();
    routes.learn('b', 'GET /a', 'one');
    routes.learn('b', 'GET /a', 'two');
    expect(routes.bucketOf('b', 'GET /a')).toBe('two');
    expect(routes.size).toBe(1);
  });

  it('forgets the least recently used route beyond its bound', () => {
    const routes = new BucketRoutes(2);
    routes.learn('b', 'GET /1', 'x');
    routes.learn('b', 'GET /2', 'x');
    routes.bucketOf('b', 'GET /1'); // used: /2 is now the oldest
    routes.learn('c', 'GET /3', 'x');
    expect(routes.size).toBe(2);
    expect(routes.bucketOf('b', 'GET /2')).toBeUndefined();
    expect(routes.covers('b')).toBe(true);
    routes.learn('c', 'GET /4', 'x'); // evicts b's last route, /1
    expect(routes.covers('b')).toBe(false);
    expect(routes.bucketOf('b', 'GET /1')).toBeUndefined();
    expect(routes.covers('c')).toBe(true);
  });
});
