// Acceptance of the adaptive pacer in a discrete-event simulation (virtual time): a burst of
// requests against a token-bucket server, for each header dialect, on the target case and a grid.

import { beforeAll, describe, expect, it } from 'vitest';
import { createPacerDriver, type PacerDriver } from '../helpers/pacer-driver.js';
import {
  idealWallMs,
  runDemandSim,
  runSharedBucketSim,
  runTokenBucketSim,
  simDefaults,
  type SimDialect,
  type SimParams,
  type SimResult,
} from '../helpers/token-bucket-sim.js';

const pacer: SimParams['pacer'] = (now) => createPacerDriver({}, now);

/**
 * The most two one-way delays of the simulated network can differ (round trips of 1–5 ms, split
 * 30–70 %): 0.7 × 5 − 0.3 × 1 ms. Against a burst-1 server no client can release closer than 1/R
 * plus this without collisions, each of which costs a 1 s pause.
 */
const JITTER_MS = 0.7 * simDefaults.rttMs[1] - 0.3 * simDefaults.rttMs[0];

/**
 * What "ideal" means per case. The plain ideal is (N − B) / R: spend the burst at once, then R/s.
 * - Against B = 1, arrivals bunched by the network collide, so the best sustainable spacing is
 *   1/R + the jitter: that is the ideal there.
 * - With Retry-After only, the first 429 cannot be avoided (nothing tells R before it) and its
 *   pause loses 1 s minus the B/R the server refills meanwhile (RATE-DISCOVERY): the floor adds
 *   that. For small N this lost second dominates: N = 200 at 500/s is 0.4 s of work.
 */
function floorMs(dialect: SimDialect, n: number, rate: number, burst: number): number {
  const ideal = burst <= 1 ? ((n - 1) * (1000 / rate + JITTER_MS)) : idealWallMs(n, rate, burst);
  // X-RateLimit with B = 1 never shows spare tokens, so it falls back to the Retry-After logic.
  const blind = dialect === 'retry-after' || (dialect.startsWith('x-ratelimit') && burst <= 1);
  const firstPause = blind ? Math.max(0, 1000 - (burst / rate) * 1000) : 0;
  return ideal + firstPause;
}

interface Row extends SimResult {
  dialect: SimDialect;
  requests: number;
  rate: number;
  burst: number;
  floorMs: number;
}

function run(dialect: SimDialect, requests: number, rate: number, burst: number, seed = 1): Row {
  const result = runTokenBucketSim({ requests, rate, burst, dialect, pacer, seed });
  return { ...result, dialect, requests, rate, burst, floorMs: floorMs(dialect, requests, rate, burst) };
}

function table(rows: readonly Row[]): string {
  const head = 'dialect      N      R    B   ideal s   wall s  ×ideal  ×floor   429  pauses  failed  final';
  const lines = rows.map((r) =>
    [
      r.dialect.padEnd(11),
      String(r.requests).padStart(6),
      String(r.rate).padStart(4),
      String(r.burst).padStart(4),
      (r.idealMs / 1000).toFixed(2).padStart(9),
      (r.wallMs / 1000).toFixed(2).padStart(8),
      r.ratio.toFixed(3).padStart(7),
      (r.wallMs / r.floorMs).toFixed(3).padStart(7),
      String(r.throttled).padStart(5),
      String(r.pauses).padStart(7),
      String(r.failed).padStart(7),
      `  ${r.finalState}@${r.finalRate.toFixed(1)}`,
    ].join(' '),
  );
  return [head, ...lines].join('\n');
}

