// pw_kvs/key_value_store_binary_format_test.cc (Pigweed
// bb8d51fae2daa3a7e71f7490dfc0a65103e9fead; it was key_value_store_error_handling_test.cc
// until Pigweed renamed it), ported: stores opened on hand-made flash contents, damaged and
// failing flash, and what init, reads, writes and maintenance make of them, down to the
// storage statistics.
import { describe, expect, it } from 'vitest';
import { KeyValueStore, type KeyValueStoreOptions } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import type { EntryFormat } from '../../src/format/entry-format.js';
import { concat, str, text, u16, u32, zeros } from './_bytes.js';
import { ChecksumFunction, PW_KVS, expectEntry, getStatus } from './_kvs.js';

// ---- Entries built by hand ---------------------------------------------------------------------

type ChecksumStep = (bytes: Uint8Array, state: number) => number;

/** SimpleChecksum: the u32 sum of the bytes. */
const simpleChecksum: ChecksumStep = (bytes, state) => {
  for (const byte of bytes) state = (state + byte) >>> 0;
  return state;
};
/** AltChecksum: shift in each byte xor-ed with the top byte. */
const altChecksum: ChecksumStep = (bytes, state) => {
  for (const byte of bytes) state = ((state << 8) | ((state >>> 24) ^ byte)) >>> 0;
  return state;
};
const noChecksum: ChecksumStep = () => 0;

/** MakeValidEntry / MakeDeletedEntry (16-byte alignment): `value` null for a tombstone. */
function makeEntry(
  magic: number,
  id: number,
  key: string,
  value: string | null,
  checksum: ChecksumStep = simpleChecksum,
): Uint8Array {
  const valueBytes = value === null ? [] : str(value);
  const content = [
    ...u32(magic),
    ...u32(0),
    0, // alignment units (16 B)
    key.length,
    ...u16(value === null ? 0xffff : valueBytes.length),
    ...u32(id),
    ...str(key),
    ...valueBytes,
  ];
  const entry = concat(content, zeros((16 - (content.length % 16)) % 16));
  entry.set(u32(checksum(entry, 0)), 4);
  return entry;
}

const MAGIC = 0x5ab2f0b5;
const ALT_MAGIC = 0x41a2db83;
const NO_CHECKSUM_MAGIC = 0xd49ba138;

const ENTRY_1 = makeEntry(MAGIC, 1, 'key1', 'value1');
const ENTRY_2 = makeEntry(MAGIC, 3, 'k2', 'value2');
const ENTRY_3 = makeEntry(MAGIC, 4, 'k3y', 'value3');
const ENTRY_4 = makeEntry(MAGIC, 5, '4k', 'value4');
const ALT_ENTRY = makeEntry(ALT_MAGIC, 32, 'A Key', 'XD', altChecksum);
const NO_CHECKSUM_ENTRY = makeEntry(NO_CHECKSUM_MAGIC, 64, 'kee', 'O_o', noChecksum);
const DELETED_ENTRY = makeEntry(ALT_MAGIC, 128, 'gone', null, altChecksum);

const defaultFormat = (): EntryFormat => ({
  magic: MAGIC,
  checksum: new ChecksumFunction('simple', simpleChecksum),
});
const multiMagicFormats = (): EntryFormat[] => [
  defaultFormat(),
  { magic: ALT_MAGIC, checksum: new ChecksumFunction('alt', altChecksum) },
  { magic: NO_CHECKSUM_MAGIC, checksum: null },
];

// pw_kvs's Options of the fixtures (verify on read and on write in all of them).
const NO_GC: KeyValueStoreOptions = { gcOnWrite: 'disabled', recovery: 'manual' };
const RECOVERY_NO_GC: KeyValueStoreOptions = { gcOnWrite: 'disabled', recovery: 'lazy' };
const RECOVERY_LAZY_GC: KeyValueStoreOptions = { gcOnWrite: 'oneSector', recovery: 'lazy' };

/**
 * A FakeFlashMemoryBuffer<512, sectors> (16-byte alignment) and a KeyValueStoreBuffer<256,
 * 256, redundancy> over all of it.
 */
