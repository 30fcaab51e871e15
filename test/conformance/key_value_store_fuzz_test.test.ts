// pw_kvs/key_value_store_fuzz_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead),
// ported. Upstream links it against the 1- and 64-byte-aligned test partitions (6 sectors of
// 4 KiB); the store has flashkv's default options. Integers are stored as 8-byte size_t.
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { TEST_PARTITIONS, testPartition } from './_partitions.js';

const KEYS = ['TestKey1', 'Key2', 'TestKey3'] as const;
const KEY_1 = 'Buf1';
const KEY_2 = 'Buf2';
const LARGEST_BUF_SIZE = 3 * 1024;
const BUF_1 = new Uint8Array(LARGEST_BUF_SIZE).fill(1);
const BUF_2 = new Uint8Array(LARGEST_BUF_SIZE).fill(2);

/** A size_t, little-endian. */
const sizeT = (value: number) => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value), true);
  return bytes;
};

const FUZZ_PARTITIONS = TEST_PARTITIONS.filter(
  (config) => config.name === '1_alignment' || config.name === '64_alignment',
);

describe.each(FUZZ_PARTITIONS)('key_value_store_fuzz_test.cc on $name', (config) => {
  function fixture() {
    const kvs = new KeyValueStore(testPartition(config), {
      maxEntries: 256,
      maxSectors: 1024,
      formats: [{ magic: 0x749c361e, checksum: 'crc16' }],
    });
    expect(kvs.initStatus()).toBe('OK');
    // Start with things in the store.
    expect(kvs.putStatus(KEY_1, BUF_1)).toBe('OK');
    expect(kvs.putStatus(KEY_2, BUF_2)).toBe('OK');
    KEYS.forEach((key, j) => expect(kvs.putStatus(key, sizeT(j))).toBe('OK'));
    return kvs;
  }

  /** Re-init, then every key reads back (upstream compares buf2 with itself; fixed here). */
  function verify(kvs: KeyValueStore, size1: number, size2: number) {
    expect(kvs.initStatus()).toBe('OK');
    const buf = new Uint8Array(4 * 1024);
    expect(kvs.readStatus(KEY_1, buf.subarray(0, size1))).toEqual({ status: 'OK', size: size1 });
    expect(buf.subarray(0, size1)).toEqual(BUF_1.subarray(0, size1));
    expect(kvs.readStatus(KEY_2, buf.subarray(0, size2))).toEqual({ status: 'OK', size: size2 });
    expect(buf.subarray(0, size2)).toEqual(BUF_2.subarray(0, size2));
    KEYS.forEach((key, j) => expect(kvs.get(key)).toEqual(sizeT(j)));
  }

  it('KvsFuzz.FuzzTest', () => {
    const kvs = fixture();
    for (let i = 0; i < 100; i++) {
      // Two sizes that vary.
      const size1 = Math.floor(LARGEST_BUF_SIZE / (i + 1));
      const size2 = Math.floor(LARGEST_BUF_SIZE / (100 - i));
      // One key rewritten many times can fill a sector.
      for (let j = 0; j < 50; j++) expect(kvs.putStatus('some_data', sizeT(j))).toBe('OK');
      // Delete and re-add everything but "some_data".
      expect(kvs.deleteStatus(KEY_1)).toBe('OK');
      expect(kvs.putStatus(KEY_1, BUF_1.subarray(0, size1))).toBe('OK');
      expect(kvs.deleteStatus(KEY_2)).toBe('OK');
      expect(kvs.putStatus(KEY_2, BUF_2.subarray(0, size2))).toBe('OK');
      KEYS.forEach((key, j) => {
        expect(kvs.deleteStatus(key)).toBe('OK');
        expect(kvs.putStatus(key, sizeT(j))).toBe('OK');
      });
      verify(kvs, size1, size2);
    }
  });

  it('KvsFuzz.FuzzTestWithGC', () => {
    const kvs = fixture();
    for (let i = 0; i < 100; i++) {
      const size1 = Math.floor(LARGEST_BUF_SIZE / (i + 1));
      const size2 = Math.floor(LARGEST_BUF_SIZE / (100 - i));
      for (let j = 0; j < 50; j++) expect(kvs.putStatus('some_data', sizeT(j))).toBe('OK');
      expect(kvs.deleteStatus(KEY_1)).toBe('OK');
      expect(kvs.putStatus(KEY_1, BUF_1.subarray(0, size1))).toBe('OK');
      expect(kvs.deleteStatus(KEY_2)).toBe('OK');
      // Heavy maintenance in the middle collects garbage before going on.
      expect(kvs.heavyMaintenanceStatus()).toBe('OK');
      const stats = kvs.storageStats();
      expect(stats.sectorEraseCount).toBeGreaterThan(1);
      expect(stats.reclaimableBytes).toBe(0);
      // A rotating key written, read and deleted maxEntries × 4 times: garbage collection on
      // write keeps up (PW_KVS_REMOVE_DELETED_KEYS_IN_HEAVY_MAINTENANCE is 1).
      // (Checked without expect per call: 4 096 calls a round.)
      const failures: string[] = [];
      for (let j = 0; j < 256 * 4; j++) {
        const key = String(j);
        const value = sizeT(j);
        const put = kvs.putStatus(key, value);
        const read = new Uint8Array(8);
        const got = kvs.readStatus(key, read);
        const deleted = kvs.deleteStatus(key);
        const gone = kvs.readStatus(key, read).status;
        const ok =
          put === 'OK' &&
          got.status === 'OK' &&
          read.every((b, k) => b === value[k]) &&
          deleted === 'OK' &&
          gone === 'NOT_FOUND';
        if (!ok) failures.push(`${key}: ${put} ${got.status} ${deleted} ${gone}`);
      }
      expect(failures).toEqual([]);
      // Buf1, "some_data" and the three keys.
      expect(kvs.size).toBe(2 + KEYS.length);
      expect(kvs.putStatus(KEY_2, BUF_2.subarray(0, size2))).toBe('OK');
      KEYS.forEach((key, j) => {
        expect(kvs.deleteStatus(key)).toBe('OK');
        expect(kvs.putStatus(key, sizeT(j))).toBe('OK');
      });
      expect(kvs.heavyMaintenanceStatus()).toBe('OK');
      expect(kvs.size).toBe(3 + KEYS.length);
      verify(kvs, size1, size2);
    }
  });
});
