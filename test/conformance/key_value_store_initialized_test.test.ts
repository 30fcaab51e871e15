// pw_kvs/key_value_store_initialized_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead),
// ported. Upstream links the file against each test partition (BUILD.gn's
// key_value_store_*_alignment_flash_test targets); here every test runs on each of them, on a
// store with flashkv's default options. pw_kvs's typed Put of a value is its bytes here.
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { hashKey } from '../../src/format/hash.js';
import type { FlashPartition } from '../../src/flash/flash-partition.js';
import { text, u32 } from './_bytes.js';
import { TEST_PARTITIONS, testPartition } from './_partitions.js';

const DEFAULT_FORMAT = { magic: 0x5b9a341e, checksum: 'crc16' as const };
const KEYS = ['TestKey1', 'Key2', 'TestKey3'] as const;

/** KeyValueStoreBuffer<256, 1024> on `partition`. */
const storeOn = (partition: FlashPartition) =>
  new KeyValueStore(partition, { maxEntries: 256, maxSectors: 1024, formats: [DEFAULT_FORMAT] });

const le32 = (value: number) => Uint8Array.from(u32(value));
const int = (value: number) => le32(value >>> 0);
/** A C string literal as pw_kvs's as_bytes(span("...")) gives it: with its NUL. */
const cString = (value: string) => text(`${value}\0`);
const floats = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);