function setUp(options: {
  sectors?: number;
  contents?: Uint8Array;
  formats?: EntryFormat[];
  store: KeyValueStoreOptions;
  redundancy?: number;
}) {
  const flash = new MemoryFlash({
    sectorSizeBytes: 512,
    sectorCount: options.sectors ?? 4,
    alignmentBytes: 16,
    ...(options.contents === undefined ? {} : { contents: options.contents }),
  });
  const partition = new FlashPartition(flash);
  const storeOptions: KeyValueStoreOptions = {
    ...PW_KVS,
    ...options.store,
    formats: options.formats ?? [defaultFormat()],
    maxEntries: 256,
    maxSectors: 256,
    redundancy: options.redundancy ?? 1,
  };
  const kvs = new KeyValueStore(partition, storeOptions);
  /** InitFlashTo: erase the partition, then copy `contents` to its start. */
  const initFlashTo = (contents: Uint8Array) => {
    expect(partition.erase(0, partition.sectorCount)).toBe('OK');
    flash.writeRaw(0, contents);
  };
  /** Another store over the same partition (a `local_kvs`). */
  const another = (store: KeyValueStoreOptions, redundancy: number) =>
    new KeyValueStore(partition, {
      ...PW_KVS,
      ...store,
      formats: [defaultFormat()],
      maxEntries: 256,
      maxSectors: 256,
      redundancy,
    });
  return { flash, partition, kvs, initFlashTo, another };
}

/** Sets the byte at `address` behind the store's back. */
const poke = (flash: MemoryFlash, address: number, value: number) =>
  flash.writeRaw(address, Uint8Array.of(value & 0xff));

function stats(kvs: KeyValueStore) {
  const s = kvs.storageStats();
  return {
    inUse: s.inUseBytes,
    reclaimable: s.reclaimableBytes,
    writable: s.writableBytes,
    corruptSectorsRecovered: s.corruptSectorsRecovered,
    missingRedundantEntriesRecovered: s.missingRedundantEntriesRecovered,
  };
}

// ---- KvsErrorHandling and KvsErrorRecovery -----------------------------------------------------

