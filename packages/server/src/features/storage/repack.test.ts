import { describe, expect, it } from 'vitest';
import { smallPackGroups } from './repack.ts';

const pack = (id: string, size: number, live = size, createdAt = id) => ({ id, size, live, createdAt });

describe('smallPackGroups', () => {
  it('groups small packs in creation order so each group fits one target-size pack', () => {
    const packs = [pack('c', 20), pack('a', 20), pack('b', 20), pack('d', 20), pack('e', 20)];
    expect(smallPackGroups(packs, 100)).toEqual([['a', 'b', 'c', 'd', 'e']]);
    expect(smallPackGroups(packs, 90)).toEqual([['a', 'b', 'c', 'd'], ['e']].filter((g) => g.length >= 2));
  });

  it('leaves big packs, empty packs and lone small packs alone, and counts live bytes, not size', () => {
    expect(smallPackGroups([pack('a', 30), pack('b', 10)], 100)).toEqual([]); // 30 is not under a quarter
    expect(smallPackGroups([pack('a', 10, 0), pack('b', 10)], 100)).toEqual([]);
    expect(smallPackGroups([pack('a', 24, 24), pack('b', 24, 24), pack('c', 24, 24), pack('d', 24, 24), pack('e', 24, 10)], 100)).toEqual([['a', 'b', 'c', 'd'], ['e']].filter((g) => g.length >= 2));
    expect(smallPackGroups([pack('a', 24, 5), pack('b', 24, 5), pack('c', 24, 5), pack('d', 24, 5), pack('e', 24, 5)], 100)).toEqual([['a', 'b', 'c', 'd', 'e']]);
  });
});