describe('acceptance: N = 2000 fired at once, R = 100/s, B = 10 (ideal 19.9 s)', () => {
  it('with IETF headers, none fails, at most 2 % are answered 429, and it ends within 1.05 × ideal', () => {
    const r = run('ietf', 2000, 100, 10);
    expect(r.failed).toBe(0);
    expect(r.throttled).toBeLessThanOrEqual(0.02 * 2000);
    expect(r.ratio).toBeLessThanOrEqual(1.05);
  });

  it('with X-RateLimit headers (remaining + epoch reset), the same targets hold', () => {
    const r = run('x-ratelimit', 2000, 100, 10);
    expect(r.failed).toBe(0);
    expect(r.throttled).toBeLessThanOrEqual(0.02 * 2000);
    expect(r.ratio).toBeLessThanOrEqual(1.05);
  });

  it('with Retry-After only, at most 10 % are answered 429 and it ends within 1.15 × ideal', () => {
    const r = run('retry-after', 2000, 100, 10);
    expect(r.failed).toBe(0);
    expect(r.throttled).toBeLessThanOrEqual(0.1 * 2000);
    expect(r.ratio).toBeLessThanOrEqual(1.15);
  });

  it('with Retry-After only, every one of 10 seeds (other round trips) stays within 1.15 × ideal', () => {
    const ratios = Array.from({ length: 10 }, (_, i) => run('retry-after', 2000, 100, 10, i + 1).ratio);
    expect(Math.max(...ratios)).toBeLessThanOrEqual(1.15);
  });
});

describe('generality: R ∈ {5, 20, 100, 500}/s × B ∈ {1, 5, 10, 50, 100} × N ∈ {200, 2000}, each dialect', () => {
  const rows: Row[] = [];
  beforeAll(() => {
    for (const dialect of ['ietf', 'x-ratelimit', 'x-ratelimit-delta', 'x-ratelimit-ms', 'retry-after'] as const) {
      for (const requests of [200, 2000]) {
        for (const rate of [5, 20, 100, 500]) {
          for (const burst of [1, 5, 10, 50, 100]) rows.push(run(dialect, requests, rate, burst));
        }
      }
      // At 500/s even N = 2000 is 4 s of work, so one lost second is not amortised: add N = 20000.
      for (const burst of [1, 5, 10, 50, 100]) rows.push(run(dialect, 20_000, 500, burst));
    }
    console.log(`\n${table(rows)}\n`);
    // 225 runs, about 10 s on a quiet machine; on a shared, loaded one several times that.
  }, 120_000);

  const of = (dialect: SimDialect) => rows.filter((r) => r.dialect === dialect);

  it('never lets a request fail (10 attempts each) nor runs out of virtual time', () => {
    expect(rows.filter((r) => r.failed > 0 || r.timedOut)).toEqual([]);
  });

  it('IETF: at most 2 % answered 429, and within 1.05 × ideal (+ 50 ms) wherever B > 1', () => {
    for (const r of of('ietf')) {
      expect(r.throttled, table([r])).toBeLessThanOrEqual(0.02 * r.requests);
      if (r.burst > 1) expect(r.wallMs, table([r])).toBeLessThanOrEqual(1.05 * r.idealMs + 50);
    }
  });

  it('X-RateLimit (epoch, delta or millisecond reset): at most 2 % answered 429 and within 1.1 × ideal (+ 0.5 s to learn R) wherever B > 1', () => {
    const xRateLimit = [...of('x-ratelimit'), ...of('x-ratelimit-delta'), ...of('x-ratelimit-ms')];
    for (const r of xRateLimit.filter((r) => r.burst > 1)) {
      expect(r.throttled, table([r])).toBeLessThanOrEqual(0.02 * r.requests);
      expect(r.wallMs, table([r])).toBeLessThanOrEqual(1.1 * r.idealMs + 500);
    }
  });

  it('Retry-After only: at most 10 % answered 429, and within 1.3 × ideal once 15 s of work amortise the lost second', () => {
    for (const r of of('retry-after')) {
      expect(r.throttled, table([r])).toBeLessThanOrEqual(0.1 * r.requests);
      if (r.idealMs >= 15_000 && r.burst > 1) expect(r.ratio, table([r])).toBeLessThanOrEqual(1.3);
    }
  });

  it('every dialect, short runs and burst-1 included: within 1.4 × its floor plus 2.5 s (two or three more pauses)', () => {
    for (const r of rows) expect(r.wallMs, table([r])).toBeLessThanOrEqual(1.4 * r.floorMs + 2500);
  });
});

