import { fstatSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutputWriteError } from '../../src/cli/output-error.js';
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

describe('StateFile and --output', () => {
  /** An output log over `text`, as FileOutput reads it back. */
  function outputOf(text: string) {
    let content = text;
    return {
      get size() {
        return Buffer.byteLength(content);
      },
      sync() {},
      linesAfter(from: number) {
        const tail = Buffer.from(content).subarray(from).toString();
        const parts = tail.split('\n');
        const last = parts.pop()!;
        content = content.slice(0, content.length - last.length);
        const number = (line: string) => Number(/^\{"line":(\d+)[,}]/.exec(line)?.[1]);
        return { lines: parts.filter(Boolean).map(number), torn: last === '' ? undefined : number(last) };
      },
      get text() {
        return content;
      },
    };
  }

  it('checkpoints the output size, and on resume counts results written after it as finished', () => {
    const output = outputOf('{"line":1}\n');
    const state = StateFile.open(path, 'sha256:abc', { output });
    walk(state, 1, () => true);
    state.close();
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 1\nout 11\n');
    // A crash came after lines 2 and 3 were written, before they were recorded; line 4 was torn.
    const later = outputOf('{"line":1}\n{"line":3}\n{"line":2}\n{"line":4,"url":"ht');
    const resumed = StateFile.open(path, 'sha256:abc', { output: later });
    expect([1, 2, 3, 4, 5].map((line) => resumed.isDone(line))).toEqual([true, true, true, true, false]);
    expect([2, 4].map((line) => resumed.isLost(line))).toEqual([false, true]);
    expect(later.text).toBe('{"line":1}\n{"line":3}\n{"line":2}\n');
    resumed.close();
  });

  it('does not read an --output file the state has not checkpointed (it may hold anyone\'s results)', () => {
    const output = outputOf('{"line":1}\n{"line":2}\n');
    const state = StateFile.open(path, 'sha256:abc', { output });
    expect(state.isDone(1)).toBe(false);
    state.close();
    expect(stateText(path)).toBe('sluice-state 2 sha256:abc\nlow 0\nout 22\n');
  });
});

describe('StateFile on a full disk', () => {
  /**
   * node:fs on a disk with `room` bytes free: writing into space a file already has always
   * works; growing it takes room, and past the room a write is short, then fails with ENOSPC.
   */
  function fillingFs(room: number) {
    let left = room;
    const fs = { openSync, writeSync };
    fs.writeSync = ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
      const size = fstatSync(fd).size;
      const growth = Math.max(0, position + length - size);
      if (growth > 0 && left <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const allowed = growth <= left ? length : length - (growth - left);
      left -= Math.min(growth, left);
      return writeSync(fd, buffer, offset, allowed, position);
    }) as typeof writeSync;
    return fs;
  }

  it('keeps recording into the space it reserved, and says the disk is full', () => {
    const fs = fillingFs(70 * 1024);
    const state = StateFile.open(path, 'sha256:abc', { fs, compactEvery: 1_000_000 });
    expect(state.full).toBeUndefined();
    // Enough records to need the file extended: the extension fails, the reserve takes them.
    const lines = Array.from({ length: 8000 }, (_, i) => i + 1);
    for (const line of lines) state.read(line, true);
    for (const line of lines) state.done([line]);
    expect(state.full).toMatchObject({ code: 'ENOSPC' });
    // Every record made it: a resumed run sends none of these again.
    const reopened = readFileSync(path, 'utf8').replace(/\0+$/, '').trim().split('\n').slice(2).map(Number);
    expect(reopened).toEqual(lines);
    state.close();
  });

  it('refuses to start on a disk with no room for a new state, with the exit code for write failures', () => {
    expect(() => StateFile.open(path, 'sha256:abc', { fs: fillingFs(0) })).toThrow(OutputWriteError);
  });
});
