import { describe, expect, it } from 'vitest';
import { SlotSet } from '../../src/engine/slot-set.js';

describe('SlotSet', () => {
  it('holds members until they leave by their slot, reusing freed slots', () => {
    const set = new SlotSet<{ name: string }>();
    const [a, b, c] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    const slotA = set.add(a);
    const slotB = set.add(b);
    expect(set.size).toBe(2);
    expect(set.delete(slotA, a)).toBe(true);
    expect(set.values()).toEqual([b]);
    // The freed slot goes to the next member; the set does not grow with the members that came and went.
    expect(set.add(c)).toBe(slotA);
    expect(set.values()).toEqual([c, b]);
    expect(set.delete(slotB, b)).toBe(true);
    expect(set.size).toBe(1);
  });

  it('leaves another member alone when asked to delete one that already left its slot', () => {
    const set = new SlotSet<object>();
    const first = {};
    const slot = set.add(first);
    set.delete(slot, first);
    const second = {};
    expect(set.add(second)).toBe(slot);
    expect(set.delete(slot, first)).toBe(false);
    expect(set.values()).toEqual([second]);
    expect(set.size).toBe(1);
  });

  it('lists the members as a copy, so one may leave while the caller goes through them', () => {
    const set = new SlotSet<{ slot?: number }>();
    const members = Array.from({ length: 3 }, () => ({}) as { slot?: number });
    for (const member of members) member.slot = set.add(member);
    for (const member of set.values()) set.delete(member.slot!, member);
    expect(set.size).toBe(0);
    expect(set.values()).toEqual([]);
  });
});
