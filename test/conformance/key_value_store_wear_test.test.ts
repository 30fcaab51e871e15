// pw_kvs/key_value_store_wear_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead),
// ported: pw_kvs's FlashPartitionWithStats erase counts are MemoryFlash's sectorEraseCounts.
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';

const SECTORS = 16;

/** WearTest: 16 sectors of 512 bytes, 16-byte alignment, a store without checksums. */
function fixture() {
  const flash = new MemoryFlash({ sectorSizeBytes: 512, sectorCount: SECTORS, alignmentBytes: 16 });
  const kvs = new KeyValueStore(new FlashPartition(flash), {
    maxEntries: 256,
    maxSectors: SECTORS,
    formats: [{ magic: 0x1bce4ad5, checksum: 'none' }],
  });
  expect(kvs.initStatus()).toBe('OK');
  // 470 bytes: with its header and key an entry takes most of a 512-byte sector.
  const testData = new Uint8Array(470);
  testData.set([1, 2, 3, 4, 5, 6]);
  return { flash, kvs, testData };
}

const eraseCounts = (flash: MemoryFlash) => {
  const counts = flash.counters.sectorEraseCounts;
  return {
    min: Math.min(...counts),
    max: Math.max(...counts),
    average: counts.reduce((sum, count) => sum + count, 0) / counts.length,
  };
};

describe('key_value_store_wear_test.cc', () => {
  it('WearTest.RepeatedLargeEntry', () => {
    const { flash, kvs, testData } = fixture();
    flash.resetCounters();
    // Enough large entries (one fits in a sector) to fill the store several times.
    for (let i = 0; i < SECTORS * 10; i++) {
      testData[0]!++; // a value other than the one stored
      expect(kvs.putStatus('large_entry', testData)).toBe('OK');
    }
    // Garbage collection erased every sector several times, evenly.
    const { min, max } = eraseCounts(flash);
    expect(min).toBeGreaterThanOrEqual(7);
    expect(max).toBeLessThanOrEqual(min + 1);
  });

  it('WearTest.TwoPassFillWithLargeAndLarger', () => {
    const { flash, kvs, testData } = fixture();
    flash.resetCounters();
    // A large entry, once per sector, until the store is mostly stale data...
    for (let i = 0; i < SECTORS; i++) {
      testData[0]!++;
      expect(kvs.putStatus('key', testData.subarray(0, testData.length - 70))).toBe('OK');
    }
    // ...then many copies of a larger one.
    for (let i = 0; i < SECTORS * 200; i++) {
      testData[0]!++;
      expect(kvs.putStatus('big_key', testData)).toBe('OK');
    }
    expect(kvs.size).toBe(2);
    const { max, average } = eraseCounts(flash);
    expect(max).toBeLessThan(2 * average);
  });
});
