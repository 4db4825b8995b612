import { describe, expect, it } from 'vitest';
import {
  consumedBetween,
  createOutcomeLog,
  createSendLog,
  inFlightAt,
  markAnswered,
  pushOutcome,
  pushSend,
  ringAt,
  sortedOutcomes,
} from '../../src/pacing/attempt-history.js';

describe('OutcomeLog', () => {
  it('judges each round trip against the shortest one seen by the time of the fit', () => {
    const log = createOutcomeLog(16);
    // A cold first round trip (40 ms) was the shortest when it arrived; a later one took 2 ms.
    pushOutcome(log, 20, true, 40);
    pushOutcome(log, 100, false, 2);
    pushOutcome(log, 110, true, undefined);
    expect(sortedOutcomes(log, 2).map((o) => o.slack)).toEqual([19, 0, 0]);
    // Before any round trip is known nothing has slack.
    expect(sortedOutcomes(log, Infinity).map((o) => o.slack)).toEqual([0, 0, 0]);
  });
});

describe('send log', () => {
  it('keeps sends in time order when one is recorded late (another process, heard after)', () => {
    const sends = createSendLog(4);
    pushSend(sends, 10, 0);
    pushSend(sends, 30, 1);
    pushSend(sends, 20, 2);
    expect([0, 1, 2].map((i) => ringAt(sends, i, 0))).toEqual([10, 20, 30]);
    markAnswered(sends, 20, false);
    markAnswered(sends, 30, true);
    expect(consumedBetween(sends, 0, 30)).toEqual({ least: 1, most: 2 });
    expect(inFlightAt(sends, 20)).toBe(2);
    // Past capacity the oldest is dropped, order kept.
    pushSend(sends, 40, 0);
    pushSend(sends, 15, 0);
    expect([0, 1, 2, 3].map((i) => ringAt(sends, i, 0))).toEqual([15, 20, 30, 40]);
  });
});
