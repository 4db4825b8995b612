// Type tests of the observability API: event and channel payloads, stats, and the metrics entries.

import type { Meter } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { describe, expectTypeOf, it } from 'vitest';
import { channels, createClient, type GateStats, type RefusalReason, type SluiceChannelMessages, type SluiceEvents } from '../../src/index.js';
import { registerMetrics as registerOtel } from '../../src/metrics/otel.js';
import { registerMetrics as registerPrometheus } from '../../src/metrics/prometheus.js';
import { sluice } from '../../src/undici/index.js';

describe('events and channels', () => {
  it('types each listener by its event', () => {
    createClient().on('admitted', (event) => {
      expectTypeOf(event.wait).toEqualTypeOf<number>();
      expectTypeOf(event.origin).toEqualTypeOf<string | undefined>();
    });
    createClient().on('reject', (event) => expectTypeOf(event.reason).toEqualTypeOf<RefusalReason>());
    createClient().on('rate', (event) => expectTypeOf(event.previousMode).toEqualTypeOf<string>());
  });

  it('names the channels and types their messages as the events', () => {
    expectTypeOf(channels.admitted).toEqualTypeOf<'sluice:request:admitted'>();
    expectTypeOf(channels.reject).toEqualTypeOf<'sluice:request:rejected'>();
    expectTypeOf<SluiceChannelMessages['sluice:gate:pause']>().toEqualTypeOf<SluiceEvents['pause']>();
  });

  it('stats carries the refusals by reason and the time paused', () => {
    expectTypeOf<GateStats['refused']>().toEqualTypeOf<Readonly<Record<RefusalReason, number>>>();
    expectTypeOf<GateStats['pausedMs']>().toEqualTypeOf<number>();
  });
});

describe('metrics entries', () => {
  it('take a client or an interceptor, and return the unregister function', () => {
    expectTypeOf(registerPrometheus).toBeCallableWith(createClient(), { registry: {} as Registry });
    expectTypeOf(registerPrometheus).toBeCallableWith(sluice(), { registry: {} as Registry });
    expectTypeOf(registerOtel).toBeCallableWith(createClient(), { meter: {} as Meter });
    expectTypeOf(registerOtel).returns.toEqualTypeOf<() => void>();
  });
});
