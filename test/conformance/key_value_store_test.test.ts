// pw_kvs/key_value_store_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported.
// These run on flashkv's default options (the public API as a caller gets it); pw_kvs's
// typed Put/Get of an integer are its little-endian bytes here.
import { describe, expect, it } from 'vitest';
import { KeyValueStore, type KeyValueStoreOptions } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import type { KvsError } from '../../src/status.js';
import { u32 } from './_bytes.js';

const u8 = (value: number) => Uint8Array.of(value);
const le32 = (value: number) => Uint8Array.from(u32(value));
/** A size_t (8 bytes on the 64-bit host the upstream tests run on). */
const le64 = (value: number) => Uint8Array.from([...u32(value), 0, 0, 0, 0]);

const KEYS = ['TestKey1', 'Key2', 'TestKey3'] as const;
const DEFAULT_FORMAT = { magic: 0xa6cb3c16, checksum: 'crc16' as const };

/** KeyValueStoreBuffer<256, 256> with one format. */
function store(partition: FlashPartition, options: KeyValueStoreOptions = {}) {
  return new KeyValueStore(partition, {
    maxEntries: 256,
    maxSectors: 256,
    formats: [DEFAULT_FORMAT],
    ...options,
  });
}

/** `Flash`: FlashWithPartitionFake<512, 6>, 16-byte alignment, erased. */
function flashWithPartition() {
  const memory = new MemoryFlash({ sectorSizeBytes: 512, sectorCount: 6, alignmentBytes: 16 });
  return { memory, partition: new FlashPartition(memory) };
}

/** Get(key, &value) for a value of `sizeBytes`: the bytes, after asserting OK. */
function getValue(kvs: KeyValueStore, key: string, sizeBytes: number): Uint8Array {
  const buffer = new Uint8Array(sizeBytes);
  expect(kvs.readStatus(key, buffer)).toEqual({ status: 'OK', size: sizeBytes });
  return buffer;
}

