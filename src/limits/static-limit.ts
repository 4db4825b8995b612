// A fixed concurrency limit: the window for keys whose capacity is known, and the baseline the
// adaptive algorithms are measured against. Settable at runtime, like p-queue's `concurrency`.

import { InvalidOptionError } from '../errors.js';
import { type ConcurrencyLimit, type LimitSample, LimitListeners } from './limit.js';

export interface StaticLimit extends ConcurrencyLimit {
  /** Writable: setting it notifies `onChange` listeners so the gate can admit more at once. */
  limit: number;
}

export function createStaticLimit(limit: number): StaticLimit {
  validateLimit(limit);
  let current = limit;
  const listeners = new LimitListeners();
  return {
    get limit() {
      return current;
    },
    set limit(value: number) {
      validateLimit(value);
      if (value === current) return;
      current = value;
      listeners.emit(current);
    },
    onSample(_sample: LimitSample) {
      // A static limit ignores what it observes, so it never absorbs a drop: that is the point of it.
      return false;
    },
    onChange: (listener) => listeners.add(listener),
  };
}

function validateLimit(value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError('limit', 'an integer from 1 and up', value);
  }
}
