import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoalescingReader } from '../../src/engine/_coalescing-reader.js';
import { Entry } from '../../src/engine/entry.js';
import {
  EntryCache,
  type LookupContext,
  NO_ADDRESS,
  fingerprint,
  fingerprintRange,
} from '../../src/engine/entry-cache.js';
import { Sectors } from '../../src/engine/sectors.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { DEFAULT_MAGIC, EntryFormats, entryFormat } from '../../src/format/entry-format.js';
import { KvsError } from '../../src/status.js';
import { fcOptions } from '../helpers/fc.js';

/** Records the fingerprints of `key` and `value` for the key at `index`. */
function setFingerprints(cache: EntryCache, index: number, key: Uint8Array, value: Uint8Array) {
  cache.setFingerprintValues(index, fingerprint(key), key.length, fingerprint(value));
}

const SECTOR = 512;

/** The table slot a hash starts probing at, as the cache computes it (table of `size`). */
const homeSlot = (hash: number, size: number) => (Math.imul(hash, 0x9e3779b1) >>> 0) & (size - 1);

/** `count` distinct hashes that all start probing at the same slot of a table of `size`. */
function collidingHashes(count: number, size: number): number[] {
  const hashes: number[] = [];
  for (let hash = 1; hashes.length < count; hash++) {
    if (homeSlot(hash, size) === homeSlot(1, size)) hashes.push(hash);
  }
  return hashes;
}

