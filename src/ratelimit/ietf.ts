// Reads the IETF RateLimit and RateLimit-Policy structured fields (draft-ietf-httpapi-
// ratelimit-headers-10, and the draft-07 dictionary form) and picks the policy to pace by.

import { arrayBufferToBase64, isInnerList, parseDictionary, parseList, Token } from 'structured-headers';
import type { BareItem, Parameters } from 'structured-headers';
import type { HeaderReader } from '../headers.js';
import { clampDelay } from '../retry/retry-after.js';
import { MAX_BUCKET_LENGTH, toObservation } from './field-values.js';
import type { RateLimitObservation } from './types.js';

/** A quota policy from RateLimit-Policy: `"burst";q=100;w=60`, or draft-07's `100;w=60`. */
interface Policy {
  /** Absent for draft-07's unnamed policies, which are matched by quota instead. */
  name: string | undefined;
  quota: number;
  windowSeconds: number | undefined;
  unit: string | undefined;
  partition: string | undefined;
}

/** A service limit from RateLimit: `"burst";r=50;t=30`, or draft-07's `limit=100, remaining=50, reset=30`. */
interface ServiceLimit {
  name: string | undefined;
  /** Only draft-07 states the quota in RateLimit itself (`limit=`). */
  quota: number | undefined;
  remaining: number | undefined;
  resetSeconds: number | undefined;
  partition: string | undefined;
}

/** One policy's numbers, merged from both fields, as a candidate for pacing. */
interface Candidate {
  limit: number | undefined;
  remaining: number | undefined;
  windowSeconds: number | undefined;
  resetSeconds: number | undefined;
  partition: string | undefined;
}

/** Quota units that count requests; "request" is how the draft's registry table spells it. */
const REQUEST_UNITS = new Set(['requests', 'request']);

function tryParse<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    // RFC 9651: a field that fails to parse is ignored as a whole. The draft says the same.
    return undefined;
  }
}

/**
 * A number parameter. Integers are what the draft specifies; a Decimal (`t=1.5`) is accepted
 * too, as a lenient reading that costs nothing, but never a negative or a non-number.
 */
function nonNegative(value: BareItem | undefined): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return undefined;
  return value === 0 ? 0 : value; // "-0" parses to -0; keep it out of the observation
}

/** The draft says String; draft-08 and the draft's own appendix B.3.1 use Tokens. */
function textOf(value: BareItem | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (value instanceof Token) return value.toString();
  return undefined;
}

function partitionOf(params: Parameters): string | undefined {
  const pk = params.get('pk');
  if (!(pk instanceof ArrayBuffer)) return undefined;
  const key = arrayBufferToBase64(pk);
  return key === '' || key.length > MAX_BUCKET_LENGTH ? undefined : key;
}

function readPolicies(value: string | null): Policy[] {
  const list = value === null ? undefined : tryParse(() => parseList(value));
  const policies: Policy[] = [];
  for (const member of list ?? []) {
    if (isInnerList(member)) continue;
    const [item, params] = member;
    const unnamed = typeof item === 'number';
    const name = unnamed ? undefined : textOf(item);
    if (!unnamed && name === undefined) continue;
    // draft-08 called the quota `l`; draft-07 made the item itself the quota.
    const quota = unnamed ? nonNegative(item) : (nonNegative(params.get('q')) ?? nonNegative(params.get('l')));
    if (quota === undefined) continue;
    const window = nonNegative(params.get('w'));
    policies.push({
      name,
      quota,
      windowSeconds: window === 0 ? undefined : window,
      unit: textOf(params.get('qu')),
      partition: partitionOf(params),
    });
  }
  return policies;
}

function limitsFromList(value: string): ServiceLimit[] {
  const limits: ServiceLimit[] = [];
  for (const member of tryParse(() => parseList(value)) ?? []) {
    if (isInnerList(member)) continue;
    const [item, params] = member;
    const name = textOf(item);
    const remaining = nonNegative(params.get('r'));
    const resetSeconds = nonNegative(params.get('t'));
    if (name === undefined || (remaining === undefined && resetSeconds === undefined)) continue;
    limits.push({ name, quota: undefined, remaining, resetSeconds, partition: partitionOf(params) });
  }
  return limits;
}

function limitsFromDictionary(value: string): ServiceLimit[] {
  const dictionary = tryParse(() => parseDictionary(value));
  if (dictionary === undefined) return [];
  const number = (key: string): number | undefined => {
    const member = dictionary.get(key);
    return member === undefined || isInnerList(member) ? undefined : nonNegative(member[0]);
  };
  const limit: ServiceLimit = {
    name: undefined,
    quota: number('limit'),
    remaining: number('remaining'),
    resetSeconds: number('reset'),
    partition: undefined,
  };
  const said = limit.quota !== undefined || limit.remaining !== undefined || limit.resetSeconds !== undefined;
  return said ? [limit] : [];
}

function readLimits(value: string | null): ServiceLimit[] {
  if (value === null) return [];
  const fromList = limitsFromList(value);
  return fromList.length > 0 ? fromList : limitsFromDictionary(value);
}

