// The bounded hand-over between settling requests and the consumer of a bulk run: results as
// they complete, or re-ordered into source order; its size is what stops the source being pulled.

/** A settled item; only `index` matters here. */
interface Indexed {
  index: number;
}

export class ResultBuffer<R extends Indexed> {
  /** Results the consumer may take now, oldest first. */
  #ready: R[] = [];
  #readyHead = 0;
  /** Ordered mode: results that finished before an earlier item, by index. */
  readonly #early = new Map<number, R>();
  #nextIndex = 0;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #waiter: (() => void) | undefined;

  constructor(readonly ordered: boolean) {}

  /** Results held (ready plus, when ordered, waiting for an earlier one). */
  get size(): number {
    return this.#ready.length - this.#readyHead + this.#early.size;
  }

  push(result: R): void {
    if (!this.ordered) {
      this.#ready.push(result);
    } else {
      this.#early.set(result.index, result);
      // Release the run of consecutive results that starts at the next index expected.
      for (let next = this.#early.get(this.#nextIndex); next; next = this.#early.get(this.#nextIndex)) {
        this.#early.delete(this.#nextIndex++);
        this.#ready.push(next);
      }
    }
    this.#notify();
  }

  /** No more results will come; `failure` is thrown to the consumer after the last result. */
  end(failure?: { error: unknown }): void {
    this.#ended = true;
    this.#failure ??= failure;
    this.#notify();
  }

  /** The next result if one is ready now; undefined otherwise (ended or not). */
  takeNow(): R | undefined {
    if (this.#readyHead >= this.#ready.length) return undefined;
    const result = this.#ready[this.#readyHead]!;
    this.#ready[this.#readyHead++] = undefined as never;
    // Compact now and then so the array does not grow with the number of results.
    if (this.#readyHead > 1024 && this.#readyHead * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#readyHead);
      this.#readyHead = 0;
    }
    return result;
  }

  /** The next result, `undefined` once ended and drained; rejects with the end's failure. */
  async take(): Promise<R | undefined> {
    for (;;) {
      const ready = this.takeNow();
      if (ready !== undefined) return ready;
      if (this.#ended) {
        const failure = this.#failure;
        this.#failure = undefined;
        if (failure) throw failure.error;
        return undefined;
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  #notify(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}
