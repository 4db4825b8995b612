import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../src/report/timeline.js';
import { countAxisMax, niceTicks, rebin, renderTimelineSvg } from '../../src/report/timeline-svg.js';

describe('renderTimelineSvg', () => {
  it('is well-formed with escaped titles, and shares one count axis across panels', () => {
    const a = new Timeline(0, { binMs: 100 });
    const b = new Timeline(0, { binMs: 200 });
    for (let i = 0; i < 30; i++) a.add('sent', i * 10);
    b.add('429', 50, 4);
    const svg = renderTimelineSvg(
      [
        { title: 'a < b & "c"', timeline: a.toJSON(), notes: ["it's 1 s"] },
        { title: 'b', timeline: b.toJSON() },
      ],
      { title: 'x & y' },
    );
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('a &lt; b &amp; &quot;c&quot;');
    expect(svg).toContain('it&apos;s 1 s');
    // Both panels are drawn per 200 ms (the wider bin); a has 20 sent in its first 200 ms.
    expect(svg.match(/per 200 ms/g)).toHaveLength(2);
    expect(svg).toContain('sent 30 · 429 0');
    expect(svg).toContain('sent 0 · 429 4');
  });

  it('draws an empty run', () => {
    const svg = renderTimelineSvg([{ title: 'nothing', timeline: new Timeline(0).toJSON() }]);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('sent 0');
  });

  it('refuses no panels', () => {
    expect(() => renderTimelineSvg([])).toThrow('Expected at least one timeline panel, got none');
  });
});

describe('the count axis', () => {
  const bins = (counts: number[]) => counts.map((sent) => ({ sent, '2xx': 0, '429': 0, '503': 0, other: 0 }));

  it('ends at the largest count when no bin towers over the rest', () => {
    expect(countAxisMax([bins([3, 9, 10, 8])], ['sent'])).toBe(10);
  });

  it('fits the steady bins and cuts a burst that towers over them, labelled with its count', () => {
    const steady = Array.from({ length: 200 }, () => 10);
    expect(countAxisMax([bins([400, 350, ...steady])], ['sent'])).toBe(13);
    const timeline = new Timeline(0, { binMs: 100 });
    timeline.add('sent', 0, 400);
    for (let i = 1; i <= 200; i++) timeline.add('sent', i * 100, 10);
    const svg = renderTimelineSvg([{ title: 'burst', timeline: timeline.toJSON() }]);
    expect(XMLValidator.validate(svg)).toBe(true);
    expect(svg).toContain('▲400');
    expect(svg).toContain('sent 2400');
  });
});

describe('niceTicks and rebin', () => {
  it('steps by 1, 2 or 5 × 10ⁿ up to at least the maximum', () => {
    expect(niceTicks(1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(37, 5)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(150, 5)).toEqual([0, 50, 100, 150]);
  });

  it('sums bins into wider ones', () => {
    const t = new Timeline(0, { binMs: 100 });
    t.add('sent', 0);
    t.add('sent', 150);
    t.add('2xx', 250);
    expect(rebin(t.toJSON(), 200).map((bin) => [bin.sent, bin['2xx']])).toEqual([[2, 0], [0, 1]]);
  });
});
