import { describe, expect, it } from 'vitest';
import { OutcomeLog } from '../../src/gate/attempt-history.js';

describe('OutcomeLog', () => {
  it('judges each round trip against the shortest one seen by the time of the fit', () => {
    const log = new OutcomeLog(16);
    // A cold first round trip (40 ms) was the shortest when it arrived; a later one took 2 ms.
    log.push(20, true, 40);
    log.push(100, false, 2);
    log.push(110, true, undefined);
    expect(log.sorted(2).map((o) => o.slack)).toEqual([19, 0, 0]);
    // Before any round trip is known nothing has slack.
    expect(log.sorted(Infinity).map((o) => o.slack)).toEqual([0, 0, 0]);
  });
});