function policyFor(limit: ServiceLimit, policies: readonly Policy[]): Policy | undefined {
  if (limit.name !== undefined) return policies.find((policy) => policy.name === limit.name);
  // draft-07 ties `limit=` to the policy with that quota.
  return policies.find((policy) => policy.name === undefined && policy.quota === limit.quota);
}

function countsRequests(policy: Policy | undefined): boolean {
  return policy?.unit === undefined || REQUEST_UNITS.has(policy.unit);
}

function liveCandidates(limits: readonly ServiceLimit[], policies: readonly Policy[]): Candidate[] {
  const candidates: Candidate[] = [];
  for (const limit of limits) {
    const policy = policyFor(limit, policies);
    if (!countsRequests(policy)) continue;
    candidates.push({
      limit: limit.quota ?? policy?.quota,
      remaining: limit.remaining,
      windowSeconds: policy?.windowSeconds,
      resetSeconds: limit.resetSeconds,
      partition: limit.partition ?? policy?.partition,
    });
  }
  return candidates;
}

function policyCandidates(policies: readonly Policy[]): Candidate[] {
  return policies.filter(countsRequests).map((policy) => ({
    limit: policy.quota,
    remaining: undefined,
    windowSeconds: policy.windowSeconds,
    resetSeconds: undefined,
    partition: policy.partition,
  }));
}

/** Requests left, and seconds until they are replenished, as far as the candidate says. */
function budget(candidate: Candidate): { left: number | undefined; seconds: number | undefined } {
  return {
    left: candidate.remaining ?? candidate.limit,
    seconds: candidate.resetSeconds ?? candidate.windowSeconds,
  };
}

function isExhausted(candidate: Candidate): boolean {
  const { left, seconds } = budget(candidate);
  return left === 0 && seconds !== 0;
}

/** Requests per second the candidate allows until its reset; Infinity when it cannot say. */
function allowedRate(candidate: Candidate): number {
  const { left, seconds } = budget(candidate);
  return left === undefined || seconds === undefined || seconds === 0 ? Infinity : left / seconds;
}

function moreRestrictive(a: Candidate, b: Candidate): boolean {
  const aExhausted = isExhausted(a);
  if (aExhausted !== isExhausted(b)) return aExhausted;
  if (aExhausted) return (budget(a).seconds ?? -1) > (budget(b).seconds ?? -1);
  return allowedRate(a) < allowedRate(b);
}

/**
 * The candidate to pace by: an exhausted one first (the one that blocks longest), else the one
 * allowing the fewest requests per second until it resets. Any faster pace would run into that
 * policy's limit, so it is the one that decides when the next 429 comes. Ties keep the order
 * the server listed them in.
 */
function mostRestrictive(candidates: readonly Candidate[]): Candidate | undefined {
  let chosen: Candidate | undefined;
  for (const candidate of candidates) {
    if (chosen === undefined || moreRestrictive(candidate, chosen)) chosen = candidate;
  }
  return chosen;
}

function count(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER);
}

/** Structured-field Decimals have at most 3 fraction digits, so rounding removes only float noise. */
function secondsToMs(value: number | undefined): number | undefined {
  return value === undefined ? undefined : clampDelay(Math.round(value * 1000));
}

/**
 * Parse the IETF `RateLimit` and `RateLimit-Policy` fields.
 *
 * Understands draft-10 (`RateLimit-Policy: "burst";q=100;w=60, "daily";q=1000;w=86400` with
 * `RateLimit: "burst";r=50;t=30`, optional `pk` byte sequences, `qu` units), draft-08's
 * tokens and `l=`, and draft-07 (`RateLimit: limit=100, remaining=50, reset=30` with
 * `RateLimit-Policy: 100;w=60`). Syntax is strict RFC 9651 (a field that fails to parse is
 * ignored whole, as the draft requires); numbers are read leniently (Decimals allowed).
 *
 * When several policies are present, one is reported, chosen among those in `RateLimit` (the
 * live state the server chose to send, which the draft says is the one to react to), or,
 * without it, among `RateLimit-Policy`'s: an exhausted one first (the longest wait), else the
 * one allowing the fewest requests per second until its reset (remaining / t, or q / w). The
 * gate paces one bucket per key, and any faster pace would hit that policy first. Policies
 * whose `qu` is not requests (content-bytes, concurrent-requests) are skipped.
 *
 * @param headers - the response headers.
 * @param _now - unused: every time in these fields is relative.
 * @returns the chosen policy's observation (`pk` as base64 in `bucket`), or `undefined` when
 * neither field is present and usable.
 */
export function parseIetf(headers: HeaderReader, _now: number): RateLimitObservation | undefined {
  const policies = readPolicies(headers.get('ratelimit-policy'));
  const live = liveCandidates(readLimits(headers.get('ratelimit')), policies);
  const chosen = mostRestrictive(live.length > 0 ? live : policyCandidates(policies));
  if (chosen === undefined) return undefined;
  return toObservation('ietf', {
    limit: count(chosen.limit),
    remaining: count(chosen.remaining),
    windowMs: secondsToMs(chosen.windowSeconds),
    resetMs: secondsToMs(chosen.resetSeconds),
    bucket: chosen.partition,
  });
}
