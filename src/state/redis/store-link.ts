// The store's one link to Redis and what happens when it breaks: every call is bounded by a small
// timeout, the first failure drops the whole store to local state, and a probe rejoins it.

import { type FleetBatch, type FleetMessage, decodeBatch, encodeBatch } from './fleet-messages.js';
import { type ScriptName, ScriptRunner } from './lua-scripts.js';
import type { RedisConnection, Subscription } from './redis-connection.js';

/** `local`: Redis is out of reach and every key runs on its own; `joined`: shared. */
export type LinkState = 'idle' | 'connecting' | 'joined' | 'local' | 'closed';

export interface StoreLinkOptions {
  channel: string;
  /** ms a call may take before Redis counts as lost. */
  timeoutMs: number;
  /** ms between attempts to rejoin while local. */
  probeMs: number;
  /** This store's id on the channel. */
  id: string;
  onBatch(batch: FleetBatch): void;
  /** Heard once per change: joined, or local with the error that caused it. */
  onState(state: 'joined' | 'local', error?: unknown): void;
}

/** Thrown by calls made while the link is not joined; callers treat it as "stay local". */
export class NotJoinedError extends Error {
  constructor() {
    super('the Redis store is not joined');
  }
}

export class StoreLink {
  state: LinkState = 'idle';
  /** Commands sent to Redis, for the round-trip figures of the fleet benchmark. */
  commands = 0;
  readonly #scripts: ScriptRunner;
  #subscription: Subscription | undefined;
  #outbox: FleetMessage[] = [];
  #flushing = false;
  #probe: NodeJS.Timeout | undefined;
  #echo: { token: string; heard: () => void } | undefined;
  #echoes = 0;

  constructor(
    private readonly connection: RedisConnection,
    private readonly options: StoreLinkOptions,
  ) {
    this.#scripts = new ScriptRunner({ command: (args) => this.#count(connection.command(args)) });
  }

  get id(): string {
    return this.options.id;
  }

  get channel(): string {
    return this.options.channel;
  }

  get joined(): boolean {
    return this.state === 'joined';
  }

  /** Connects in the background; until then (and whenever Redis is lost) keys stay local. */
  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'connecting';
    void this.#join();
  }

  /** Runs a script; rejects (and drops the store to local) on any failure or past the timeout. */
  run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (!this.joined) return Promise.reject(new NotJoinedError());
    return this.#bounded(this.#scripts.run(name, keys, args), `${name} script`).catch((error) => {
      this.fail(error);
      throw error;
    });
  }

  /** Queues a message for the fleet; everything queued in one turn of the event loop goes in one PUBLISH. */
  send(message: FleetMessage): void {
    if (!this.joined) return;
    this.#outbox.push(message);
    if (!this.#flushing) {
      this.#flushing = true;
      setImmediate(() => this.#flush());
    }
  }

  /** Redis failed or was too slow: every key goes local now, and a probe starts looking for Redis. */
  fail(error: unknown): void {
    if (this.state !== 'joined' && this.state !== 'connecting') return;
    this.#drop();
    this.state = 'local';
    this.options.onState('local', error);
    this.#scheduleProbe();
  }

  close(): void {
    // What was queued (a key's leave, say) still goes: the others should not wait to forget it.
    if (this.joined && this.#outbox.length > 0) this.#flush();
    this.state = 'closed';
    this.#drop();
    clearTimeout(this.#probe);
  }

  #flush(): void {
    this.#flushing = false;
    const messages = this.#outbox;
    this.#outbox = [];
    if (!this.joined || messages.length === 0) return;
    const text = encodeBatch({ from: this.options.id, messages });
    this.#bounded(this.#count(this.connection.command(['PUBLISH', this.options.channel, text])), 'PUBLISH').catch((error) => this.fail(error));
  }

  async #join(): Promise<void> {
    const { channel, timeoutMs } = this.options;
    // Connecting a new subscriber takes longer than a command: allow it a few timeouts.
    const joinMs = Math.max(1000, 5 * timeoutMs);
    try {
      this.#subscription = this.connection.subscribe(channel, (text) => this.#receive(text), (error) => this.fail(error));
      await this.#bounded(this.#scripts.loadAll(), 'SCRIPT LOAD', joinMs);
      await this.#bounded(this.#subscription.ready, 'SUBSCRIBE', joinMs);
      await this.#bounded(this.#echoed(channel), 'an echo of PUBLISH', joinMs);
    } catch (error) {
      // A lost subscription may have failed the link already.
      if (this.state === 'connecting') this.fail(error);
      return;
    }
    if (this.state !== 'connecting') return;
    this.state = 'joined';
    this.options.onState('joined');
  }

  /** Publishes a token and waits to hear it back: proof that both directions work. */
  #echoed(channel: string): Promise<void> {
    const token = `${this.options.id}:${++this.#echoes}`;
    return new Promise((resolve, reject) => {
      this.#echo = { token, heard: resolve };
      const text = encodeBatch({ from: this.options.id, messages: [['echo', token]] });
      this.#count(this.connection.command(['PUBLISH', channel, text])).catch(reject);
    });
  }

  #receive(text: string): void {
    const batch = decodeBatch(text);
    if (batch === undefined) return;
    if (batch.from === this.options.id) {
      const [first] = batch.messages;
      if (first?.[0] === 'echo' && first[1] === this.#echo?.token) this.#echo.heard();
      return;
    }
    if (this.joined) this.options.onBatch(batch);
  }

  #scheduleProbe(): void {
    clearTimeout(this.#probe);
    this.#probe = setTimeout(() => {
      if (this.state !== 'local') return;
      this.state = 'connecting';
      void this.#join();
    }, this.options.probeMs).unref();
  }

  #drop(): void {
    this.#subscription?.close();
    this.#subscription = undefined;
    this.#outbox = [];
    this.#echo = undefined;
  }

  #count<T>(promise: Promise<T>): Promise<T> {
    this.commands++;
    return promise;
  }

  /** `promise`, or a rejection once `ms` pass: nothing waits on Redis longer than the timeout. */
  #bounded<T>(promise: Promise<T>, what: string, ms = this.options.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      // The verdict waits for the event loop's I/O phase: a loop that was blocked past the timeout
      // (a busy process, not a slow Redis) delivers the answer that came meanwhile first.
      const timer = setTimeout(() => setImmediate(() => reject(new Error(`Redis did not answer ${what} within ${ms} ms`))), ms).unref();
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
