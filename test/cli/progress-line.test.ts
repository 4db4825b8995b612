import { describe, expect, it } from 'vitest';
import { ProgressLine, type ProgressSnapshot } from '../../src/cli/progress-line.js';

function setUp(columns = 200) {
  let now = 1_000_000;
  const written: string[] = [];
  const snapshot: ProgressSnapshot = { done: 0, resumed: 0, total: 1000, failed: 0, throttled: 0, inFlight: 0, queued: 0, pausedUntil: undefined };
  const line = new ProgressLine({ write: (text: string) => written.push(text), columns }, () => snapshot, () => now);
  return { line, snapshot, written, advance: (ms: number) => (now += ms), now: () => now };
}

describe('ProgressLine', () => {
  it('shows done/total, rate, in flight, queued, 429s, pause, failures and ETA', () => {
    const { line, snapshot, advance, now } = setUp();
    line.format(snapshot);
    advance(2000);
    Object.assign(snapshot, { done: 200, inFlight: 12, queued: 3, throttled: 31, failed: 2, pausedUntil: now() + 1500 });
    expect(line.format(snapshot)).toBe('sluice 200/1,000  20%  100/s  in flight 12  queued 3  429s 31  paused 1.5s  failed 2  ETA 8.0s');
  });

  it('counts lines finished in an earlier run as done but not into the rate or ETA', () => {
    const { line, snapshot, advance } = setUp();
    // Resuming: 900 of 1,000 were finished before; they are skipped in a rush at the start.
    line.format(snapshot);
    snapshot.resumed = 900;
    advance(100);
    line.format(snapshot);
    advance(1900);
    snapshot.done = 20;
    expect(line.format(snapshot)).toBe('sluice 920/1,000  92%  10.0/s  in flight 0  queued 0  429s 0  ETA 8.0s');
  });

  it('leaves out the total, percentage and ETA when the total is unknown', () => {
    const { line, snapshot, advance } = setUp();
    snapshot.total = undefined;
    line.format(snapshot);
    advance(1000);
    snapshot.done = 5;
    expect(line.format(snapshot)).toBe('sluice 5  5.0/s  in flight 0  queued 0  429s 0');
  });

  it('redraws in place, fits the terminal width, and erases itself', () => {
    const { line, written } = setUp(30);
    line.draw();
    line.stop();
    expect(written[0]).toMatch(/^\rsluice 0\/1,000 {2}0% {2}0\.0\/s {2}in\x1b\[K$/);
    expect(written[0]!.length).toBe(1 + 29 + 3);
    expect(written.at(-1)).toBe('\r\x1b[K');
  });

  it('prints a note above the line', () => {
    const { line, written } = setUp();
    line.draw();
    line.note('stopping');
    expect(written.slice(1, 3)).toEqual(['\r\x1b[K', 'stopping\n']);
    expect(written[3]).toMatch(/^\rsluice /);
  });

  it('draws rows under the line (--live), redraws them from the first line, and erases them all', () => {
    const written: string[] = [];
    let rows = ['origin  in flight', 'http://a  3', 'http://b  1'];
    const line = new ProgressLine({ write: (text: string) => written.push(text), columns: 30 }, () => setUp().snapshot, Date.now, (width) => {
      expect(width).toBe(29);
      return rows;
    });
    line.draw();
    expect(written[0]).toMatch(/^\rsluice .*\x1b\[K\norigin {2}in flight\x1b\[K\nhttp:\/\/a {2}3\x1b\[K\nhttp:\/\/b {2}1\x1b\[K$/);
    // One origin went idle: back up three lines, draw two, erase the line left below.
    rows = rows.slice(0, 2);
    line.draw();
    expect(written[1]).toMatch(/^\r\x1b\[3Asluice .*\x1b\[K\norigin {2}in flight\x1b\[K\nhttp:\/\/a {2}3\x1b\[K\x1b\[J$/);
    line.stop();
    expect(written.at(-1)).toBe('\r\x1b[2A\x1b[J');
  });
});