describe('key_value_store_test.cc', () => {
  it('InitCheck.TooFewSectors', () => {
    const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 1, alignmentBytes: 16 });
    const kvs = store(new FlashPartition(flash), {
      formats: [{ magic: 0x89bb14d2, checksum: 'none' }],
    });
    expect(kvs.initStatus()).toBe('FAILED_PRECONDITION');
  });

  it('InitCheck.ZeroSectors', () => {
    // pw_kvs builds the partition and its store's init fails with FAILED_PRECONDITION;
    // flashkv refuses the empty partition itself (docs/compatibility.md).
    const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 1, alignmentBytes: 16 });
    expect(() => new FlashPartition(flash, { startSector: 0, sectorCount: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }) as KvsError,
    );
  });

  it('InitCheck.TooManySectors', () => {
    const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 5, alignmentBytes: 16 });
    const kvs = store(new FlashPartition(flash), {
      formats: [{ magic: 0x610f6d17, checksum: 'none' }],
      maxSectors: 2,
    });
    expect(kvs.initStatus()).toBe('FAILED_PRECONDITION');
  });

  it('InMemoryKvs.WriteOneKeyMultipleTimes', () => {
    const { partition } = flashWithPartition();
    for (let reload = 0; reload < 2; reload++) {
      const kvs = store(partition, { formats: [{ magic: 0x83a9257, checksum: 'none' }] });
      expect(kvs.initStatus()).toBe('OK');
      expect(kvs.size).toBe(reload === 0 ? 0 : 1);
      let written = 0;
      for (let i = 0; i < 99; i++) {
        written = i + 0xfc;
        expect(kvs.putStatus('abcd', le32(written))).toBe('OK');
        expect(kvs.size).toBe(1);
      }
      expect(getValue(kvs, 'abcd', 4)).toEqual(le32(written));
    }
  });

  it('InMemoryKvs.WritingMultipleKeysIncreasesSize', () => {
    const { partition } = flashWithPartition();
    const kvs = store(partition, { formats: [{ magic: 0x2ed3a058, checksum: 'none' }] });
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.size).toBe(0);
    for (let i = 0; i < 10; i++) {
      expect(kvs.putStatus(`key_${i}`, le64(i + 77))).toBe('OK');
      expect(kvs.size).toBe(i + 1);
    }
  });

  it('InMemoryKvs.WriteAndReadOneKey', () => {
    const { partition } = flashWithPartition();
    const kvs = store(partition, { formats: [{ magic: 0x5d70896, checksum: 'none' }] });
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.putStatus('Key1', u8(0xda))).toBe('OK');
    expect(kvs.size).toBe(1);
    expect(getValue(kvs, 'Key1', 1)).toEqual(u8(0xda));
    expect(kvs.size).toBe(1);
  });

  it('InMemoryKvs.WriteOneKeyValueMultipleTimes', () => {
    const { partition } = flashWithPartition();
    const kvs = store(partition);
    expect(kvs.initStatus()).toBe('OK');
    for (let i = 0; i < 50; i++) {
      expect(kvs.putStatus('Key1', u8(0xda))).toBe('OK');
      expect(kvs.size).toBe(1);
    }
    expect(getValue(kvs, 'Key1', 1)).toEqual(u8(0xda));
    // One entry was written: the same value again writes nothing.
    expect(kvs.size).toBe(1);
    expect(kvs.transactionCount).toBe(1);
    expect(kvs.storageStats().reclaimableBytes).toBe(0);
  });

  it('InMemoryKvs.Basic', () => {
    const { partition } = flashWithPartition();
    const kvs = store(partition, { formats: [{ magic: 0x7bf19895, checksum: 'none' }] });
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.putStatus('Key1', u8(0xda))).toBe('OK');
    expect(kvs.size).toBe(1);
    expect(kvs.putStatus('Key2', le32(0xbad0301f))).toBe('OK');
    expect(kvs.size).toBe(2);
    expect(getValue(kvs, 'Key2', 4)).toEqual(le32(0xbad0301f));
    expect(getValue(kvs, 'Key1', 1)).toEqual(u8(0xda));
    expect(kvs.size).toBe(2);
  });

  it('InMemoryKvs.CallingEraseTwice_NothingWrittenToFlash', () => {
    const { memory, partition } = flashWithPartition();
    const kvs = store(partition);
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.putStatus(KEYS[0], u8(0xda))).toBe('OK');
    expect(kvs.deleteStatus(KEYS[0])).toBe('OK');
    const before = memory.snapshot();
    const writesBefore = memory.counters.writeCalls;
    expect(kvs.deleteStatus(KEYS[0])).toBe('NOT_FOUND');
    expect(memory.snapshot()).toEqual(before);
    expect(memory.counters.writeCalls).toBe(writesBefore);
  });

  describe('LargeEmptyInitializedKvs', () => {
    /** large_test_flash: 60 sectors of 1 KiB, 8-byte alignment, erased, and a store on it. */
    function fixture() {
      const flash = new MemoryFlash({ sectorSizeBytes: 1024, sectorCount: 60, alignmentBytes: 8 });
      const kvs = store(new FlashPartition(flash));
      expect(kvs.initStatus()).toBe('OK');
      return kvs;
    }
    const value = (kvs: KeyValueStore, key: string) => {
      const buffer = new Uint8Array(1);
      return { ...kvs.readStatus(key, buffer), value: buffer[0] };
    };

    it('LargeEmptyInitializedKvs.Basic', () => {
      const kvs = fixture();
      expect(kvs.putStatus(KEYS[0], u8(0xda))).toBe('OK');
      expect(kvs.size).toBe(1);
      expect(kvs.deleteStatus(KEYS[0])).toBe('OK');
      expect(value(kvs, KEYS[0]).status).toBe('NOT_FOUND');
      expect(kvs.putStatus(KEYS[1], u8(0xda))).toBe('OK');
      expect(kvs.putStatus(KEYS[2], u8(0x12))).toBe('OK');
      expect(kvs.deleteStatus(KEYS[1])).toBe('OK');
      expect(value(kvs, KEYS[2])).toMatchObject({ status: 'OK', value: 0x12 });
      expect(value(kvs, KEYS[1]).status).toBe('NOT_FOUND');
      expect(kvs.size).toBe(1);
    });

    it('LargeEmptyInitializedKvs.FullMaintenance', () => {
      const kvs = fixture();
      // A stale entry from the first write.
      expect(kvs.putStatus(KEYS[0], u8(0xda))).toBe('OK');
      expect(kvs.putStatus(KEYS[0], u8(0x12))).toBe('OK');
      expect(kvs.size).toBe(1);
      let stats = kvs.storageStats();
      expect(stats.sectorEraseCount).toBe(0);
      expect(stats.reclaimableBytes).toBeGreaterThan(0);
      // Full maintenance leaves the sector holding valid data alone...
      expect(kvs.fullMaintenanceStatus()).toBe('OK');
      stats = kvs.storageStats();
      expect(stats.sectorEraseCount).toBe(0);
      expect(stats.reclaimableBytes).toBeGreaterThan(0);
      // ...heavy maintenance collects it.
      expect(kvs.heavyMaintenanceStatus()).toBe('OK');
      stats = kvs.storageStats();
      expect(stats.sectorEraseCount).toBe(1);
      expect(stats.reclaimableBytes).toBe(0);
    });

    it('LargeEmptyInitializedKvs.KeyDeletionMaintenance', () => {
      const kvs = fixture();
      expect(kvs.putStatus(KEYS[0], u8(0xda))).toBe('OK');
      expect(kvs.size).toBe(1);
      expect(kvs.deleteStatus(KEYS[0])).toBe('OK');
      expect(value(kvs, KEYS[0]).status).toBe('NOT_FOUND');
      expect(kvs.size).toBe(0);
      expect(kvs.totalEntriesWithDeleted).toBe(1);
      let stats = kvs.storageStats();
      expect(stats.sectorEraseCount).toBe(0);
      expect(stats.reclaimableBytes).toBeGreaterThan(0);

      // PW_KVS_REMOVE_DELETED_KEYS_IN_HEAVY_MAINTENANCE is 1 (pw_kvs's default): heavy
      // maintenance drops the deleted key.
      expect(kvs.heavyMaintenanceStatus()).toBe('OK');
      stats = kvs.storageStats();
      expect(stats.reclaimableBytes).toBe(0);
      expect(kvs.size).toBe(0);
      expect(stats.sectorEraseCount).toBeGreaterThan(1);
      expect(kvs.totalEntriesWithDeleted).toBe(0);

      // Again with two keys, one kept.
      expect(kvs.putStatus(KEYS[0], u8(0xda))).toBe('OK');
      expect(kvs.putStatus(KEYS[1], u8(0x12))).toBe('OK');
      expect(kvs.size).toBe(2);
      expect(kvs.deleteStatus(KEYS[0])).toBe('OK');
      expect(value(kvs, KEYS[0]).status).toBe('NOT_FOUND');
      expect(kvs.size).toBe(1);
      expect(kvs.totalEntriesWithDeleted).toBe(2);
      expect(kvs.heavyMaintenanceStatus()).toBe('OK');
      expect(kvs.size).toBe(1);
      expect(kvs.totalEntriesWithDeleted).toBe(1);
      expect(value(kvs, KEYS[1])).toMatchObject({ status: 'OK', value: 0x12 });
    });
  });

  it('InMemoryKvs.Put_MaxValueSize', () => {
    const { partition } = flashWithPartition();
    const kvs = store(partition);
    expect(kvs.initStatus()).toBe('OK');
    const maxKeyValueSize = kvs.maxKeyValueSizeBytes;
    expect(maxKeyValueSize).toBe(partition.sectorSizeBytes - 16);
    const maxValueSize = partition.sectorSizeBytes - 16 - 1;
    expect(maxKeyValueSize).toBe(maxValueSize + 1);
    // Upstream uses the bytes of the 60 KiB large test flash as the data.
    const bigData = new Uint8Array(1024 * 60).map((_, i) => i & 0xff);
    expect(kvs.putStatus('K', bigData.subarray(0, maxValueSize))).toBe('OK');
    // Larger than the maximum is refused.
    expect(kvs.putStatus('K', bigData.subarray(0, maxValueSize + 1))).toBe('INVALID_ARGUMENT');
    expect(kvs.putStatus('K', bigData)).toBe('INVALID_ARGUMENT');
  });
});
