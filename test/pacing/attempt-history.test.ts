import { describe, expect, it } from 'vitest';
import { createOutcomeLog, pushOutcome, sortedOutcomes } from '../../src/pacing/attempt-history.js';

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