// The two fixtures differ only in recovery: manual (KvsErrorHandling) or lazy
// (KvsErrorRecovery), both with garbage collection on write disabled.
describe('key_value_store_binary_format_test.cc: KvsErrorHandling (manual recovery)', () => {
  const fixture = () => setUp({ store: NO_GC });

  it('KvsErrorHandling.Init_Ok', () => {
    const { kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    expect(kvs.initStatus()).toBe('OK');
    expect(getStatus(kvs, 'key1')).toBe('OK');
    expect(getStatus(kvs, 'k2')).toBe('OK');
  });

  it('KvsErrorHandling.Init_DuplicateEntries_ReturnsDataLossButReadsEntry', () => {
    const { kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_1));
    expect(kvs.initStatus()).toBe('DATA_LOSS');
    expect(getStatus(kvs, 'key1')).toBe('OK');
    expect(getStatus(kvs, 'k2')).toBe('NOT_FOUND');
  });

  it('KvsErrorHandling.Init_CorruptEntry_FindsSubsequentValidEntry', () => {
    const { flash, kvs, initFlashTo } = fixture();
    // Each byte of the first entry, corrupted once (the same store re-initialised).
    for (let i = 0; i < ENTRY_1.length; i++) {
      initFlashTo(concat(ENTRY_1, ENTRY_2));
      poke(flash, i, flash.bytes[i]! + 1);
      expect(kvs.initStatus()).toBe('DATA_LOSS');
      expect(getStatus(kvs, 'key1')).toBe('NOT_FOUND');
      expect(getStatus(kvs, 'k2')).toBe('OK');
      // One valid entry; the rest of the corrupt sector is reclaimable.
      expect(stats(kvs)).toMatchObject({ inUse: 32, reclaimable: 480 });
    }
  });

  it('KvsErrorHandling.Init_CorruptEntry_CorrectlyAccountsForSectorSize', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2, ENTRY_3, ENTRY_4));
    // The first and third entries.
    poke(flash, 9, 0xef);
    poke(flash, 67, 0xef);
    expect(kvs.initStatus()).toBe('DATA_LOSS');
    expect(kvs.size).toBe(2);
    expect(getStatus(kvs, 'key1')).toBe('NOT_FOUND');
    expect(getStatus(kvs, 'k2')).toBe('OK');
    expect(getStatus(kvs, 'k3y')).toBe('NOT_FOUND');
    expect(getStatus(kvs, '4k')).toBe('OK');
    expect(stats(kvs)).toMatchObject({ inUse: 64, reclaimable: 448, writable: 1024 });
  });

  it('KvsErrorHandling.Init_ReadError_InitializedWithSingleEntryError', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    flash.injectReadError({ status: 'UNAUTHENTICATED', address: ENTRY_1.length, size: 1 });
    expect(kvs.initStatus()).toBe('DATA_LOSS');
    expect(kvs.isReady).toBe(false);
  });

  it('KvsErrorHandling.Init_CorruptSectors_ShouldBeUnwritable', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    // Three of the four sectors corrupt: they take no writes, one sector must stay empty,
    // and without garbage collection there is no room.
    poke(flash, 1, 0xef);
    poke(flash, 513, 0xef);
    poke(flash, 1025, 0xef);
    expect(kvs.initStatus()).toBe('DATA_LOSS');
    expect(kvs.putStatus('hello', 'world')).toBe('FAILED_PRECONDITION');
    expect(kvs.putStatus('a', 'b')).toBe('FAILED_PRECONDITION');
    // The valid entries still read.
    expect(kvs.size).toBe(1);
    expect(getStatus(kvs, 'key1')).toBe('NOT_FOUND');
    expect(getStatus(kvs, 'k2')).toBe('OK');
    expect(stats(kvs)).toMatchObject({ inUse: 32, reclaimable: 480 + 2 * 512, writable: 0 });
  });

  it('KvsErrorHandling.Init_CorruptSectors_ShouldRecoverOne', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    // All four sectors corrupt (the two entries intact): with manual recovery the store has
    // no empty sector and stays unavailable.
    poke(flash, 64, 0xef);
    poke(flash, 513, 0xef);
    poke(flash, 1025, 0xef);
    poke(flash, 1537, 0xef);
    expect(kvs.initStatus()).toBe('DATA_LOSS');
    expect(stats(kvs)).toMatchObject({ inUse: 64, reclaimable: 4 * 512 - 64, writable: 0 });
  });

  it('KvsErrorHandling.DISABLED_Init_OkWithWriteErrorOnFlash', () => {
    // Disabled upstream because pw_kvs fails it: init stops reading a sector at the first
    // erased-looking slot, so k2 (after 32 erased bytes) is never seen and nothing is reported.
    // Asserted here is what pw_kvs does (checked on the real pw_kvs, both recoveries), not the
    // upstream wish list (2 keys, DATA_LOSS / error detected); docs/compatibility.md.
    const { kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, new Uint8Array(32).fill(0xff), ENTRY_2));
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.size).toBe(1);
    expect(kvs.errorDetected).toBe(false);
    expect(getStatus(kvs, 'key1')).toBe('OK');
    expect(getStatus(kvs, 'k2')).toBe('NOT_FOUND');
    expect(stats(kvs)).toEqual({
      inUse: 32,
      reclaimable: 0,
      writable: 3 * 512 - 32,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });

  it('KvsErrorHandling.Init_CorruptKey_RevertsToPreviousVersion', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(
      concat(
        makeEntry(MAGIC, 7, 'my_key', 'version 7'),
        makeEntry(MAGIC, 8, 'my_key', 'version 8'),
      ),
    );
    poke(flash, 34, 0xef); // in version 8 (bytes 32-63)
    expect(kvs.initStatus()).toBe('DATA_LOSS');
    expect(kvs.size).toBe(1);
    const buffer = new Uint8Array(64);
    expect(kvs.readStatus('my_key', buffer)).toEqual({ status: 'OK', size: 9 });
    expect(buffer.subarray(0, 9)).toEqual(text('version 7'));
    expect(stats(kvs).inUse).toBe(32);
  });

  it('KvsErrorHandling.Put_WriteFailure_EntryNotAddedButBytesMarkedWritten', () => {
    const { flash, kvs } = fixture();
    expect(kvs.initStatus()).toBe('OK');
    flash.injectWriteError({ status: 'UNAVAILABLE', times: 1 });
    expect(kvs.putStatus('key1', 'value1')).toBe('UNAVAILABLE');
    expect(getStatus(kvs, 'key1', 0)).toBe('NOT_FOUND');
    expect(kvs.size).toBe(0);
    expect(stats(kvs)).toMatchObject({ inUse: 0, reclaimable: 512, writable: 2 * 512 });
    // The failed put's bytes count as used: the next one does not overlap them.
    expect(kvs.putStatus('key1', 'value1')).toBe('OK');
    expect(stats(kvs)).toMatchObject({
      inUse: 32 * kvs.redundancy,
      reclaimable: 512,
      writable: 2 * 512 - 32 * kvs.redundancy,
    });
  });
});

