// pw_kvs/test_key_value_store_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead),
// ported. Upstream's TestKvs() is a store on a fake flash (fake_flash_test_key_value_store.cc:
// 8 sectors of 4 KiB, 16-byte alignment, 32 entries, redundancy 1, CRC-16, magic 0xc40fd8a8).
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { u32 } from './_bytes.js';

describe('test_key_value_store_test.cc', () => {
  it('TestKvs.PutGetValue', () => {
    const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 8, alignmentBytes: 16 });
    const kvs = new KeyValueStore(new FlashPartition(flash), {
      maxEntries: 32,
      formats: [{ magic: 0xc40fd8a8, checksum: 'crc16' }],
    });
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.putStatus('key', Uint8Array.from(u32(0xfeedbeef)))).toBe('OK');
    const value = new Uint8Array(4);
    expect(kvs.readStatus('key', value)).toEqual({ status: 'OK', size: 4 });
    expect(value).toEqual(Uint8Array.from(u32(0xfeedbeef)));
  });
});
