// pw_kvs/entry_cache_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported.
// pw_kvs's EntryMetadata handle is a slot index in flashkv's EntryCache: `hash(i)`,
// `transactionId(i)`, `state(i)`, `addresses(i)`. Find's StatusWithSize (status, and 1 when a
// corrupt copy was found) is FindResult's `status` and `errorDetected`.
import { describe, expect, it } from 'vitest';
import { CoalescingReader } from '../../src/engine/_coalescing-reader.js';
import { EntryCache, type LookupContext } from '../../src/engine/entry-cache.js';
import { Sectors } from '../../src/engine/sectors.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { EntryFormats, entryFormat } from '../../src/format/entry-format.js';
import { hashKey } from '../../src/format/hash.js';
import { concat, str, text, u16, u32, zeros } from './_bytes.js';

const MAX_ENTRIES = 32;
const REDUNDANCY = 3;
const THE_KEY = 'The Key';
const hash = (key: string) => hashKey(text(key));
/** kDescriptor. */
const DESCRIPTOR = { hash: hash(THE_KEY), transactionId: 123, deleted: false };

/** EmptyEntryCache. */
const emptyCache = () => new EntryCache(MAX_ENTRIES, REDUNDANCY);

/**
 * AddNewOrUpdateExisting(descriptor, address, sector_size_bytes); flashkv also records the
 * entry's sizes (any here: the upstream descriptors carry none).
 */
function offer(
  cache: EntryCache,
  descriptor: { hash: number; transactionId: number; deleted: boolean },
  address: number,
  sectorSizeBytes: number,
) {
  return cache.addNewOrUpdateExisting(
    descriptor.hash,
    descriptor.transactionId,
    descriptor.deleted,
    address,
    sectorSizeBytes,
    32,
    32,
  );
}

// ---- The flash of InitializedEntryCache --------------------------------------------------------

const SECTOR_SIZE = 64;
const MAGIC = 0xa14ae726;
const COLLISION_1 = '9FDC';
const COLLISION_2 = 'axzzK';

/** An entry with no checksum, 16-byte alignment and ID 123, padded to the 64-byte sector. */
function entryInSector(key: string, valueSize: number): number[] {
  const entry = [
    ...u32(MAGIC),
    ...u32(0), // checksum
    0, // alignment (16 B)
    key.length,
    ...u16(valueSize),
    ...u32(123),
    ...str(key),
  ];
  return [...entry, ...zeros(SECTOR_SIZE - (entry.length % SECTOR_SIZE))];
}

const THE_ENTRY = entryInSector(THE_KEY, 0);
const COLLISION_ENTRY = entryInSector(COLLISION_1, 0);
const DELETED_ENTRY = entryInSector('delorted', 0xffff);
const SIZE_1 = THE_ENTRY.length;
const SIZE_2 = COLLISION_ENTRY.length;

/**
 * InitializedEntryCache: 128 sectors of 64 bytes holding The Key twice, the colliding key and
 * a deleted key, and an index of them (The Key with both copies, the others deleted).
 */
function initializedCache() {
  const flash = new MemoryFlash({
    sectorSizeBytes: SECTOR_SIZE,
    sectorCount: 128,
    alignmentBytes: 1,
    contents: concat(THE_ENTRY, THE_ENTRY, COLLISION_ENTRY, DELETED_ENTRY),
  });
  const io = new CoalescingReader(new FlashPartition(flash), false);
  const sectors = new Sectors(128, SECTOR_SIZE);
  sectors.reset();
  const formats = new EntryFormats([entryFormat({ magic: MAGIC, checksum: 'none' })]);
  const cache = emptyCache();
  let address = 0;
  const theKey = cache.addNew(DESCRIPTOR.hash, DESCRIPTOR.transactionId, false, address);
  address += SIZE_1;
  cache.addAddress(theKey, SIZE_1);
  address += SIZE_1;
  cache.addNew(hash(COLLISION_1), 125, true, address);
  address += SIZE_2;
  cache.addNew(hash('delorted'), 256, true, address);
  const context: LookupContext = { io, sectors, formats };
  return { flash, sectors, cache, context };
}

