// A chaos run: thousands of requests with mixed faults over several origins and methods, through
// client.fetch, install() and client.map at once, then every invariant checked from the
// servers' ledgers and the callers' outcomes. Shared by the test suite's short run and `npm run soak`.

import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { Agent, getGlobalDispatcher, setGlobalDispatcher } from 'undici';
import { createClient, type SluiceClient } from '../../src/client.js';
import type { ClientOptions } from '../../src/client-options.js';
import { isSluiceError } from '../../src/errors.js';
import { install, uninstall } from '../../src/undici/index.js';
import { activeResources, leftoverResources } from './active-resources.js';
import { bodyFor, defaultMix, startChaosServer, type ChaosServer, type FaultKind, type FaultMix } from './chaos-server.js';

export interface ChaosOptions {
  /** Requests to send at least, over the three adapters together. */
  requests: number;
  /** And for at least this long (ms): the run goes on until both are reached. @default 0 */
  minDurationMs?: number;
  /** Loopback origins the requests are spread over. @default 4 */
  origins?: number;
  /** Requests each of fetch and install() keeps in flight (map uses its own `concurrency`). @default 48 */
  concurrency?: number;
  mix?: FaultMix;
  seed?: string;
  /** Called every `progressEveryMs` with the figures so far. */
  onProgress?: (figures: { sent: number; settled: number; elapsedMs: number }) => void;
  progressEveryMs?: number;
  /**
   * How long requests still out when sending stops may take to settle before they count as lost
   * (the run then ends: a lost request is a finding, not a hang). @default 30000
   */
  settleWithinMs?: number;
}

export interface ChaosReport {
  requests: number;
  attempts: number;
  /** Attempts answered with a fault (a slow drip included), as a share of all attempts. */
  faultShare: number;
  faults: Record<FaultKind, number>;
  /** Requests settled through each adapter. */
  byAdapter: Record<'fetch' | 'install' | 'map', number>;
  /** How requests ended, by kind ("200", "429", "TypeError", "TimeoutError", …). */
  outcomes: Record<string, number>;
  /** Requests that never settled. */
  lost: number;
  /** Final errors of a type sluice does not document (a bug), with a sample of messages. */
  unexpected: string[];
  /** POSTs without an Idempotency-Key the server received more than once. */
  duplicateNonIdempotent: number;
  /** 200 bodies read to the end that differ from what the server sent. */
  corruptedBodies: number;
  /** Body reads that failed although the last attempt's answer was whole. */
  unexplainedBodyFailures: number;
  /** Attempts whose request body was not the one the request carries. */
  corruptedUploads: number;
  /** Retries that reached the server before the time it had asked for. */
  earlyRetries: number;
  /** A sample of the early retries: the request, the answer that asked for a time, how early the retry came. */
  earlySamples: string[];
  /** The least time a retry came after the server's time ran out (ms); Infinity when none was asked. */
  minRetryMarginMs: number;
  /**
   * Retries that came early after an answer the client may never have read: in the attempt
   * timeout before the request reached the server, the process stood still for at least half of
   * it, so the client's timeout may have fired before the answer existed (it then retried the
   * timeout, as it should). Not counted as early retries; a bug would show as many of those.
   */
  retriesAfterStall: number;
  /** The longest the process stalled (a timer firing late), in ms. */
  longestStallMs: number;
  heap: { baselineMB: number; afterMB: number; ratio: number };
  /** Event-loop resources left once everything was closed. */
  leftover: string[];
  elapsedMs: number;
  /** Each client's gates as they ended (window, rate), for reading what the faults did. */
  finalStats: Record<string, { limit: number; rate: number; rateState: string }[]>;
}

const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'PUT', 'PUT', 'DELETE', 'POST', 'POST', 'POST', 'POST+key'] as const;

interface Outcome {
  id: string;
  method: string;
  kind: string;
  /** The body read back was whole and as sent; false when it differed; undefined when not read to its end. */
  bodyOk?: boolean;
  bodyFailed?: boolean;
  unexpected?: string;
}

/** Ends hangs; the early-retry check also relies on it (see `watchStalls`). */
const ATTEMPT_TIMEOUT_MS = 1000;

