// The set of requests in flight, for a process that starts and ends thousands of them a second:
// an array of slots, each member holding its own, so a member that leaves leaves nothing behind.
//
// Not a JS Set: under that churn V8 promoted whole requests to the old generation. A Set's table
// is rebuilt as members come and go, and the table it leaves — by then in the old generation —
// still points at the members it held, which the young-generation collector keeps until the
// next full GC. Measured with the interceptor over 200k requests: 923 MB promoted with a Set, 62
// MB without it (as plain undici), and about half the time spent collecting.

export class SlotSet<T> {
  readonly #slots: (T | undefined)[] = [];
  readonly #free: number[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `item`; returns its slot, which `delete` takes. */
  add(item: T): number {
    const slot = this.#free.pop() ?? this.#slots.length;
    this.#slots[slot] = item;
    this.#size++;
    return slot;
  }

  /** Removes `item` from `slot`; false when it is no longer there. */
  delete(slot: number, item: T): boolean {
    if (this.#slots[slot] !== item) return false;
    this.#slots[slot] = undefined;
    this.#free.push(slot);
    this.#size--;
    return true;
  }

  /** The members now, as a copy: a member may leave while the caller works through them. */
  values(): T[] {
    return this.#slots.filter((item): item is T => item !== undefined);
  }
}
