import { describe, expect, it } from 'vitest';
import { seriesOfStatus, Timeline } from '../../src/report/timeline.js';

describe('Timeline', () => {
  it('counts each series per bin from its start', () => {
    const timeline = new Timeline(1000, { binMs: 100 });
    timeline.add('sent', 1000);
    timeline.add('sent', 1099);
    timeline.add('429', 1100);
    timeline.add('2xx', 1350, 3);
    timeline.add('sent', 900); // before the start: the first bin
    expect(timeline.toJSON()).toEqual({
      start: 1000,
      binMs: 100,
      bins: [
        { sent: 3, '2xx': 0, '429': 0, '503': 0, other: 0 },
        { sent: 0, '2xx': 0, '429': 1, '503': 0, other: 0 },
        { sent: 0, '2xx': 0, '429': 0, '503': 0, other: 0 },
        { sent: 0, '2xx': 3, '429': 0, '503': 0, other: 0 },
      ],
    });
    expect(timeline.totals()).toEqual({ sent: 3, '2xx': 3, '429': 1, '503': 0, other: 0 });
  });

  it('stays within maxBins on a long run by merging neighbours and doubling the width', () => {
    const timeline = new Timeline(0, { binMs: 100, maxBins: 4 });
    for (let at = 0; at < 1000; at += 50) timeline.add('sent', at);
    const data = timeline.toJSON();
    expect(data.binMs).toBe(400);
    expect(data.bins.map((bin) => bin.sent)).toEqual([8, 8, 4]);
    expect(timeline.totals().sent).toBe(20);
  });

  it('files statuses under 2xx, 429, 503 or other (no response too)', () => {
    expect([200, 204, 429, 503, 500, 404, undefined].map(seriesOfStatus)).toEqual(['2xx', '2xx', '429', '503', 'other', 'other', 'other']);
  });

  it('names a bad option', () => {
    expect(() => new Timeline(0, { binMs: 0 })).toThrow('Expected `binMs` to be a positive number, got 0');
    expect(() => new Timeline(0, { maxBins: 1 })).toThrow('Expected `maxBins` to be an integer from 2 up, got 1');
  });
});