describe('EntryCache index', () => {
  it('adds keys in order and finds them by hash', () => {
    const cache = new EntryCache(4, 2);
    expect(cache.addNew(10, 1, false, 0)).toBe(0);
    expect(cache.addNew(20, 1, false, 512)).toBe(1);
    expect(cache.totalEntries).toBe(2);
    expect(cache.findIndex(20)).toBe(1);
    expect(cache.findIndex(30)).toBe(-1);
    expect(cache.addresses(1)).toEqual([512]);
    expect(cache.address(1, 1)).toBe(NO_ADDRESS);
  });

  it('offers scanned entries as pw_kvs does: new, newer, redundant copy, stale, full', () => {
    const cache = new EntryCache(2, 2);
    expect(cache.addNewOrUpdateExisting(7, 5, false, 0, SECTOR, 20, 32)).toBe('OK');
    // A copy with the same transaction id in another sector.
    expect(cache.addNewOrUpdateExisting(7, 5, false, 600, SECTOR, 20, 32)).toBe('OK');
    expect(cache.addresses(0)).toEqual([0, 600]);
    // Two copies in one sector is corruption.
    expect(cache.addNewOrUpdateExisting(7, 5, false, 100, SECTOR, 20, 32)).toBe('DATA_LOSS');
    // An older entry is ignored; a newer one replaces every copy.
    expect(cache.addNewOrUpdateExisting(7, 4, false, 1100, SECTOR, 20, 32)).toBe('OK');
    expect(cache.addresses(0)).toEqual([0, 600]);
    expect(cache.addNewOrUpdateExisting(7, 6, false, 1200, SECTOR, 20, 32)).toBe('OK');
    expect(cache.addresses(0)).toEqual([1200]);
    expect(cache.transactionId(0)).toBe(6);
    expect(cache.addNewOrUpdateExisting(8, 1, false, 0, SECTOR, 20, 32)).toBe('OK');
    expect(cache.isFull).toBe(true);
    expect(cache.addNewOrUpdateExisting(9, 1, false, 0, SECTOR, 20, 32)).toBe('RESOURCE_EXHAUSTED');
  });

  it('notes redundant copies whose sizes differ', () => {
    const cache = new EntryCache(2, 2);
    cache.addNewOrUpdateExisting(7, 1, false, 0, SECTOR, 20, 32);
    expect(cache.hasCopiesOfOtherSizes).toBe(false);
    cache.addNewOrUpdateExisting(7, 1, false, 600, SECTOR, 20, 48);
    expect(cache.hasCopiesOfOtherSizes).toBe(true);
    cache.reset();
    expect(cache.hasCopiesOfOtherSizes).toBe(false);
    expect(cache.totalEntries).toBe(0);
    expect(cache.findIndex(7)).toBe(-1);
  });

  it('drops a copy address by moving the last one into its place', () => {
    const cache = new EntryCache(1, 3);
    cache.addNew(1, 1, false, 0);
    cache.addAddress(0, 512);
    cache.addAddress(0, 1024);
    cache.removeAddress(0, 0);
    expect(cache.addresses(0)).toEqual([1024, 512]);
    cache.removeAddress(0, 4096); // not a copy: nothing changes
    expect(cache.addressCount(0)).toBe(2);
  });

  it('removing a key moves the last key into its slot', () => {
    const cache = new EntryCache(4, 1);
    for (const hash of [1, 2, 3]) cache.addNew(hash, 1, true, hash * 16);
    cache.setSizes(2, 40, 48);
    cache.removeEntry(0);
    expect(cache.totalEntries).toBe(2);
    expect(cache.hash(0)).toBe(3);
    expect(cache.state(0)).toBe('deleted');
    expect(cache.addresses(0)).toEqual([48]);
    expect(cache.contentSize(0)).toBe(40);
    expect(cache.entrySize(0)).toBe(48);
    expect(cache.findIndex(3)).toBe(0);
    expect(cache.findIndex(1)).toBe(-1);
    expect(cache.findIndex(2)).toBe(1);
    expect(cache.presentEntries()).toBe(0);
  });

  it('backward-shift delete keeps every probe chain whole', () => {
    // maxEntries 4: a table of 8 slots. Four hashes share one home slot.
    const cache = new EntryCache(4, 1);
    const chain = collidingHashes(4, 8);
    chain.forEach((hash, i) => cache.addNew(hash, 1, false, i * 16));
    for (const hash of chain) expect(cache.findIndex(hash)).not.toBe(-1);
    // Removing the head of the chain must leave the later keys reachable.
    cache.removeEntry(cache.findIndex(chain[0]!));
    expect(cache.findIndex(chain[0]!)).toBe(-1);
    for (const hash of chain.slice(1)) expect(cache.hash(cache.findIndex(hash))).toBe(hash);
    cache.removeEntry(cache.findIndex(chain[2]!));
    expect(cache.findIndex(chain[1]!)).not.toBe(-1);
    expect(cache.findIndex(chain[3]!)).not.toBe(-1);
    expect(cache.findIndex(chain[2]!)).toBe(-1);
  });

  it('finds every key after any sequence of adds and removes (a Set as the model)', () => {
    // Few table slots and hashes crowded onto them exercise probing, wrapping and shifting.
    const hashes = [...collidingHashes(6, 16), 1, 2, 3, 4, 5];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.constantFrom(...hashes)), { maxLength: 60 }),
        (steps) => {
          const cache = new EntryCache(8, 1);
          const model = new Set<number>();
          for (const [add, hash] of steps) {
            const index = cache.findIndex(hash);
            if (add && index === -1 && !cache.isFull) {
              cache.addNew(hash, 1, false, 0);
              model.add(hash);
            } else if (!add && index !== -1) {
              cache.removeEntry(index);
              model.delete(hash);
            }
            for (const probe of hashes) {
              const found = cache.findIndex(probe);
              expect(found !== -1, `hash ${probe}`).toBe(model.has(probe));
              if (found !== -1) expect(cache.hash(found)).toBe(probe);
            }
            expect(cache.totalEntries).toBe(model.size);
          }
        },
      ),
      fcOptions(200),
    );
  });

  it('a broken invariant is an assertion, not a KvsError', () => {
    const cache = new EntryCache(1, 1);
    cache.addNew(1, 1, false, 0);
    const error = (() => {
      try {
        cache.addAddress(0, 512);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(Error);
    expect(KvsError.is(error)).toBe(false);
    expect(() => cache.addNew(2, 1, false, 0)).toThrow(/invariant/);
    expect(() => cache.resetKey(0, 3, 1, false, 0)).toThrow(/invariant/);
  });

  it('keeps fingerprints only when asked, and reports what they may match', () => {
    const plain = new EntryCache(2, 1);
    plain.addNew(1, 1, false, 0);
    setFingerprints(plain, 0, Uint8Array.of(1), Uint8Array.of(2));
    expect(plain.hasFingerprints).toBe(false);
    expect(plain.keyFingerprintMatches(0, Uint8Array.of(1))).toBe(false);
    expect(plain.valueMayMatch(0, fingerprint(Uint8Array.of(9)))).toBe(true);

    const cache = new EntryCache(2, 1, { fingerprints: true });
    cache.addNew(1, 1, false, 0);
    setFingerprints(cache, 0, Uint8Array.of(1), Uint8Array.of(2));
    expect(cache.keyFingerprintMatches(0, Uint8Array.of(1))).toBe(true);
    expect(cache.keyFingerprintMatches(0, Uint8Array.of(1, 0))).toBe(false);
    expect(cache.valueMayMatch(0, fingerprint(Uint8Array.of(2)))).toBe(true);
    expect(cache.valueMayMatch(0, fingerprint(Uint8Array.of(3)))).toBe(false);
    expect(cache.memoryBytes).toBeGreaterThan(plain.memoryBytes);
  });
});

describe('EntryCache lookups on flash', () => {
  const text = (value: string) => new TextEncoder().encode(value);

  /** A flash with `keys` written as entries (one copy each, in sector order), and an index. */
  function setUp(keys: string[], options: { redundancy?: number; fingerprints?: boolean } = {}) {
    const redundancy = options.redundancy ?? 1;
    const flash = new MemoryFlash({ sectorSizeBytes: SECTOR, sectorCount: 4, alignmentBytes: 16 });
    const partition = new FlashPartition(flash);
    const io = new CoalescingReader(partition, false);
    const formats = new EntryFormats([entryFormat({ magic: DEFAULT_MAGIC })]);
    const sectors = new Sectors(4, SECTOR);
    sectors.reset();
    const cache = new EntryCache(8, redundancy, { fingerprints: options.fingerprints ?? false });
    let transactionId = 0;
    keys.forEach((key, i) => {
      transactionId++;
      let index = -1;
      for (let copy = 0; copy < redundancy; copy++) {
        const address = copy * SECTOR + i * 32;
        const entry = Entry.create(
          io,
          address,
          formats.primary,
          text(key),
          text('v'),
          transactionId,
        );
        expect(entry.write(text(key), text('v')).status).toBe('OK');
        if (copy === 0)
          index = cache.addNew(cache.hashOf(text(key)), transactionId, false, address);
        else cache.addAddress(index, address);
      }
      cache.setSizes(index, 16 + key.length + 1, 32);
      setFingerprints(cache, index, text(key), text('v'));
    });
    const context: LookupContext = { io, sectors, formats };
    return { flash, cache, context, sectors };
  }

  it('OK for a stored key, NOT_FOUND for an unknown hash', () => {
    const { cache, context } = setUp(['alpha', 'beta']);
    expect(cache.find(context, text('beta'))).toEqual({
      status: 'OK',
      index: 1,
      errorDetected: false,
    });
    expect(cache.find(context, text('gamma'))).toEqual({
      status: 'NOT_FOUND',
      index: -1,
      errorDetected: false,
    });
  });

  it('ALREADY_EXISTS for another key with the same hash; findExisting says NOT_FOUND', () => {
    // "a0naq" and "qp0ca" have the same 32-bit key hash.
    const { cache, context } = setUp(['a0naq']);
    expect(cache.hashOf(text('qp0ca'))).toBe(cache.hashOf(text('a0naq')));
    expect(cache.find(context, text('qp0ca')).status).toBe('ALREADY_EXISTS');
    expect(cache.findExisting(context, text('qp0ca')).status).toBe('NOT_FOUND');
  });

  it('findExisting: a deleted key is NOT_FOUND', () => {
    const { cache, context } = setUp(['alpha']);
    cache.resetKey(0, cache.hash(0), 9, true, 0);
    expect(cache.find(context, text('alpha')).status).toBe('OK');
    expect(cache.findExisting(context, text('alpha')).status).toBe('NOT_FOUND');
    expect(cache.findExisting(context, text('alpha'), true).status).toBe('NOT_FOUND');
  });

  it('a damaged copy marks its sector corrupt; the next copy is used', () => {
    const { flash, cache, context, sectors } = setUp(['alpha'], { redundancy: 2 });
    flash.corruptByte(16, 0xff); // the key's first byte in sector 0
    const found = cache.find(context, text('alpha'));
    expect(found).toEqual({ status: 'OK', index: 0, errorDetected: true });
    expect(sectors.descriptors[0]!.isCorrupt).toBe(true);
    expect(sectors.descriptors[1]!.isCorrupt).toBe(false);
  });

  it('DATA_LOSS when no copy is readable', () => {
    const { flash, cache, context } = setUp(['alpha']);
    flash.corruptByte(16, 0xff);
    expect(cache.find(context, text('alpha'))).toEqual({
      status: 'DATA_LOSS',
      index: 0,
      errorDetected: true,
    });
  });

  it('a key read back that differs but whose entry is valid is a collision, not damage', () => {
    // A valid entry whose key bytes differ from the one looked up, with the same hash.
    const { cache, context, sectors } = setUp(['qp0ca']);
    expect(cache.find(context, text('a0naq'))).toEqual({
      status: 'ALREADY_EXISTS',
      index: 0,
      errorDetected: false,
    });
    expect(sectors.descriptors[0]!.isCorrupt).toBe(false);
  });

  it('findForWrite trusts a matching fingerprint without reading flash', () => {
    const { flash, cache, context } = setUp(['alpha'], { fingerprints: true });
    const before = flash.counters.readCalls;
    expect(cache.findForWrite(context, text('alpha')).status).toBe('OK');
    expect(flash.counters.readCalls).toBe(before);
    expect(cache.findForWrite(context, text('beta')).status).toBe('NOT_FOUND');
  });

  it('findForWrite does not trust a colliding key: its fingerprint differs, so flash is read', () => {
    const { cache, context } = setUp(['a0naq'], { fingerprints: true });
    expect(cache.findForWrite(context, text('qp0ca')).status).toBe('ALREADY_EXISTS');
  });

  it('findForWrite reads flash when there are no fingerprints', () => {
    const { flash, cache, context } = setUp(['alpha']);
    const before = flash.counters.readCalls;
    expect(cache.findForWrite(context, text('alpha')).status).toBe('OK');
    expect(flash.counters.readCalls).toBeGreaterThan(before);
  });
});

describe('fingerprint', () => {
  it('is MurmurHash3 (x86, 32-bit, seed 0) as an int32, tails of 1 to 3 bytes included', () => {
    const text = (s: string): Uint8Array => new TextEncoder().encode(s);
    const vectors: [string, number][] = [
      ['', 0],
      ['a', 0x3c2569b2],
      ['ab', 0x9bbfd75f],
      ['abc', 0xb3dd93fa],
      ['abcd', 0x43ed676a],
      ['Hello, world!', 0xc0363e43],
      ['The quick brown fox jumps over the lazy dog', 0x2e4ff723],
    ];
    for (const [input, expected] of vectors) expect(fingerprint(text(input))).toBe(expected | 0);
  });

  it('fingerprints a range as the bytes of that range alone', () => {
    const bytes = Uint8Array.of(9, 1, 2, 3, 4, 5, 9);
    expect(fingerprintRange(bytes, 1, 6)).toBe(fingerprint(Uint8Array.of(1, 2, 3, 4, 5)));
  });
});