describe.each(TEST_PARTITIONS)('key_value_store_initialized_test.cc on $name', (config) => {
  /** EmptyInitializedKvs: an erased partition and an initialised store on it. */
  function fixture() {
    const partition = testPartition(config);
    const kvs = storeOn(partition);
    expect(kvs.initStatus()).toBe('OK');
    return { partition, kvs };
  }
  /** Get(key, &value) for a value of `sizeBytes`. */
  const get = (kvs: KeyValueStore, key: string, sizeBytes: number) => {
    const buffer = new Uint8Array(sizeBytes);
    return { ...kvs.readStatus(key, buffer), bytes: buffer };
  };

  it('EmptyInitializedKvs.Put_SameKeySameValueRepeatedly_AlignedEntries', () => {
    const { kvs } = fixture();
    const value = cString('value67'); // 8 bytes
    for (let i = 0; i < 1000; i++) expect(kvs.putStatus('The Key!', value)).toBe('OK');
  });

  it('EmptyInitializedKvs.Put_SameKeySameValueRepeatedly_UnalignedEntries', () => {
    const { kvs } = fixture();
    const value = cString('value6'); // 7 bytes
    for (let i = 0; i < 1000; i++) expect(kvs.putStatus('The Key!', value)).toBe('OK');
  });

  it('EmptyInitializedKvs.Put_SameKeyDifferentValuesRepeatedly', () => {
    const { kvs } = fixture();
    for (let i = 0; i < 100; i++) {
      for (let size = 0; size < 10; size++) expect(kvs.putStatus('The Key!', int(i))).toBe('OK');
    }
  });

  it('EmptyInitializedKvs.PutAndGetByValue_ConvertibleToSpan', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', floats(1.0, -3.5))).toBe('OK');
    const result = get(kvs, 'key', 8);
    expect(result.status).toBe('OK');
    expect([...new Float32Array(result.bytes.buffer)]).toEqual([1.0, -3.5]);
  });

  it('EmptyInitializedKvs.PutAndGetByValue_Span', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', floats(1.0, -3.5).subarray(0))).toBe('OK');
    const result = get(kvs, 'key', 8);
    expect(result.status).toBe('OK');
    expect([...new Float32Array(result.bytes.buffer)]).toEqual([1.0, -3.5]);
  });

  it('EmptyInitializedKvs.PutAndGetByValue_NotConvertibleToSpan', () => {
    const { kvs } = fixture();
    // struct { float a; bool b; }: 4 bytes of float, the bool, 3 bytes of padding.
    const input = new Uint8Array(8);
    new DataView(input.buffer).setFloat32(0, -1234.5, true);
    input[4] = 1;
    expect(kvs.putStatus('key', input)).toBe('OK');
    const result = get(kvs, 'key', 8);
    expect(result.status).toBe('OK');
    expect(new DataView(result.bytes.buffer).getFloat32(0, true)).toBe(-1234.5);
    expect(result.bytes[4]).toBe(1);
  });

  it('EmptyInitializedKvs.Get_Simple', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('Charles', cString('Mingus'))).toBe('OK');
    const result = get(kvs, 'Charles', 16);
    expect(result).toMatchObject({ status: 'OK', size: 7 });
    expect(result.bytes.subarray(0, 7)).toEqual(cString('Mingus'));
  });

  it('EmptyInitializedKvs.Get_WithOffset', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('Charles', cString('Mingus'))).toBe('OK');
    const value = new Uint8Array(16);
    expect(kvs.readStatus('Charles', value, 4)).toEqual({ status: 'OK', size: 3 });
    expect(value.subarray(0, 3)).toEqual(cString('us'));
  });

  it('EmptyInitializedKvs.Get_WithOffset_FillBuffer', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('Charles', cString('Mingus'))).toBe('OK');
    const value = new Uint8Array(4);
    expect(kvs.readStatus('Charles', value.subarray(0, 3), 1)).toEqual({
      status: 'RESOURCE_EXHAUSTED',
      size: 3,
    });
    expect(value).toEqual(cString('ing'));
  });

  it('EmptyInitializedKvs.Get_WithOffset_PastEnd', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('Charles', cString('Mingus'))).toBe('OK');
    expect(kvs.readStatus('Charles', new Uint8Array(16), 7 + 1)).toEqual({
      status: 'OUT_OF_RANGE',
      size: 0,
    });
  });

  it('EmptyInitializedKvs.GetValue', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', le32(0xfeedbeef))).toBe('OK');
    const result = get(kvs, 'key', 4);
    expect(result).toMatchObject({ status: 'OK', size: 4 });
    expect(result.bytes).toEqual(le32(0xfeedbeef));
  });

  // pw_kvs's typed Get(key, &value) refuses a stored value whose size is not sizeof(value)
  // with INVALID_ARGUMENT, reading nothing. flashkv has only the byte-buffer read (pw_kvs's
  // Get(key, span)); a caller checks valueSize first (docs/compatibility.md).
  it('EmptyInitializedKvs.GetValue_TooSmall', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', le32(0xfeedbeef))).toBe('OK');
    expect(kvs.valueSizeStatus('key')).toEqual({ status: 'OK', size: 4 });
    expect(get(kvs, 'key', 1)).toMatchObject({ status: 'RESOURCE_EXHAUSTED', size: 1 });
  });

  it('EmptyInitializedKvs.GetValue_TooLarge', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', le32(0xfeedbeef))).toBe('OK');
    expect(kvs.valueSizeStatus('key')).toEqual({ status: 'OK', size: 4 });
    const result = get(kvs, 'key', 8);
    expect(result).toMatchObject({ status: 'OK', size: 4 });
    expect(result.bytes.subarray(4)).toEqual(new Uint8Array(4)); // nothing past the value
  });

  it('EmptyInitializedKvs.Delete_GetDeletedKey_ReturnsNotFound', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    expect(kvs.deleteStatus('kEy')).toBe('OK');
    expect(kvs.readStatus('kEy', new Uint8Array(0)).status).toBe('NOT_FOUND');
    expect(kvs.valueSizeStatus('kEy').status).toBe('NOT_FOUND');
  });

  it('EmptyInitializedKvs.Delete_AddBackKey_PersistsAfterInitialization', () => {
    const { kvs, partition } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    expect(kvs.deleteStatus('kEy')).toBe('OK');
    expect(kvs.putStatus('kEy', cString('45678'))).toBe('OK');
    expect(get(kvs, 'kEy', 6).bytes).toEqual(cString('45678'));
    // The key is back after a new store initialises on the same flash.
    const newKvs = storeOn(partition);
    expect(newKvs.initStatus()).toBe('OK');
    expect(newKvs.putStatus('kEy', cString('45678'))).toBe('OK');
    const result = get(newKvs, 'kEy', 6);
    expect(result.status).toBe('OK');
    expect(result.bytes).toEqual(cString('45678'));
  });

  it('EmptyInitializedKvs.Delete_AllItems_KvsIsEmpty', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    expect(kvs.deleteStatus('kEy')).toBe('OK');
    expect(kvs.size).toBe(0);
  });

  it('EmptyInitializedKvs.Collision_WithPresentKey', () => {
    const { kvs } = fixture();
    // Both hash to 0x19df36f0.
    expect(hashKey(text('D4'))).toBe(0x19df36f0);
    expect(hashKey(text('dFU6S'))).toBe(0x19df36f0);
    expect(kvs.putStatus('D4', int(1000))).toBe('OK');
    expect(kvs.putStatus('dFU6S', int(999))).toBe('ALREADY_EXISTS');
    expect(get(kvs, 'D4', 4)).toMatchObject({ status: 'OK', bytes: int(1000) });
    expect(get(kvs, 'dFU6S', 4).status).toBe('NOT_FOUND');
    expect(kvs.valueSizeStatus('dFU6S').status).toBe('NOT_FOUND');
    expect(kvs.deleteStatus('dFU6S')).toBe('NOT_FOUND');
  });

  it('EmptyInitializedKvs.Collision_WithDeletedKey', () => {
    const { kvs } = fixture();
    // Both hash to 0x4060f732.
    expect(hashKey(text('1U2'))).toBe(0x4060f732);
    expect(hashKey(text('ahj9d'))).toBe(0x4060f732);
    expect(kvs.putStatus('1U2', int(1000))).toBe('OK');
    expect(kvs.deleteStatus('1U2')).toBe('OK');
    // The second key collides with the first one's tombstone.
    expect(kvs.putStatus('ahj9d', int(999))).toBe('ALREADY_EXISTS');
    expect(get(kvs, '1U2', 4).status).toBe('NOT_FOUND');
    expect(get(kvs, 'ahj9d', 4).status).toBe('NOT_FOUND');
    expect(kvs.valueSizeStatus('ahj9d').status).toBe('NOT_FOUND');
    expect(kvs.deleteStatus('ahj9d')).toBe('NOT_FOUND');
  });

  it('EmptyInitializedKvs.Iteration_Empty_ByReference', () => {
    const { kvs } = fixture();
    expect([...kvs.items()]).toEqual([]);
  });

  it('EmptyInitializedKvs.Iteration_Empty_ByValue', () => {
    const { kvs } = fixture();
    expect([...kvs.entries()]).toEqual([]);
  });

  it('EmptyInitializedKvs.Iteration_OneItem', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    const items = [...kvs.items()];
    expect(items).toHaveLength(1);
    for (const item of items) {
      expect(item.keyText).toBe('kEy');
      expect(item.key).toEqual(text('kEy'));
      const temp = new Uint8Array(4);
      expect(item.readStatus(temp)).toEqual({ status: 'OK', size: 4 });
      expect(temp).toEqual(cString('123'));
    }
  });

  it('EmptyInitializedKvs.Iteration_GetWithOffset', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', cString('not bad!'))).toBe('OK');
    const items = [...kvs.items()];
    expect(items).toHaveLength(1);
    for (const item of items) {
      const temp = new Uint8Array(5);
      expect(item.readStatus(temp, 4)).toEqual({ status: 'OK', size: 5 });
      expect(temp).toEqual(cString('bad!'));
    }
  });

  it('EmptyInitializedKvs.Iteration_GetValue', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', le32(0xfeedbeef))).toBe('OK');
    const items = [...kvs.items()];
    expect(items).toHaveLength(1);
    for (const item of items) expect(item.value()).toEqual(le32(0xfeedbeef));
  });

  it('EmptyInitializedKvs.Iteration_GetValue_TooSmall', () => {
    // See GetValue_TooSmall: the byte-buffer read, not pw_kvs's typed Get.
    const { kvs } = fixture();
    expect(kvs.putStatus('key', le32(0xfeedbeef))).toBe('OK');
    for (const item of kvs.items()) {
      expect(item.readStatus(new Uint8Array(1))).toEqual({ status: 'RESOURCE_EXHAUSTED', size: 1 });
    }
  });

  it('EmptyInitializedKvs.Iteration_GetValue_TooLarge', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('key', le32(0xfeedbeef))).toBe('OK');
    for (const item of kvs.items()) {
      expect(item.readStatus(new Uint8Array(8))).toEqual({ status: 'OK', size: 4 });
    }
  });

  it('EmptyInitializedKvs.Iteration_EmptyAfterDeletion', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    expect(kvs.deleteStatus('kEy')).toBe('OK');
    expect([...kvs.items()]).toEqual([]);
  });

  it('EmptyInitializedKvs.Iterator', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    const iterator = kvs.items();
    let count = 0;
    for (let step = iterator.next(); step.done !== true; step = iterator.next()) {
      count++;
      expect(step.value.keyText).toBe('kEy');
      expect(step.value.value()).toEqual(cString('123'));
    }
    expect(count).toBe(1);
  });

  it('EmptyInitializedKvs.Iterator_PostIncrement', () => {
    // One item: the first step yields it, the next is the end.
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    const iterator = kvs.items();
    expect(iterator.next()).toMatchObject({ done: false, value: { keyText: 'kEy' } });
    expect(iterator.next().done).toBe(true);
  });

  it('EmptyInitializedKvs.Iterator_PreIncrement', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus('kEy', cString('123'))).toBe('OK');
    const iterator = kvs.items();
    iterator.next();
    expect(iterator.next().done).toBe(true);
    expect(iterator.next().done).toBe(true);
  });

  it('EmptyInitializedKvs.Basic', () => {
    const { kvs } = fixture();
    expect(kvs.putStatus(KEYS[0], Uint8Array.of(0xda))).toBe('OK');
    expect(kvs.putStatus(KEYS[1], le32(0xbad0301f))).toBe('OK');
    expect(get(kvs, KEYS[1], 4)).toMatchObject({ status: 'OK', bytes: le32(0xbad0301f) });
    expect(get(kvs, KEYS[0], 1)).toMatchObject({ status: 'OK', bytes: Uint8Array.of(0xda) });
    expect(kvs.deleteStatus(KEYS[0])).toBe('OK');
    expect(get(kvs, KEYS[0], 1).status).toBe('NOT_FOUND');
    expect(get(kvs, KEYS[1], 4)).toMatchObject({ status: 'OK', bytes: le32(0xbad0301f) });
    expect(kvs.deleteStatus(KEYS[1])).toBe('OK');
    expect(kvs.size).toBe(0);
  });
});
