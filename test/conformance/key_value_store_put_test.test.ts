// pw_kvs/key_value_store_put_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported.
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { text } from './_bytes.js';

/** PW_KVS_PUT_ITERATIONS (2 by default). */
const PUT_ITERATIONS = 2;

describe('key_value_store_put_test.cc', () => {
  it('EmptyInitializedKvs.Put_VaryingKeysAndValues', () => {
    // 6 sectors of 4 KiB, 16-byte alignment; KeyValueStoreBuffer<256, 256>.
    const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 6, alignmentBytes: 16 });
    const kvs = new KeyValueStore(new FlashPartition(flash), {
      maxEntries: 256,
      maxSectors: 256,
      formats: [{ magic: 0x873a9b50, checksum: 'crc16' }],
    });
    expect(kvs.initStatus()).toBe('OK');
    const value = text('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ34567890123\0');
    expect(value.length).toBe(64);
    for (let i = 0; i < PUT_ITERATIONS; i++) {
      for (let keySize = 1; keySize < value.length; keySize++) {
        const key = value.subarray(0, keySize);
        for (let valueSize = 0; valueSize < value.length; valueSize++) {
          const status = kvs.putStatus(key, value.subarray(0, valueSize));
          if (status !== 'OK')
            expect({ keySize, valueSize, status }).toMatchObject({ status: 'OK' });
        }
      }
    }
    // Upstream saves the partition's statistics here (no expectation); every key the last
    // round wrote reads back.
    for (let keySize = 1; keySize < value.length; keySize++) {
      expect(kvs.get(value.subarray(0, keySize))).toEqual(value.subarray(0, value.length - 1));
    }
  });
});
