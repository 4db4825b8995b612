// Another process's event times, mapped onto this process's clock by the least delay seen.

import { describe, expect, it } from 'vitest';
import { createSenderClock, localTime } from '../../../src/state/redis/sender-clock.js';

describe('localTime', () => {
  it('places an event heard late at its own time plus the least delay seen', () => {
    const clock = createSenderClock();
    // The sender's clock runs 5,000 ms behind this one; the quickest message took 1 ms.
    expect(localTime(clock, 95_000, 100_001)).toBe(100_001);
    expect(localTime(clock, 95_010, 100_030)).toBe(100_011);
    expect(localTime(clock, 95_020, 100_021)).toBe(100_021);
  });

  it('uses the time heard when the message carries none (an older sender)', () => {
    const clock = createSenderClock();
    expect(localTime(clock, undefined, 500)).toBe(500);
    expect(localTime(clock, Number.NaN, 500)).toBe(500);
  });

  it('never places an event later than it was heard, nor further back than a quarter second', () => {
    const clock = createSenderClock();
    localTime(clock, 1000, 1000);
    // The sender's clock stepped back by a minute: its events are not placed a minute ago.
    expect(localTime(clock, -59_000, 1200)).toBe(1200 - 250);
    // Stepped forward: the new least delay is taken at once.
    expect(localTime(clock, 61_300, 1300)).toBe(1300);
  });

  it('forgets a least delay after one to two windows, so a clock step back is absorbed', () => {
    const clock = createSenderClock();
    localTime(clock, 0, 0);
    // From here the sender runs 100 ms behind.
    for (let t = 100; t <= 25_000; t += 100) localTime(clock, t - 100, t);
    expect(localTime(clock, 24_950, 25_080)).toBe(25_050);
  });
});