describe('resets rounded up to whole delta seconds (IETF legacy, X-RateLimit delta) with B/R under a second', () => {
  // Such a server says "Reset: 1" whenever it is not full, so (B − remaining) / reset reads R as
  // B/s: at R = 50, B = 5 that held the pace at 4.9/s (4.1 × ideal); at R = 10, B = 1 at 1/s
  // (out of virtual time). The reset bounds R from below only; remaining's changes tell R.
  const cases = [
    [300, 50, 5],
    [300, 10, 1],
    [2000, 300, 20],
    [2000, 100, 10],
  ] as const;
  for (const dialect of ['x-ratelimit-delta', 'x-ratelimit-ms'] as const) {
    for (const [requests, rate, burst] of cases) {
      it(`${dialect}, N = ${requests}, R = ${rate}/s, B = ${burst}: none fails, as close to ideal as the epoch-reset dialect`, () => {
        const r = run(dialect, requests, rate, burst);
        expect(r.failed, table([r])).toBe(0);
        expect(r.throttled, table([r])).toBeLessThanOrEqual(0.02 * requests);
        if (burst > 1) expect(r.ratio, table([r])).toBeLessThanOrEqual(1.05);
        else expect(r.wallMs, table([r])).toBeLessThanOrEqual(1.25 * r.floorMs);
      });
    }
  }
});

describe('a loaded machine: client and server each stall 5–60 ms about every 200 ms', () => {
  // Stalls stretch round trips (measured on real sockets: 100–700 ms against 3 ms) and bunch
  // decisions. Before fits waited for the pause to end and gave each outcome its own slack, the
  // 500/s, B = 100 case took up to 4.4 × ideal (16.6 s); the 100/s case is a guard (1.28 × then).
  const stalls = { client: { everyMs: 200, forMs: [5, 60] }, server: { everyMs: 200, forMs: [5, 60] } } as const;

  const seeds = (rate: number, burst: number): Row[] =>
    Array.from({ length: 10 }, (_, i) => ({
      ...runTokenBucketSim({ requests: 2000, rate, burst, dialect: 'retry-after', pacer, seed: i + 1, stalls }),
      dialect: 'retry-after' as const,
      requests: 2000,
      rate,
      burst,
      floorMs: floorMs('retry-after', 2000, rate, burst),
    }));

  it('Retry-After only, R = 100/s, B = 10: none fails, at most 10 % answered 429, every one of 10 seeds within 1.45 × ideal', () => {
    for (const r of seeds(100, 10)) {
      expect(r.failed, table([r])).toBe(0);
      expect(r.throttled, table([r])).toBeLessThanOrEqual(0.1 * r.requests);
      expect(r.ratio, table([r])).toBeLessThanOrEqual(1.45);
    }
  });

  it('Retry-After only, R = 500/s, B = 100 (4 s of work): every one of 10 seeds within 1.4 × its floor plus 2.5 s', () => {
    for (const r of seeds(500, 100)) {
      expect(r.failed, table([r])).toBe(0);
      expect(r.wallMs, table([r])).toBeLessThanOrEqual(1.4 * r.floorMs + 2500);
    }
  });
});

describe('a healthy origin', () => {
  it('gets no 429, ends unpaced, and costs the slow start under half a second on a burst', () => {
    const healthy = { requests: 2000, rate: 1e9, burst: 1e9, dialect: 'retry-after' } as const;
    const paced = runTokenBucketSim({ ...healthy, pacer });
    const unpaced = runTokenBucketSim({
      ...healthy,
      pacer: () => ({ delayUntilToken: () => 0, onSend() {}, onResponse() {}, rate: Infinity, state: 'none' }),
    });
    expect(paced.throttled).toBe(0);
    expect(paced.finalState).toBe('unbounded');
    expect(paced.wallMs - unpaced.wallMs).toBeLessThan(500);
  });
});