/**
 * Watches the event loop for stalls (a 10 ms timer firing late). Client and servers share one
 * process: after a stall (GC, a descheduled process on busy cores) the client's attempt timeout
 * and the server's answer to that attempt run in one turn, so the server sends a 429 the client
 * has already given up on — and the retry of the timeout looks early against it.
 */
function watchStalls() {
  const stalls: { from: number; to: number }[] = [];
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    if (now - last > 50) stalls.push({ from: last, to: now });
    last = now;
  }, 10);
  return {
    stop: () => clearInterval(timer),
    // The time lost to stalls in the `withinMs` before `at`: while the loop stood still the client
    // was out of the server's reach, and its own timers ran on regardless.
    lostBefore: (at: number, withinMs: number) =>
      stalls.reduce((sum, { from, to }) => sum + Math.max(0, Math.min(to, at) - Math.max(from, at - withinMs)), 0),
    longest: () => Math.max(0, ...stalls.map((stall) => stall.to - stall.from)),
  };
}

/** `gc()` even without `--expose-gc`: the flag can be set at run time, and a fresh context sees the function. */
function collector(): () => void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const gc = collector();
  const baselineResources = activeResources();
  // A short pass of the same shape first, unmeasured: what a process sets up once (undici's
  // fetch, code compiled as it gets hot, caches that reach their size) belongs to the baseline,
  // not to what the run leaves behind. Measured: after a 60-request warm-up a 3,000-request run
  // ended 8–15 % above it; after 600, a 6,000-request run ended at 0.98 × — it does not grow
  // with the requests.
  const { onProgress: _, minDurationMs: __, ...shape } = options;
  await chaosPass({ ...shape, requests: 600, seed: `${options.seed ?? 'chaos'}/warm-up` });
  const baselineHeap = await settledHeap(gc);
  const report = await chaosPass(options);
  // Sockets report their close a tick or two after close() resolves: measure once they did.
  const leftover = await leftoverResources(baselineResources);
  let afterHeap = Infinity;
  // The least of a few readings: what a collection may leave for the next one is not retained.
  for (let i = 0; i < 3; i++) {
    afterHeap = Math.min(afterHeap, await settledHeap(gc));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    ...report,
    heap: { baselineMB: baselineHeap / 2 ** 20, afterMB: afterHeap / 2 ** 20, ratio: afterHeap / baselineHeap },
    leftover,
  };
}

