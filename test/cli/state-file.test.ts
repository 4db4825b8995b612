import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateFile } from '../../src/cli/state-file.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-state-'));
  path = join(dir, 'run.state');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The state file's records, without the space reserved after them. */
function stateText(file: string): string {
  return readFileSync(file, 'utf8').replace(/\0+$/, '');
}

/** Walks lines 1..n as the run does: read each, finish those in `finished`. */
function walk(state: StateFile, n: number, finished: (line: number) => boolean): void {
  for (let line = 1; line <= n; line++) state.read(line, true);
  for (let line = 1; line <= n; line++) if (finished(line)) state.done([line]);
}

describe('StateFile', () => {
  it('starts empty with a header naming the input', () => {
    StateFile.open(path, 'sha256:abc').close();
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 0\n');
  });

  it('remembers finished lines across opens, folding a finished prefix into low', () => {
    const state = StateFile.open(path, 'sha256:abc');
    walk(state, 6, (line) => line !== 4);
    state.close();
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 3\n5\n6\n');
    const again = StateFile.open(path, 'sha256:abc');
    expect([1, 2, 3, 4, 5, 6, 7].map((line) => again.isDone(line))).toEqual([true, true, true, false, true, true, false]);
    again.close();
  });

  it('appends one record per finished line before compaction, readable after a crash', () => {
    const state = StateFile.open(path, 'sha256:abc');
    walk(state, 3, () => true);
    // No close(): as if the process died here.
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 0\n1\n2\n3\n');
    const resumed = StateFile.open(path, 'sha256:abc');
    expect([1, 2, 3, 4].map((line) => resumed.isDone(line))).toEqual([true, true, true, false]);
    resumed.close();
    state.close();
  });

  it('ignores a last record torn by a crash', () => {
    writeFileSync(path, 'sluice-state 2 sha256:abc\nlow 2\n5\n1');
    const state = StateFile.open(path, 'sha256:abc');
    expect([1, 2, 3, 5, 10].map((line) => state.isDone(line))).toEqual([true, true, false, true, false]);
    state.close();
  });

  it('compacts every compactEvery records, so the file stays small however long the run', () => {
    const state = StateFile.open(path, 'sha256:abc', { compactEvery: 100 });
    walk(state, 10_000, () => true);
    expect(stateText(path).split('\n').length).toBeLessThan(110);
    state.close();
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 10000\n');
  });

  it('never folds a line still in flight into low', () => {
    const state = StateFile.open(path, 'sha256:abc', { compactEvery: 1 });
    for (let line = 1; line <= 5; line++) state.read(line, true);
    state.done([1]);
    state.done([3]);
    state.done([5]);
    state.close();
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 1\n3\n5\n');
  });

  it('refuses a state file written for other input', () => {
    StateFile.open(path, 'sha256:abc').close();
    expect(() => StateFile.open(path, 'sha256:def')).toThrow('was written for different input (sha256:abc, now sha256:def)');
  });

  it('refuses a file that is not a state file, or is damaged', () => {
    writeFileSync(path, 'hello\n');
    expect(() => StateFile.open(path, 'sha256:abc')).toThrow('is not a sluice state file');
    writeFileSync(path, 'sluice-state 2 sha256:abc\nlow 1\nbanana\n');
    expect(() => StateFile.open(path, 'sha256:abc')).toThrow('is damaged at its line 3: "banana"');
  });
});
