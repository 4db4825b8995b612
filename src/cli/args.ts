// Command-line parsing on `node:util` parseArgs, with its errors rewritten as usage errors a
// newcomer understands, and the parsers for flag values (counts, rates, durations, headers).

import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import leven from 'leven';
import { parseGoDuration } from '../ratelimit/go-duration.js';
import { UsageError } from './cli-errors.js';

export interface ParsedArgs<V> {
  values: V;
  positionals: string[];
}

/** Parses `argv` strictly against `options`; an unknown flag or missing value is a `UsageError`. */
export function parseCommandArgs<V>(command: string, argv: string[], options: ParseArgsOptionsConfig): ParsedArgs<V> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true, allowNegative: true });
    return { values: values as V, positionals };
  } catch (error) {
    throw new UsageError(rewordParseError(error, options), command);
  }
}

/** The single operand a command takes (a URL, an input file); none or several is a `UsageError`. */
export function onePositional(command: string, positionals: string[], what: string, missing: string): string {
  if (positionals.length === 1) return positionals[0]!;
  throw new UsageError(
    positionals.length === 0 ? missing : `expected one ${what}, got ${positionals.length}: ${positionals.join(' ')}`,
    command,
  );
}

function rewordParseError(error: unknown, options: ParseArgsOptionsConfig): string {
  const { code, message } = error as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const names = Object.entries(options).flatMap(([name, option]) => [
      `--${name}`,
      ...(option.type === 'boolean' ? [`--no-${name}`] : []),
    ]);
    const guess = closest(flag.split('=')[0]!, names);
    return `unknown option ${flag}${guess ? ` (did you mean ${guess}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return message.includes('does not take an argument') ? `option ${flag} takes no value` : `option ${flag} needs a value`;
  }
  return message;
}

/**
 * The known word nearest to `word`, if it is near enough to be a typo: within a third of its
 * length in edits (at least one, at most three). `--concurency` → `--concurrency`.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.replace(/^-+/, '').length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    const distance = leven(word, candidate, { maxDistance: bestDistance });
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `adaptive`, or a whole number from `min` up. */
export function parseCountOrAdaptive(flag: string, value: string, min = 1): number | 'adaptive' {
  if (value === 'adaptive') return value;
  return parseCount(flag, value, min, "or 'adaptive'");
}

/** A whole number from `min` to `max`. */
export function parseCount(flag: string, value: string, min = 0, alternatives = '', max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} up` : `from ${min} to ${max}`;
    throw new UsageError(`${flag} must be a whole number ${range}${alternatives ? ` ${alternatives}` : ''}, got "${value}"`);
  }
  return Number(value);
}

/** Requests per second: a positive number, `adaptive` or `off`. */
export function parseRate(value: string): number | 'adaptive' | false {
  if (value === 'adaptive') return value;
  if (value === 'off') return false;
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate <= 0) {
    throw new UsageError(`--rate must be requests per second above 0, 'adaptive' or 'off', got "${value}"`);
  }
  return rate;
}

/** The longest duration a timer takes (setTimeout's limit, about 24.8 days). */
const maxDurationMs = 2 ** 31 - 1;

/**
 * A duration in ms, as Go writes them (`500ms`, `30s`, `1m30s`, `2h`; the same parser reads
 * OpenAI's reset headers); a bare number is seconds, as curl's are. `allowZero` for caps where 0
 * means "none".
 */
export function parseDuration(flag: string, value: string, { allowZero = false } = {}): number {
  const text = value.trim();
  const ms = /^\d+(?:\.\d+)?$/.test(text) ? Number(text) * 1000 : text.startsWith('-') ? undefined : parseGoDuration(text);
  const floor = allowZero ? 'from 0' : 'above 0';
  if (ms === undefined || !(allowZero ? ms >= 0 : ms > 0)) {
    throw new UsageError(`${flag} must be a duration ${floor} like 500ms, 30s, 2m or 1m30s, got "${value}"`);
  }
  if (ms > maxDurationMs) throw new UsageError(`${flag} must be at most 596h (about 24.8 days), got "${value}"`);
  return ms;
}

/** `Name: value`, as curl's -H takes it. */
export function parseHeader(value: string): [string, string] {
  const colon = value.indexOf(':');
  const name = colon > 0 ? value.slice(0, colon).trim() : '';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    throw new UsageError(`--header must look like 'Name: value', got "${value}"`);
  }
  return [name, value.slice(colon + 1).trim()];
}