/** One run, from starting its servers to closing them; only its report outlives it. */
async function chaosPass(options: ChaosOptions): Promise<Omit<ChaosReport, 'heap' | 'leftover'>> {
  const { requests, minDurationMs = 0, origins: originCount = 4, concurrency = 48, mix = defaultMix, seed = 'chaos', settleWithinMs = 30_000 } = options;
  const started = performance.now();
  const stalls = watchStalls();

  const servers: ChaosServer[] = [];
  for (let i = 0; i < originCount; i++) servers.push(await startChaosServer(`${seed}/${i}`, mix));

  // Short server times and backoff keep a run to thousands a minute; the attempt timeout ends hangs.
  const clientOptions: ClientOptions = { timeout: { attempt: ATTEMPT_TIMEOUT_MS }, retry: { backoff: { base: 10, max: 200 } } };
  const client = createClient(clientOptions);
  const mapClient = createClient(clientOptions);
  const previousGlobal = getGlobalDispatcher();
  const programAgent = new Agent();
  setGlobalDispatcher(programAgent);
  const installed = install(clientOptions);

  const outcomes: Outcome[] = [];
  let issued = 0;
  let settled = 0;
  // The three adapters send until the run has its requests and its duration, together: client.map
  // pulls its items in order, so an origin its faults slowed down holds up the items behind it,
  // and map sends fewer than the callers of the other two.
  const keepGoing = () => issued < requests || performance.now() - started < minDurationMs;
  const progress = options.onProgress
    ? setInterval(() => options.onProgress!({ sent: issued, settled, elapsedMs: performance.now() - started }), options.progressEveryMs ?? 10_000)
    : undefined;

  /** Request `i` of `adapter`, to origin `server` (by default they take turns). */
  const plan = (adapter: string, i: number, server = i % servers.length) => {
    const id = `${adapter}-${i}`;
    const method = METHODS[i % METHODS.length]!;
    const url = `${servers[server]!.origin}/c/${id}`;
    const verb = method === 'POST+key' ? 'POST' : method;
    const init: RequestInit = { method: verb };
    if (verb === 'PUT' || verb === 'POST') init.body = bodyFor(id);
    if (method === 'POST+key') init.headers = { 'idempotency-key': id };
    return { id, url, init, verb };
  };
  const record = (outcome: Outcome) => {
    outcomes.push(outcome);
    settled++;
  };

  // fetch and install(): a fixed number of callers, each sending its next request when the last
  // settled, each to one origin: an origin slowed by its faults (a 429's pause, a pace learned
  // from refusals) slows its own callers, not every caller in turn.
  const viaFetch = async (adapter: 'fetch' | 'install', send: (url: string, init: RequestInit) => Promise<Response>) => {
    let next = 0;
    const caller = async (_: unknown, index: number) => {
      while (keepGoing()) {
        const { id, url, init, verb } = plan(adapter, next++, index % servers.length);
        issued++;
        record(await fetchOutcome(id, verb, () => send(url, init)));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, caller));
  };
  // map: one run over an endless source, pulled on capacity; results as they complete.
  const viaMap = async () => {
    function* items() {
      for (let i = 0; keepGoing(); i++) {
        issued++;
        yield i;
      }
    }
    for await (const result of mapClient.map(items(), (i) => {
      const { url, init } = plan('map', i);
      return { input: url, init };
    })) {
      const { id, verb } = plan('map', result.input);
      record(mapOutcome(id, verb, result));
    }
  };

  const senders = Promise.all([viaFetch('fetch', (url, init) => client.fetch(url, init)), viaFetch('install', (url, init) => globalThis.fetch(url, init)), viaMap()]);
  // Sending stops once the plan is done; what is still out then has settleWithinMs to settle.
  let giveUp: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (keepGoing()) return;
      clearInterval(check);
      giveUp = setTimeout(resolve, settleWithinMs);
    }, 100);
    void senders.finally(() => {
      clearInterval(check);
      resolve();
    });
  });
  await Promise.race([senders, stopped]);
  clearTimeout(giveUp);
  clearInterval(progress);
  stalls.stop();
  const lost = issued - settled;

  const finalStats = {
    fetch: client.stats().map(({ limit, rate, rateState }) => ({ limit, rate, rateState })),
    map: mapClient.stats().map(({ limit, rate, rateState }) => ({ limit, rate, rateState })),
    install: installed.stats().map(({ limit, rate, rateState }) => ({ limit, rate, rateState })),
  };
  // With every request settled there is nothing in flight: close() must resolve at once. With
  // some lost it must still end them, within its grace period.
  await Promise.all([client.close({ grace: 1000 }), mapClient.close({ grace: 1000 }), uninstall()]);
  setGlobalDispatcher(previousGlobal);
  await programAgent.close();

  // The servers' ledgers against the callers' outcomes.
  const faults = Object.fromEntries(Object.keys(servers[0]!.faults).map((k) => [k, 0])) as Record<FaultKind, number>;
  let attempts = 0;
  let duplicateNonIdempotent = 0;
  let corruptedUploads = 0;
  let earlyRetries = 0;
  let minRetryMarginMs = Infinity;
  let retriesAfterStall = 0;
  const earlySamples: string[] = [];
  const lastFault = new Map<string, FaultKind>();
  for (const server of servers) {
    for (const [kind, count] of Object.entries(server.faults)) faults[kind as FaultKind] += count;
    for (const [id, list] of server.ledger) {
      attempts += list.length;
      lastFault.set(id, list.at(-1)!.fault);
      if (list[0]!.method === 'POST' && !list[0]!.idempotencyKey && list.length > 1) duplicateNonIdempotent++;
      for (let i = 0; i < list.length; i++) {
        const attempt = list[i]!;
        if (!attempt.bodyIntact) corruptedUploads++;
        const next = list[i + 1];
        if (next === undefined || attempt.serverTimeMs === undefined || attempt.answeredAt === undefined) continue;
        const margin = next.at - (attempt.answeredAt + attempt.serverTimeMs);
        minRetryMarginMs = Math.min(minRetryMarginMs, margin);
        // A timer may fire up to 1 ms early on libuv's millisecond clock; anything more is a bug,
        // unless the client had timed the attempt out before the server could answer it.
        if (margin >= -1) continue;
        if (stalls.lostBefore(attempt.at, ATTEMPT_TIMEOUT_MS) >= ATTEMPT_TIMEOUT_MS / 2) retriesAfterStall++;
        else if (earlyRetries++ < 10) {
          earlySamples.push(`${id} attempt ${i} ${attempt.method} ${attempt.fault}: asked ${attempt.serverTimeMs} ms, retry came ${(-margin).toFixed(1)} ms early`);
        }
      }
    }
  }
  await Promise.all(servers.map((server) => server.close()));

  const counts: Record<string, number> = {};
  const unexpected: string[] = [];
  let corruptedBodies = 0;
  let unexplainedBodyFailures = 0;
  const byAdapter = { fetch: 0, install: 0, map: 0 };
  for (const outcome of outcomes) {
    byAdapter[outcome.id.slice(0, outcome.id.indexOf('-')) as keyof typeof byAdapter]++;
    counts[outcome.kind] = (counts[outcome.kind] ?? 0) + 1;
    if (outcome.unexpected !== undefined && unexpected.length < 20) unexpected.push(outcome.unexpected);
    if (outcome.bodyOk === false) corruptedBodies++;
    const fault = lastFault.get(outcome.id);
    if (outcome.bodyFailed && fault !== 'reset-mid-body' && fault !== 'truncated') unexplainedBodyFailures++;
  }
  const unexpectedCount = outcomes.filter((o) => o.unexpected !== undefined).length;
  const faulted = attempts - faults.ok;
  const report = {
    requests: settled,
    attempts,
    faultShare: faulted / attempts,
    faults,
    byAdapter,
    outcomes: counts,
    lost,
    unexpected: unexpectedCount > unexpected.length ? [...unexpected, `… ${unexpectedCount} in all`] : unexpected,
    duplicateNonIdempotent,
    corruptedBodies,
    unexplainedBodyFailures,
    corruptedUploads,
    earlyRetries,
    earlySamples,
    minRetryMarginMs,
    retriesAfterStall,
    longestStallMs: stalls.longest(),
    elapsedMs: performance.now() - started,
    finalStats,
  };
  return report;
}