describe('key_value_store_binary_format_test.cc: KvsErrorRecovery (lazy recovery)', () => {
  const fixture = () => setUp({ store: RECOVERY_NO_GC });

  it('KvsErrorRecovery.Init_Ok', () => {
    const { kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    expect(kvs.initStatus()).toBe('OK');
    expect(getStatus(kvs, 'key1')).toBe('OK');
    expect(getStatus(kvs, 'k2')).toBe('OK');
  });

  it('KvsErrorRecovery.Init_DuplicateEntries_RecoversDuringInit', () => {
    const { kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_1));
    expect(kvs.initStatus()).toBe('OK');
    expect(stats(kvs).corruptSectorsRecovered).toBe(1);
    expect(getStatus(kvs, 'key1')).toBe('OK');
    expect(getStatus(kvs, 'k2')).toBe('NOT_FOUND');
  });

  it('KvsErrorRecovery.Init_CorruptEntry_FindsSubsequentValidEntry', () => {
    const { flash, kvs, initFlashTo } = fixture();
    for (let i = 0; i < ENTRY_1.length; i++) {
      initFlashTo(concat(ENTRY_1, ENTRY_2));
      poke(flash, i, flash.bytes[i]! + 1);
      expect(kvs.initStatus()).toBe('OK');
      expect(getStatus(kvs, 'key1')).toBe('NOT_FOUND');
      expect(getStatus(kvs, 'k2')).toBe('OK');
      // One valid entry; the corrupt sector was recovered (the count runs on across inits).
      expect(stats(kvs)).toMatchObject({
        inUse: 32,
        reclaimable: 0,
        corruptSectorsRecovered: i + 1,
      });
    }
  });

  it('KvsErrorRecovery.Init_CorruptEntry_CorrectlyAccountsForSectorSize', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2, ENTRY_3, ENTRY_4));
    poke(flash, 9, 0xef);
    poke(flash, 67, 0xef);
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.size).toBe(2);
    expect(getStatus(kvs, 'key1')).toBe('NOT_FOUND');
    expect(getStatus(kvs, 'k2')).toBe('OK');
    expect(getStatus(kvs, 'k3y')).toBe('NOT_FOUND');
    expect(getStatus(kvs, '4k')).toBe('OK');
    expect(stats(kvs)).toMatchObject({
      inUse: 64,
      reclaimable: 0,
      writable: 1472,
      corruptSectorsRecovered: 1,
    });
  });

  it('KvsErrorRecovery.Init_ReadError_InitializedWithSingleEntryError', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    flash.injectReadError({ status: 'UNAUTHENTICATED', address: ENTRY_1.length, size: 1 });
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.isReady).toBe(true);
    expect(stats(kvs)).toEqual({
      inUse: 32,
      reclaimable: 0,
      writable: 3 * 512 - 32,
      corruptSectorsRecovered: 1,
      missingRedundantEntriesRecovered: 0,
    });
  });

  it('KvsErrorRecovery.Init_CorruptSectors_ShouldBeUnwritable', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    // Three corrupt sectors, recovered by garbage collection during init.
    poke(flash, 1, 0xef);
    poke(flash, 513, 0xef);
    poke(flash, 1025, 0xef);
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.putStatus('hello', 'world')).toBe('OK');
    expect(kvs.putStatus('a', 'b')).toBe('OK');
    expect(kvs.size).toBe(3);
    expect(getStatus(kvs, 'key1')).toBe('NOT_FOUND');
    expect(getStatus(kvs, 'k2')).toBe('OK');
    expect(stats(kvs)).toMatchObject({
      inUse: 96,
      reclaimable: 0,
      writable: 1440,
      corruptSectorsRecovered: 3,
    });
  });

  it('KvsErrorRecovery.Init_CorruptSectors_ShouldRecoverOne', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, ENTRY_2));
    // All four sectors corrupt: recovery collects every one of them.
    poke(flash, 64, 0xef);
    poke(flash, 513, 0xef);
    poke(flash, 1025, 0xef);
    poke(flash, 1537, 0xef);
    expect(kvs.initStatus()).toBe('OK');
    expect(stats(kvs)).toMatchObject({
      inUse: 64,
      reclaimable: 0,
      writable: 3 * 512 - 64,
      corruptSectorsRecovered: 4,
    });
  });

  it('KvsErrorRecovery.DISABLED_Init_OkWithWriteErrorOnFlash', () => {
    // Disabled upstream because pw_kvs fails it: init stops reading a sector at the first
    // erased-looking slot, so k2 (after 32 erased bytes) is never seen and nothing is reported.
    // Asserted here is what pw_kvs does (checked on the real pw_kvs, both recoveries), not the
    // upstream wish list (2 keys, DATA_LOSS / error detected); docs/compatibility.md.
    const { kvs, initFlashTo } = fixture();
    initFlashTo(concat(ENTRY_1, new Uint8Array(32).fill(0xff), ENTRY_2));
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.size).toBe(1);
    expect(kvs.errorDetected).toBe(false);
    expect(getStatus(kvs, 'key1')).toBe('OK');
    expect(getStatus(kvs, 'k2')).toBe('NOT_FOUND');
    expect(stats(kvs)).toEqual({
      inUse: 32,
      reclaimable: 0,
      writable: 3 * 512 - 32,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });

  it('KvsErrorRecovery.Init_CorruptKey_RevertsToPreviousVersion', () => {
    const { flash, kvs, initFlashTo } = fixture();
    initFlashTo(
      concat(
        makeEntry(MAGIC, 7, 'my_key', 'version 7'),
        makeEntry(MAGIC, 8, 'my_key', 'version 8'),
      ),
    );
    poke(flash, 34, 0xef);
    expect(kvs.initStatus()).toBe('OK');
    expect(kvs.size).toBe(1);
    const buffer = new Uint8Array(64);
    expect(kvs.readStatus('my_key', buffer)).toEqual({ status: 'OK', size: 9 });
    expect(buffer.subarray(0, 9)).toEqual(text('version 7'));
    expect(stats(kvs).inUse).toBe(32);
  });

  it('KvsErrorRecovery.Put_WriteFailure_EntryNotAddedButBytesMarkedWritten', () => {
    const { flash, kvs } = fixture();
    expect(kvs.initStatus()).toBe('OK');
    flash.injectWriteError({ status: 'UNAVAILABLE', times: 1 });
    expect(kvs.putStatus('key1', 'value1')).toBe('UNAVAILABLE');
    expect(kvs.errorDetected).toBe(true);
    expect(getStatus(kvs, 'key1', 0)).toBe('NOT_FOUND');
    expect(kvs.size).toBe(0);
    expect(stats(kvs)).toEqual({
      inUse: 0,
      reclaimable: 512,
      writable: 2 * 512,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
    expect(kvs.putStatus('key1', 'value1')).toBe('OK');
    expect(stats(kvs)).toEqual({
      inUse: 32 * kvs.redundancy,
      reclaimable: 512,
      writable: 2 * 512 - 32 * kvs.redundancy,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });
});

// ---- Several formats, redundancy -----------------------------------------------------------------

const MULTI_MAGIC_CONTENTS = concat(NO_CHECKSUM_ENTRY, ENTRY_1, ALT_ENTRY, ENTRY_2, ENTRY_3);
const REDUNDANT_MULTI_MAGIC_CONTENTS = concat(MULTI_MAGIC_CONTENTS, DELETED_ENTRY);

/** The five live keys of the multi-format contents. */
function expectAllEntries(kvs: KeyValueStore): void {
  expectEntry(kvs, 'key1', 'value1');
  expectEntry(kvs, 'k2', 'value2');
  expectEntry(kvs, 'k3y', 'value3');
  expectEntry(kvs, 'A Key', 'XD');
  expectEntry(kvs, 'kee', 'O_o');
}

describe('key_value_store_binary_format_test.cc: InitializedRedundantMultiMagicKvs', () => {
  /** Three formats, redundancy 2, lazy recovery without garbage collection on write. */
  function fixture() {
    const setup = setUp({
      contents: REDUNDANT_MULTI_MAGIC_CONTENTS,
      formats: multiMagicFormats(),
      store: RECOVERY_NO_GC,
      redundancy: 2,
    });
    expect(setup.kvs.initStatus()).toBe('OK');
    return setup;
  }
  const clean = (kvs: KeyValueStore) => ({
    inUse: 192 * kvs.redundancy,
    reclaimable: 0,
    writable: 512 * 3 - 192 * kvs.redundancy,
    corruptSectorsRecovered: 0,
    missingRedundantEntriesRecovered: 0,
  });

  it('InitializedRedundantMultiMagicKvs.AllEntriesArePresent', () => {
    const { kvs } = fixture();
    expectAllEntries(kvs);
  });

  it('InitializedRedundantMultiMagicKvs.RecoversLossOfFirstSector', () => {
    const { kvs, partition } = fixture();
    expect(stats(kvs)).toEqual(clean(kvs));
    expect(partition.erase(0, 1)).toBe('OK');
    expectAllEntries(kvs);
    expect(kvs.errorDetected).toBe(true);
    expect(stats(kvs)).toEqual({
      inUse: 192 * kvs.redundancy,
      reclaimable: 320,
      writable: 512 * 2 - 192 * (kvs.redundancy - 1),
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
    expect(kvs.fullMaintenanceStatus()).toBe('OK');
    expect(stats(kvs)).toEqual({ ...clean(kvs), missingRedundantEntriesRecovered: 6 });
  });

  it('InitializedRedundantMultiMagicKvs.RecoversLossOfSecondSector', () => {
    const { kvs, partition } = fixture();
    expect(stats(kvs)).toEqual(clean(kvs));
    expect(partition.erase(partition.sectorSizeBytes, 1)).toBe('OK');
    expectAllEntries(kvs);
    expect(kvs.errorDetected).toBe(false);
    expect(kvs.initStatus()).toBe('OK');
    expect(stats(kvs)).toEqual(clean(kvs));
  });

  it('InitializedRedundantMultiMagicKvs.SingleReadErrors', () => {
    const { kvs, flash } = fixture();
    // Two read errors, so the first read attempt fails entirely; then one more, after 7 reads.
    flash.injectReadError({ status: 'INTERNAL', times: 2 });
    flash.injectReadError({ status: 'INTERNAL', times: 1, delay: 7 });
    expectAllEntries(kvs);
    expect(kvs.errorDetected).toBe(true);
    expect(stats(kvs)).toEqual({
      inUse: 192 * kvs.redundancy,
      reclaimable: 320,
      writable: 512 * 2 - 192 * (kvs.redundancy - 1),
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });

  it('InitializedRedundantMultiMagicKvs.SingleWriteError', () => {
    const { kvs, flash } = fixture();
    flash.injectWriteError({ status: 'INTERNAL', times: 1, delay: 1 });
    expect(kvs.putStatus('new key', 'abcd?')).toBe('INTERNAL');
    expect(kvs.errorDetected).toBe(true);
    expect(stats(kvs)).toEqual({
      inUse: 32 + 192 * kvs.redundancy,
      reclaimable: 320,
      writable: 512 * 2 - 32 - 192 * (kvs.redundancy - 1),
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
    expect(getStatus(kvs, 'new key', 20)).toBe('OK');
    expect(kvs.fullMaintenanceStatus()).toBe('OK');
    expect(stats(kvs)).toEqual({
      inUse: 224 * kvs.redundancy,
      reclaimable: 0,
      writable: 512 * 3 - 224 * kvs.redundancy,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
    expect(getStatus(kvs, 'new key', 20)).toBe('OK');
  });

  it('InitializedRedundantMultiMagicKvs.DataLossAfterLosingBothCopies', () => {
    const { kvs, partition } = fixture();
    expect(partition.erase(0, 2)).toBe('OK');
    for (const key of ['key1', 'k2', 'k3y', 'A Key', 'kee']) {
      expect(getStatus(kvs, key, 20)).toBe('DATA_LOSS');
    }
    expect(kvs.errorDetected).toBe(true);
    expect(stats(kvs)).toEqual({
      inUse: 192 * kvs.redundancy,
      reclaimable: 2 * 320,
      writable: 512,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });

  it('InitializedRedundantMultiMagicKvs.PutNewEntry_UsesFirstFormat', () => {
    const { kvs, flash } = fixture();
    expect(kvs.putStatus('new key', 'abcd?')).toBe('OK');
    const expected = makeEntry(MAGIC, 129, 'new key', 'abcd?');
    const at = REDUNDANT_MULTI_MAGIC_CONTENTS.length;
    expect(flash.bytes.slice(at, at + expected.length)).toEqual(expected);
    expectEntry(kvs, 'new key', 'abcd?');
  });

  it('InitializedRedundantMultiMagicKvs.PutExistingEntry_UsesFirstFormat', () => {
    const { kvs, flash } = fixture();
    expect(kvs.putStatus('A Key', 'New value!')).toBe('OK');
    const expected = makeEntry(MAGIC, 129, 'A Key', 'New value!');
    const at = REDUNDANT_MULTI_MAGIC_CONTENTS.length;
    expect(flash.bytes.slice(at, at + expected.length)).toEqual(expected);
    expectEntry(kvs, 'A Key', 'New value!');
  });

  it('InitializedRedundantMultiMagicKvs.UpdateEntryFormat', () => {
    const { kvs, another } = fixture();
    expect(kvs.fullMaintenanceStatus()).toBe('OK');
    // A store that reads only the primary format finds every entry in it.
    const local = another(NO_GC, 2);
    expect(local.initStatus()).toBe('OK');
    expect(local.errorDetected).toBe(false);
    expectAllEntries(local);
  });
});

describe('key_value_store_binary_format_test.cc: InitializedMultiMagicKvs', () => {
  function fixture() {
    const setup = setUp({
      contents: MULTI_MAGIC_CONTENTS,
      formats: multiMagicFormats(),
      store: RECOVERY_NO_GC,
    });
    expect(setup.kvs.initStatus()).toBe('OK');
    return setup;
  }

  it('InitializedMultiMagicKvs.AllEntriesArePresent', () => {
    const { kvs } = fixture();
    expectAllEntries(kvs);
  });

  it('InitializedMultiMagicKvs.UpdateEntryFormat', () => {
    const { kvs, another } = fixture();
    expect(kvs.fullMaintenanceStatus()).toBe('OK');
    const local = another(NO_GC, 1);
    expect(local.initStatus()).toBe('OK');
    expect(local.errorDetected).toBe(false);
    expectAllEntries(local);
  });
});

// ---- Lazy recovery with garbage collection -------------------------------------------------------

const FOUR_ENTRIES = concat(ENTRY_1, ENTRY_2, ENTRY_3, ENTRY_4);

function expectFourEntries(kvs: KeyValueStore): void {
  expectEntry(kvs, 'key1', 'value1');
  expectEntry(kvs, 'k2', 'value2');
  expectEntry(kvs, 'k3y', 'value3');
  expectEntry(kvs, '4k', 'value4');
}

describe('key_value_store_binary_format_test.cc: InitializedRedundantLazyRecoveryKvs', () => {
  function fixture() {
    const setup = setUp({ contents: FOUR_ENTRIES, store: RECOVERY_LAZY_GC, redundancy: 2 });
    expect(setup.kvs.initStatus()).toBe('OK');
    return setup;
  }

  it('InitializedRedundantLazyRecoveryKvs.WriteAfterDataLoss', () => {
    const { kvs, partition } = fixture();
    expect(partition.erase(0, 4)).toBe('OK');
    for (const key of ['key1', 'k2', 'k3y', '4k']) {
      expect(getStatus(kvs, key, 20)).toBe('DATA_LOSS');
    }
    expect(kvs.errorDetected).toBe(true);
    expect(stats(kvs)).toEqual({
      inUse: 128 * kvs.redundancy,
      reclaimable: 2 * 384,
      writable: 512,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
    // Put("key1", 1000): an int, 4 bytes.
    expect(kvs.putStatus('key1', Uint8Array.from(u32(1000)))).toBe('DATA_LOSS');
    expect(kvs.fullMaintenanceStatus()).toBe('OK');
    expect(stats(kvs)).toEqual({
      inUse: 0,
      reclaimable: 0,
      writable: 3 * 512,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });

  it('InitializedRedundantLazyRecoveryKvs.TwoSectorsCorruptWithGoodEntries', () => {
    const { kvs, flash } = fixture();
    expectFourEntries(kvs);
    expect(kvs.errorDetected).toBe(false);
    const clean = {
      inUse: 128 * kvs.redundancy,
      reclaimable: 0,
      writable: 3 * 512 - 128 * kvs.redundancy,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    };
    expect(stats(kvs)).toEqual(clean);
    // Every key damaged, alternating which copy.
    poke(flash, 0x10, 0xef);
    poke(flash, 0x230, 0xef);
    poke(flash, 0x50, 0xef);
    poke(flash, 0x270, 0xef);
    expectFourEntries(kvs);
    expect(kvs.fullMaintenanceStatus()).toBe('OK');
    expect(stats(kvs)).toEqual({
      ...clean,
      corruptSectorsRecovered: 2,
      missingRedundantEntriesRecovered: 4,
    });
  });
});

describe('key_value_store_binary_format_test.cc: InitializedLazyRecoveryKvs', () => {
  it('InitializedLazyRecoveryKvs.AddRedundancyToKvsFullOfStaleData', () => {
    const { kvs, another } = setUp({ sectors: 8, contents: FOUR_ENTRIES, store: RECOVERY_LAZY_GC });
    expect(kvs.initStatus()).toBe('OK');
    expectFourEntries(kvs);
    expect(kvs.errorDetected).toBe(false);
    expect(stats(kvs)).toEqual({
      inUse: 128 * kvs.redundancy,
      reclaimable: 0,
      writable: 7 * 512 - 128 * kvs.redundancy,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
    // A 470-byte value leaves 16 bytes of its 512-byte sector; each put changes it, so each
    // one writes (an identical value is not written).
    const testData = new Uint8Array(470);
    testData.set([1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < 6; i++) {
      expect(kvs.putStatus('big_key', testData)).toBe('OK');
      testData[0]!++;
    }
    // A store with redundancy 2 adds a copy of each key at init, and must garbage-collect two
    // sectors to find room for them.
    const local = another(RECOVERY_LAZY_GC, 2);
    expect(local.initStatus()).toBe('OK');
    expect(local.errorDetected).toBe(false);
    expectFourEntries(local);
    expect(local.valueSizeStatus('big_key')).toEqual({ status: 'OK', size: 470 });
    expect(stats(local)).toEqual({
      // (the four keys + big_key) x redundancy
      inUse: (128 + 496) * local.redundancy,
      // big_key's 3 stale entries left after the collections
      reclaimable: 496 * 3,
      writable: 848,
      corruptSectorsRecovered: 0,
      missingRedundantEntriesRecovered: 0,
    });
  });
});
