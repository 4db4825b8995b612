// Send times leased from the fleet's pace: spent in order, only once their moment came, dropped
// when long past, and asked for a few at a time.

import { describe, expect, it } from 'vitest';
import { TokenLease } from '../../../src/state/redis/token-lease.js';

describe('TokenLease', () => {
  it('holds the reserved times, ready once each one comes', () => {
    const lease = new TokenLease();
    lease.startRefill();
    expect(lease.refilling).toBe(true);
    lease.endRefill([0, 10_000, 20_000], 1000);
    expect(lease.refilling).toBe(false);
    expect(lease.held).toBe(3);
    expect(lease.ready(1000)).toBe(true);
    lease.take();
    expect(lease.ready(1005)).toBe(false);
    expect(lease.nextIn(1005)).toBe(5);
    expect(lease.ready(1010)).toBe(true);
  });

  it('drops a time long past its moment, and all of them on clear', () => {
    const lease = new TokenLease();
    lease.endRefill([0, 1_000_000], 0);
    expect(lease.nextIn(400)).toBe(600);
    expect(lease.held).toBe(1);
    lease.clear();
    expect(lease.nextIn(400)).toBeUndefined();
  });

  it('a failed refill leaves nothing held', () => {
    const lease = new TokenLease();
    lease.startRefill();
    lease.endRefill(undefined, 0);
    expect(lease.held).toBe(0);
    expect(lease.refilling).toBe(false);
  });

  it('asks for at least 50 ms (or two tokens) worth, bounded by the demand', () => {
    const lease = new TokenLease();
    expect(lease.request(100, 100, 3)).toEqual({ want: 5, rate: 100, depth: 3, horizonMs: 50 });
    expect(lease.request(2, 100, 3).want).toBe(2);
    expect(lease.request(100, 1, 3.7)).toEqual({ want: 2, rate: 1, depth: 3, horizonMs: 2000 });
    expect(lease.request(10_000, 100_000, 3).want).toBe(32);
  });
});
