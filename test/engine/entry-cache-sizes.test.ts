import { describe, expect, it } from 'vitest';
import { EntryCache } from '../../src/engine/entry-cache.js';

describe('EntryCache sizes', () => {
  it('keeps sizes of 2^16 bytes and more (damaged headers) exactly, also when keys move', () => {
    const cache = new EntryCache(4, 1);
    const sizes: [number, number][] = [
      [57, 64],
      [65_615, 65_616],
      [65_534, 65_536],
      [100, 112],
    ];
    sizes.forEach(([content, entry], i) => {
      const index = cache.addNew(1000 + i, i + 1, false, i * 16);
      cache.setSizes(index, content, entry);
    });
    expect(sizes.map((_, i) => [cache.contentSize(i), cache.entrySize(i)])).toEqual(sizes);
    // Removing a key moves the last one into its slot, sizes included.
    cache.removeEntry(0);
    expect([cache.contentSize(0), cache.entrySize(0)]).toEqual([100, 112]);
    cache.removeEntry(2);
    expect(cache.totalEntries).toBe(2);
    expect([cache.contentSize(1), cache.entrySize(1)]).toEqual([65_615, 65_616]);
    cache.setSizes(1, 80, 96);
    expect([cache.contentSize(1), cache.entrySize(1)]).toEqual([80, 96]);
  });

  it('holds 100 000 keys in at most 40 bytes a key, fingerprints included', () => {
    const cache = new EntryCache(100_000, 1, { fingerprints: true });
    expect(cache.memoryBytes / 100_000).toBeLessThanOrEqual(40);
  });
});
