// Eager option validation with one message shape: the option's name, what was expected, and
// what was given — so a typo fails at construction time, not on the hundredth request.

import { InvalidOptionError } from './errors.js';

/** A number in [min, max]; `Infinity` only when `max` is Infinity. */
export function expectNumber(name: string, value: unknown, min = 0, max = Infinity): number {
  const ok = typeof value === 'number' && !Number.isNaN(value) && value >= min && value <= max;
  if (!ok) throw new InvalidOptionError(name, describeRange('a number', min, max), value);
  return value;
}

/** Any number but ±Infinity and NaN (a priority, say, which is compared and must stay ordered). */
export function expectFiniteNumber(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidOptionError(name, 'a finite number', value);
  return value;
}

/** An integer in [min, max]; `Infinity` allowed only when `max` is Infinity. */
export function expectInteger(name: string, value: unknown, min = 0, max = Infinity): number {
  const ok =
    typeof value === 'number' &&
    (Number.isInteger(value) || value === Infinity) &&
    value >= min &&
    value <= max;
  if (!ok) throw new InvalidOptionError(name, describeRange('an integer', min, max), value);
  return value;
}

export function expectBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, 'a boolean', value);
  return value;
}

/** An `AbortSignal`, or undefined when none was given. */
export function expectOptionalSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value !== undefined && !(value instanceof AbortSignal)) throw new InvalidOptionError(name, 'an AbortSignal', value);
  return value;
}

export function expectOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new InvalidOptionError(name, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`, value);
  }
  return value as T;
}

export function expectFunction<T extends (...args: never[]) => unknown>(name: string, value: unknown): T {
  if (typeof value !== 'function') throw new InvalidOptionError(name, 'a function', value);
  return value as T;
}

export function expectObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(name, 'an object', value);
  }
  return value as Record<string, unknown>;
}

/** Rejects keys the caller did not mean, since a misspelt option silently ignored is a bug. */
export function expectKnownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(`${name}.${key}`, `one of the known options (${known.join(', ')})`, value[key]);
    }
  }
}

function describeRange(kind: string, min: number, max: number): string {
  if (max === Infinity) return `${kind} from ${min} and up`;
  return `${kind} from ${min} to ${max}`;
}

/** The options the caller set, without members set to `undefined`, so defaults fill those in. */
export function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}