/** One fetch-shaped request to its end: the response read whole (and checked), or the error classified. */
async function fetchOutcome(id: string, verb: string, send: () => Promise<Response>): Promise<Outcome> {
  let response: Response;
  try {
    response = await send();
  } catch (error) {
    return { id, method: verb, ...classify(error) };
  }
  return { id, method: verb, ...(await readBody(id, verb, response)) };
}

function mapOutcome(id: string, verb: string, result: { response?: Response; body?: unknown; error?: unknown; ok: boolean }): Outcome {
  if (result.response === undefined) return { id, method: verb, ...classify(result.error) };
  const kind = String(result.response.status);
  if (result.error !== undefined) return { id, method: verb, kind, bodyFailed: true };
  if (result.response.status !== 200) return { id, method: verb, kind };
  return { id, method: verb, kind, bodyOk: result.body === (verb === 'HEAD' ? '' : bodyFor(id)) };
}

async function readBody(id: string, verb: string, response: Response): Promise<Omit<Outcome, 'id' | 'method'>> {
  const kind = String(response.status);
  let text: string;
  try {
    text = await response.text();
  } catch {
    return { kind, bodyFailed: true };
  }
  if (response.status !== 200) return { kind };
  return { kind, bodyOk: text === (verb === 'HEAD' ? '' : bodyFor(id)) };
}

/** A final error as a kind; one that is neither a network TypeError nor a SluiceError is unexpected. */
function classify(error: unknown): Omit<Outcome, 'id' | 'method'> {
  if (isSluiceError(error)) return { kind: error.name };
  if (error instanceof TypeError && error.cause !== undefined) {
    // Node's fetch (install()) wraps a dispatcher's error, sluice's own included.
    const cause = error.cause;
    return { kind: isSluiceError(cause) ? `TypeError(${cause.name})` : 'TypeError' };
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { kind: 'unexpected', unexpected: text };
}