describe('a cap set while demand, not the server, limited sending reopens', () => {
  /** 4 workers thinking 20 ms (about 175/s) for 3 s, then 64 that never think. */
  const phases = [
    { workers: 4, thinkMs: 20, forMs: 3000 },
    { workers: 64, thinkMs: 0, forMs: 9000 },
  ];

  it('a server without a limit but one refusal at light demand: once demand grows, the pace passes twice the estimate within 3 s, with no other 429', () => {
    let c: PacerDriver | undefined;
    const r = runDemandSim({
      phases,
      rate: Infinity,
      burst: Infinity,
      scriptedRefusals: [300],
      pacer: (now) => (c = createPacerDriver({}, now)),
    });
    const estimate = c!.estimate!;
    const grown = r.phaseStarts[1]!;
    const passed = r.samples.find((s) => s.at >= grown && s.rate >= 2 * estimate.high);
    expect(r.throttled).toBe(1);
    expect(passed, JSON.stringify(r.samples.filter((s) => s.at >= grown).slice(0, 40))).toBeDefined();
    expect(passed!.at - grown).toBeLessThanOrEqual(3000);
    expect(r.samples.at(-1)!.state).toBe('unbounded');
  });

  it('a real bucket that light demand ran into: at most one more pause for the reopening, and the pace ends just under R', () => {
    const r = runDemandSim({ phases, rate: 150, burst: 10, pacer: (now) => createPacerDriver({}, now) });
    const last = r.samples.at(-1)!;
    expect(r.pauses).toBeLessThanOrEqual(3);
    expect(last.rate).toBeGreaterThan(0.9 * 150);
    expect(last.rate).toBeLessThanOrEqual(150);
  });
});

describe('independent clients sharing one bucket (Retry-After only, nothing shared between them)', () => {
  /** Each client's successes until the first one finished, ÷ an equal split of everyone's. */
  function shares(r: ReturnType<typeof runSharedBucketSim>): number[] {
    const firstDone = Math.min(...r.clients.map((c) => c.wallMs));
    const during = r.clients.map((c) => c.successAt.filter((t) => t <= firstDone).length);
    const fair = during.reduce((a, b) => a + b, 0) / during.length;
    return during.map((d) => d / fair);
  }

  // Before the shared pace (a fit that explains nothing cut the rate and capped it below the one
  // refused at), 2 clients at 100/s, B = 10 took 1.49–1.65 × ideal with shares 0.70–1.30: each
  // learnt a pace near what the other left it, and the cap only ever fell.
  for (const [clients, rate, burst] of [
    [2, 100, 10],
    [2, 50, 5],
    [4, 100, 10],
  ] as const) {
    it(`${clients} clients × 1000 at ${rate}/s, B = ${burst}: none fails, at most 5 % answered 429, shares within 1 ± 0.5, and within 1.45 × ideal over 3 seeds`, () => {
      for (const seed of [1, 2, 3]) {
        const r = runSharedBucketSim({ clients, requests: 1000, rate, burst, dialect: 'retry-after', pacer, seed });
        const detail = `seed ${seed}: ${r.ratio.toFixed(2)} × ideal, shares ${shares(r).map((s) => s.toFixed(2)).join(' ')}, 429 ${r.throttled}`;
        expect(r.failed, detail).toBe(0);
        expect(r.throttled, detail).toBeLessThanOrEqual(0.05 * clients * 1000);
        expect(r.ratio, detail).toBeLessThanOrEqual(1.45);
        for (const share of shares(r)) expect(Math.abs(share - 1), detail).toBeLessThanOrEqual(0.5);
      }
    });
  }

  it('2 clients at 100/s, B = 10: the mean over 3 seeds is within 1.35 × ideal and every share within 1 ± 0.25', () => {
    const runs = [1, 2, 3].map((seed) => runSharedBucketSim({ clients: 2, requests: 1000, rate: 100, burst: 10, dialect: 'retry-after', pacer, seed }));
    const detail = runs.map((r) => `${r.ratio.toFixed(2)} × (${shares(r).map((s) => s.toFixed(2)).join(' ')})`).join('; ');
    expect(runs.reduce((a, r) => a + r.ratio, 0) / runs.length, detail).toBeLessThanOrEqual(1.35);
    for (const r of runs) for (const share of shares(r)) expect(Math.abs(share - 1), detail).toBeLessThanOrEqual(0.25);
  });
});
