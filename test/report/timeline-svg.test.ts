import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { Timeline } from '../../src/report/timeline.js';
import { niceTicks, rebin, renderTimelineSvg } from '../../src/report/timeline-svg.js';

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
