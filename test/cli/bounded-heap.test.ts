import { describe, expect, it } from 'vitest';
import { reexecWithBoundedHeap, semiSpaceMb, type ReexecOptions } from '../../src/cli/bounded-heap.js';

function attempt(overrides: Partial<ReexecOptions>): string[] | undefined {
  let args: string[] | undefined;
  reexecWithBoundedHeap({
    argv: ['/usr/bin/node', '/x/cli.js', 'run', 'urls.txt'],
    execArgv: ['--import', 'tsx'],
    env: {},
    execPath: '/usr/bin/node',
    execve: ((_file: string, given: string[]) => {
      args = given;
    }) as unknown as ReexecOptions['execve'],
    ...overrides,
  });
  return args;
}

describe('bounding the young generation of sluice run', () => {
  it('re-executes run with the cap first, keeping Node flags and arguments', () => {
    expect(attempt({})).toEqual(['/usr/bin/node', `--max-semi-space-size=${semiSpaceMb}`, '--import', 'tsx', '/x/cli.js', 'run', 'urls.txt']);
  });

  it('leaves alone other commands, help, a process already re-executed, and a cap the user chose', () => {
    expect(attempt({ argv: ['/usr/bin/node', '/x/cli.js', 'get', 'http://x.test'] })).toBeUndefined();
    expect(attempt({ argv: ['/usr/bin/node', '/x/cli.js', 'run', '--help'] })).toBeUndefined();
    expect(attempt({ env: { SLUICE_BOUNDED_HEAP: '1' } })).toBeUndefined();
    expect(attempt({ execArgv: ['--max-semi-space-size=32'] })).toBeUndefined();
    expect(attempt({ env: { NODE_OPTIONS: '--max-old-space-size=512 --max-semi-space-size=2' } })).toBeUndefined();
  });

  it('runs uncapped where the process cannot replace itself (Windows)', () => {
    expect(attempt({ execve: undefined })).toBeUndefined();
    expect(() =>
      attempt({
        execve: (() => {
          throw new Error('EACCES');
        }) as ReexecOptions['execve'],
      }),
    ).not.toThrow();
  });
});