/** CheckForCorruptSectors: exactly these sectors are corrupt. */
function corruptSectors(sectors: Sectors): number[] {
  return sectors.descriptors.filter((sector) => sector.isCorrupt).map((sector) => sector.index);
}

describe('entry_cache_test.cc', () => {
  it('EmptyEntryCache.AddNew', () => {
    const cache = emptyCache();
    const index = cache.addNew(DESCRIPTOR.hash, DESCRIPTOR.transactionId, false, 5);
    expect(cache.hash(index)).toBe(DESCRIPTOR.hash);
    expect(cache.transactionId(index)).toBe(DESCRIPTOR.transactionId);
    expect(cache.state(index)).toBe('valid');
    expect(cache.address(index, 0)).toBe(5);
    expect(cache.addresses(index)).toEqual([5]);
  });

  it('EmptyEntryCache.EntryMetadata_AddNewAddress', () => {
    const cache = emptyCache();
    const index = cache.addNew(DESCRIPTOR.hash, DESCRIPTOR.transactionId, false, 100);
    cache.addAddress(index, 999);
    expect(cache.addresses(index)).toEqual([100, 999]);
    expect(cache.address(index, 0)).toBe(100);
  });

  it('EmptyEntryCache.EntryMetadata_Reset', () => {
    const cache = emptyCache();
    const index = cache.addNew(DESCRIPTOR.hash, DESCRIPTOR.transactionId, false, 100);
    cache.addAddress(index, 999);
    // Upstream resets to another hash (987) too; flashkv's index is a hash table keyed by it,
    // so a slot keeps its hash (pw_kvs resets a key only with its own descriptor).
    cache.resetKey(index, DESCRIPTOR.hash, 5, true, 8888);
    expect(cache.transactionId(index)).toBe(5);
    expect(cache.state(index)).toBe('deleted');
    expect(cache.addresses(index)).toEqual([8888]);
    expect(cache.address(index, 0)).toBe(8888);
  });

  it('EmptyEntryCache.AddNewOrUpdateExisting_NewEntry', () => {
    const cache = emptyCache();
    expect(offer(cache, DESCRIPTOR, 1000, 2000)).toBe('OK');
    expect(cache.presentEntries()).toBe(1);
    expect(cache.address(0, 0)).toBe(1000);
    expect(cache.hash(0)).toBe(DESCRIPTOR.hash);
    expect(cache.transactionId(0)).toBe(DESCRIPTOR.transactionId);
  });

  it('EmptyEntryCache.AddNewOrUpdateExisting_NewEntry_Full', () => {
    const cache = emptyCache();
    for (let i = 0; i < MAX_ENTRIES; i++) {
      expect(offer(cache, { hash: i, transactionId: i, deleted: false }, i, 1)).toBe('OK');
    }
    expect(cache.totalEntries).toBe(MAX_ENTRIES);
    expect(cache.isFull).toBe(true);
    expect(offer(cache, DESCRIPTOR, 1000, 1)).toBe('RESOURCE_EXHAUSTED');
    expect(cache.totalEntries).toBe(MAX_ENTRIES);
  });

  it('EmptyEntryCache.AddNewOrUpdateExisting_UpdatedEntry', () => {
    const cache = emptyCache();
    const updated = { ...DESCRIPTOR, transactionId: DESCRIPTOR.transactionId + 3 };
    expect(offer(cache, updated, 3210, 2000)).toBe('OK');
    expect(cache.presentEntries()).toBe(1);
    expect(cache.address(0, 0)).toBe(3210);
    expect(cache.hash(0)).toBe(DESCRIPTOR.hash);
    expect(cache.transactionId(0)).toBe(DESCRIPTOR.transactionId + 3);
  });

  it('EmptyEntryCache.AddNewOrUpdateExisting_AddDuplicateEntry', () => {
    const cache = emptyCache();
    for (const address of [1000, 3000, 7000]) {
      expect(offer(cache, DESCRIPTOR, address, 2000)).toBe('OK');
    }
    // Copies beyond the redundancy are ignored.
    expect(offer(cache, DESCRIPTOR, 9000, 2000)).toBe('OK');
    expect(cache.presentEntries()).toBe(1);
    expect(cache.addresses(0)).toEqual([1000, 3000, 7000]);
    expect(cache.hash(0)).toBe(DESCRIPTOR.hash);
    expect(cache.transactionId(0)).toBe(DESCRIPTOR.transactionId);
  });

  it('EmptyEntryCache.AddNewOrUpdateExisting_AddDuplicateEntryInSameSector', () => {
    const cache = emptyCache();
    expect(offer(cache, DESCRIPTOR, 1000, 1000)).toBe('OK');
    expect(offer(cache, DESCRIPTOR, 1950, 1000)).toBe('DATA_LOSS');
    expect(cache.presentEntries()).toBe(1);
    expect(cache.addresses(0)).toEqual([1000]);
    expect(cache.hash(0)).toBe(DESCRIPTOR.hash);
    expect(cache.transactionId(0)).toBe(DESCRIPTOR.transactionId);
  });

  it('InitializedEntryCache.EntryCounts', () => {
    const { cache } = initializedCache();
    expect(cache.totalEntries).toBe(3);
    expect(cache.presentEntries()).toBe(1);
    expect(cache.maxEntries).toBe(MAX_ENTRIES);
  });

  it('InitializedEntryCache.Reset_ClearsEntryCounts', () => {
    const { cache } = initializedCache();
    cache.reset();
    expect(cache.totalEntries).toBe(0);
    expect(cache.presentEntries()).toBe(0);
    expect(cache.maxEntries).toBe(MAX_ENTRIES);
  });

  it('InitializedEntryCache.Find_PresentEntry', () => {
    const { cache, context, sectors } = initializedCache();
    const found = cache.find(context, text(THE_KEY));
    expect(found).toMatchObject({ status: 'OK', errorDetected: false });
    expect(cache.hash(found.index)).toBe(hash(THE_KEY));
    expect(cache.state(found.index)).toBe('valid');
    expect(corruptSectors(sectors)).toEqual([]);
  });

  it('InitializedEntryCache.Find_PresentEntryWithSingleReadError', () => {
    // Two read errors: the key read and the full read of the first copy fail.
    const { flash, cache, context, sectors } = initializedCache();
    flash.injectReadError({ status: 'INTERNAL', times: 2 });
    const found = cache.find(context, text(THE_KEY));
    expect(found).toMatchObject({ status: 'OK', errorDetected: true });
    expect(cache.hash(found.index)).toBe(hash(THE_KEY));
    expect(cache.state(found.index)).toBe('valid');
    expect(corruptSectors(sectors)).toEqual([sectors.fromAddress(0).index]);
  });

  it('InitializedEntryCache.Find_PresentEntryWithMultiReadError', () => {
    const { flash, cache, context, sectors } = initializedCache();
    flash.injectReadError({ status: 'INTERNAL', times: 4 });
    expect(cache.find(context, text(THE_KEY))).toMatchObject({
      status: 'DATA_LOSS',
      errorDetected: true,
    });
    expect(corruptSectors(sectors)).toEqual([
      sectors.fromAddress(0).index,
      sectors.fromAddress(SIZE_1).index,
    ]);
  });

  it('InitializedEntryCache.Find_DeletedEntry', () => {
    const { cache, context, sectors } = initializedCache();
    const found = cache.find(context, text('delorted'));
    expect(found).toMatchObject({ status: 'OK', errorDetected: false });
    expect(cache.hash(found.index)).toBe(hash('delorted'));
    expect(cache.state(found.index)).toBe('deleted');
    expect(corruptSectors(sectors)).toEqual([]);
  });

  it('InitializedEntryCache.Find_MissingEntry', () => {
    const { cache, context, sectors } = initializedCache();
    expect(cache.find(context, text('3.141'))).toMatchObject({
      status: 'NOT_FOUND',
      errorDetected: false,
    });
    expect(corruptSectors(sectors)).toEqual([]);
  });

  it('InitializedEntryCache.Find_Collision', () => {
    const { cache, context, sectors } = initializedCache();
    expect(hash(COLLISION_1)).toBe(hash(COLLISION_2));
    expect(cache.find(context, text(COLLISION_2))).toMatchObject({
      status: 'ALREADY_EXISTS',
      errorDetected: false,
    });
    expect(corruptSectors(sectors)).toEqual([]);
  });
});
