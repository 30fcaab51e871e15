// pw_kvs/entry_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported: one `it` per
// upstream TEST / TEST_F, named Suite.Test, with the upstream inputs and expected bytes.
import { describe, expect, it } from 'vitest';
import { CoalescingReader } from '../../src/engine/_coalescing-reader.js';
import { Entry } from '../../src/engine/entry.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import type { ChecksumAlgorithm } from '../../src/format/checksum.js';
import { type EntryFormat, EntryFormats, entryFormat } from '../../src/format/entry-format.js';
import { alignUp } from '../../src/format/entry-header.js';
import { concat, str, text, u16, u32, zeros } from './_bytes.js';

// ---- The upstream constants --------------------------------------------------------------------

/** kFormat: no checksum. */
const FORMAT_NO_CHECKSUM = entryFormat({ magic: 0x961c2ff9, checksum: 'none' });
const MAGIC_WITH_CHECKSUM = 0xad165142;
const TRANSACTION_ID_1 = 0x96979899;
const FORMAT_WITH_CHECKSUM = entryFormat({ magic: MAGIC_WITH_CHECKSUM, checksum: 'crc16' });
const FORMATS = new EntryFormats([FORMAT_WITH_CHECKSUM]);
/** kNoChecksumFormat. */
const NO_CHECKSUM_FORMAT = entryFormat({ magic: 0x721bad24, checksum: 'none' });

const KEY_1 = str('key45');
const VALUE_1 = str('VALUE!');
const PADDING_1 = zeros(5);
const HEADER_1 = [
  ...u32(MAGIC_WITH_CHECKSUM),
  ...u32(0x23aa), // checksum (CRC16)
  1, // alignment units (32 B)
  KEY_1.length,
  ...u16(VALUE_1.length),
  ...u32(TRANSACTION_ID_1),
];
const ENTRY_WITHOUT_PADDING_1 = [...HEADER_1, ...KEY_1, ...VALUE_1];
const ENTRY_1 = concat(ENTRY_WITHOUT_PADDING_1, PADDING_1);

const HEADER_2 = [
  ...[0x42, 0x51, 0x16, 0xad], // magic
  ...[0xba, 0xb3, 0x00, 0x00], // checksum (CRC16)
  0x00, // alignment
  0x01, // key length
  ...[0xff, 0xff], // value size (tombstone)
  ...[0x00, 0x01, 0x02, 0x03], // transaction ID
];
const KEY_AND_PADDING_2 = [...str('K'), ...zeros(15)];
const TOMBSTONE_2 = concat(HEADER_2, KEY_AND_PADDING_2);

/**
 * pw_kvs's ChecksumSummation: sums the bytes, adding one to each so that zeros count; the
 * state is the u32 sum, little-endian.
 */
class ChecksumSummation implements ChecksumAlgorithm {
  readonly name = 'sum';
  readonly sizeBytes = 4;
  #sum = 0;
  reset(): void {
    this.#sum = 0;
  }
  update(bytes: Uint8Array): void {
    for (const byte of bytes) this.#sum = (this.#sum + byte + 1) >>> 0;
  }
  finish(): Uint8Array {
    return Uint8Array.from(u32(this.#sum));
  }
}

const FORMAT_WITH_SUM: EntryFormat = { magic: 0x6093aadb, checksum: new ChecksumSummation() };
const FORMATS_WITH_SUM = new EntryFormats([FORMAT_WITH_SUM]);

const byteSum = (bytes: readonly number[]) => bytes.reduce((sum, b) => sum + b, 0);

/** MakeNewFormatWithSumEntry<alignment>: ENTRY_1 moved to the sum format with ID + 1. */
function newFormatWithSumEntry(alignmentBytes: number): Uint8Array {
  const alignmentUnits = Math.ceil(alignmentBytes / 16) - 1;
  const size = alignUp(ENTRY_WITHOUT_PADDING_1.length, alignmentBytes);
  const checksum =
    byteSum(u32(FORMAT_WITH_SUM.magic)) +
    alignmentUnits +
    KEY_1.length +
    VALUE_1.length +
    byteSum(u32(TRANSACTION_ID_1 + 1)) +
    byteSum(KEY_1) +
    byteSum(VALUE_1) +
    size; // +1 for each byte
  return concat(
    u32(FORMAT_WITH_SUM.magic),
    u32(checksum),
    [alignmentUnits, KEY_1.length],
    u16(VALUE_1.length),
    u32(TRANSACTION_ID_1 + 1),
    KEY_1,
    VALUE_1,
    zeros(size - ENTRY_WITHOUT_PADDING_1.length),
  );
}

// ---- Fixtures ----------------------------------------------------------------------------------

/**
 * FakeFlashMemoryBuffer<1024, 4>(contents): 4 sectors of 1 KiB, flash alignment 1 (pw_kvs's
 * default), and a partition over all of it with `alignmentBytes`.
 */
function flashWith(contents?: Uint8Array, alignmentBytes?: number) {
  const flash = new MemoryFlash({
    sectorSizeBytes: 1024,
    sectorCount: 4,
    alignmentBytes: 1,
    ...(contents === undefined ? {} : { contents }),
  });
  const partition = new FlashPartition(
    flash,
    alignmentBytes === undefined ? {} : { alignmentBytes },
  );
  return { flash, io: new CoalescingReader(partition, false) };
}

function readEntry(io: CoalescingReader, address: number, formats: EntryFormats): Entry {
  const read = Entry.read(io, address, formats);
  expect(read.status).toBe('OK');
  return read.entry!;
}

/** ValidEntryInFlash: ENTRY_1 at address 0, read with the CRC-16 format. */
function validEntryInFlash() {
  const { flash, io } = flashWith(ENTRY_1);
  return { flash, io, entry: readEntry(io, 0, FORMATS) };
}

/** TombstoneEntryInFlash: the tombstone at address 0. */
function tombstoneEntryInFlash() {
  const { flash, io } = flashWith(TOMBSTONE_2);
  return { flash, io, entry: readEntry(io, 0, FORMATS) };
}

const EMPTY = new Uint8Array(0);
const at = (flash: MemoryFlash, address: number, length: number) =>
  flash.bytes.slice(address, address + length);

// ---- Entry -------------------------------------------------------------------------------------

describe('entry_test.cc', () => {
  it('Entry.Size_RoundsUpToAlignment', () => {
    // Upstream spans a 4112-byte array past its end for the largest sizes; here it is big enough.
    const valueBytes = new Uint8Array(2 * 4096);
    for (let alignmentBytes = 1; alignmentBytes <= 4096; alignmentBytes++) {
      // flashkv's partitions need an alignment that divides the sector size (see
      // docs/compatibility.md), so each alignment gets sectors of its own size.
      const flash = new MemoryFlash({
        sectorSizeBytes: alignmentBytes,
        sectorCount: 2,
        alignmentBytes: 1,
      });
      const io = new CoalescingReader(new FlashPartition(flash, { alignmentBytes }), false);
      const align = alignUp(alignmentBytes, 16);
      for (const value of [0, align - 1, align, align + 1, 2 * align]) {
        const entry = Entry.create(
          io,
          0,
          FORMAT_NO_CHECKSUM,
          text('k'),
          valueBytes.subarray(0, value),
          0,
        );
        expect(entry.size).toBe(alignUp(16 + 1 + value, align));
      }
      const tombstone = Entry.create(io, 0, FORMAT_NO_CHECKSUM, text('k'), null, 0);
      expect(tombstone.size).toBe(alignUp(16 + 1, align));
    }
  });

  it('Entry.Construct_ValidEntry', () => {
    const flash = new MemoryFlash({ sectorSizeBytes: 64, sectorCount: 2, alignmentBytes: 16 });
    const io = new CoalescingReader(new FlashPartition(flash), false);
    // as_bytes(span("123")) includes the terminating NUL: 4 bytes.
    const entry = Entry.create(io, 1, FORMAT_NO_CHECKSUM, text('k'), text('123\0'), 9876);
    expect(entry.isDeleted).toBe(false);
    expect(entry.magic).toBe(FORMAT_NO_CHECKSUM.magic);
    expect(entry.valueSize).toBe(4);
    expect(entry.transactionId).toBe(9876);
  });

  it('Entry.Construct_Tombstone', () => {
    const flash = new MemoryFlash({ sectorSizeBytes: 64, sectorCount: 2, alignmentBytes: 16 });
    const io = new CoalescingReader(new FlashPartition(flash), false);
    const entry = Entry.create(io, 1, FORMAT_NO_CHECKSUM, text('key'), null, 123);
    expect(entry.isDeleted).toBe(true);
    expect(entry.magic).toBe(FORMAT_NO_CHECKSUM.magic);
    expect(entry.valueSize).toBe(0);
    expect(entry.transactionId).toBe(123);
  });

  it('ValidEntryInFlash.PassesChecksumVerification', () => {
    const { entry } = validEntryInFlash();
    expect(entry.verifyChecksumInFlash()).toBe('OK');
    expect(entry.verifyChecksum(text('key45'), Uint8Array.from(VALUE_1))).toBe('OK');
  });

  it('ValidEntryInFlash.HeaderContents', () => {
    const { entry } = validEntryInFlash();
    expect(entry.magic).toBe(MAGIC_WITH_CHECKSUM);
    expect(entry.keyLength).toBe(5);
    expect(entry.valueSize).toBe(6);
    expect(entry.transactionId).toBe(TRANSACTION_ID_1);
    expect(entry.isDeleted).toBe(false);
  });

  it('ValidEntryInFlash.ReadKey', () => {
    const { entry } = validEntryInFlash();
    const result = entry.readKey();
    expect(result.status).toBe('OK');
    expect(result.key.length).toBe(entry.keyLength);
    expect(result.key).toEqual(text('key45'));
  });

  it('ValidEntryInFlash.ReadValue', () => {
    const { entry } = validEntryInFlash();
    const value = new Uint8Array(32);
    expect(entry.readValue(value, 0)).toEqual({ status: 'OK', size: entry.valueSize });
    expect(value.subarray(0, 7)).toEqual(concat(str('VALUE!'), [0]));
  });

  it('ValidEntryInFlash.ReadValue_BufferTooSmall', () => {
    const { entry } = validEntryInFlash();
    const value = new Uint8Array(3);
    expect(entry.readValue(value, 0)).toEqual({ status: 'RESOURCE_EXHAUSTED', size: 3 });
    expect(value).toEqual(text('VAL'));
  });

  it('ValidEntryInFlash.ReadValue_WithOffset', () => {
    const { entry } = validEntryInFlash();
    const value = new Uint8Array(3);
    expect(entry.readValue(value, 3)).toEqual({ status: 'OK', size: 3 });
    expect(value).toEqual(text('UE!'));
  });

  it('ValidEntryInFlash.ReadValue_WithOffset_BufferTooSmall', () => {
    const { entry } = validEntryInFlash();
    const value = new Uint8Array(1);
    expect(entry.readValue(value, 4)).toEqual({ status: 'RESOURCE_EXHAUSTED', size: 1 });
    expect(value).toEqual(text('E'));
  });

  it('ValidEntryInFlash.ReadValue_WithOffset_EmptyRead', () => {
    const { entry } = validEntryInFlash();
    const value = new Uint8Array(16);
    value[0] = '?'.charCodeAt(0);
    expect(entry.readValue(value, 6)).toEqual({ status: 'OK', size: 0 });
    expect(value[0]).toBe('?'.charCodeAt(0));
  });

  it('ValidEntryInFlash.ReadValue_WithOffset_PastEnd', () => {
    const { entry } = validEntryInFlash();
    expect(entry.readValue(new Uint8Array(16), 7)).toEqual({ status: 'OUT_OF_RANGE', size: 0 });
  });

  it('ValidEntry.Write', () => {
    const { flash, io } = flashWith(undefined, 32);
    const entry = Entry.create(
      io,
      64,
      FORMAT_WITH_CHECKSUM,
      text('key45'),
      Uint8Array.from(VALUE_1),
      TRANSACTION_ID_1,
    );
    expect(entry.write(text('key45'), Uint8Array.from(VALUE_1))).toEqual({
      status: 'OK',
      size: 32,
    });
    expect(at(flash, 64, ENTRY_1.length)).toEqual(ENTRY_1);
  });

  it('TombstoneEntryInFlash.PassesChecksumVerification', () => {
    const { entry } = tombstoneEntryInFlash();
    expect(entry.verifyChecksumInFlash()).toBe('OK');
    expect(entry.verifyChecksum(text('K'), EMPTY)).toBe('OK');
  });

  it('TombstoneEntryInFlash.HeaderContents', () => {
    const { entry } = tombstoneEntryInFlash();
    expect(entry.magic).toBe(MAGIC_WITH_CHECKSUM);
    expect(entry.keyLength).toBe(1);
    expect(entry.valueSize).toBe(0);
    expect(entry.transactionId).toBe(0x03020100);
    expect(entry.isDeleted).toBe(true);
  });

  it('TombstoneEntryInFlash.ReadKey', () => {
    const { entry } = tombstoneEntryInFlash();
    const result = entry.readKey();
    expect(result.status).toBe('OK');
    expect(result.key.length).toBe(entry.keyLength);
    expect(result.key).toEqual(text('K'));
  });

  it('TombstoneEntryInFlash.ReadValue', () => {
    const { entry } = tombstoneEntryInFlash();
    expect(entry.readValue(new Uint8Array(32), 0)).toEqual({ status: 'OK', size: 0 });
  });

  it('TombstoneEntry.Write', () => {
    const { flash, io } = flashWith();
    const entry = Entry.create(io, 16, FORMAT_WITH_CHECKSUM, text('K'), null, 0x03020100);
    expect(entry.write(text('K'), EMPTY)).toEqual({ status: 'OK', size: 32 });
    expect(at(flash, 16, 32)).toEqual(TOMBSTONE_2);
  });

  it('Entry.Checksum_NoChecksumRequiresZero', () => {
    const { flash, io } = flashWith(ENTRY_1);
    const formats = new EntryFormats([
      entryFormat({ magic: MAGIC_WITH_CHECKSUM, checksum: 'none' }),
    ]);
    let entry = readEntry(io, 0, formats);
    expect(entry.verifyChecksumInFlash()).toBe('DATA_LOSS');
    expect(entry.verifyChecksum(EMPTY, EMPTY)).toBe('DATA_LOSS');

    flash.writeRaw(4, new Uint8Array(4)); // the checksum field to 0
    entry = readEntry(io, 0, formats);
    expect(entry.verifyChecksumInFlash()).toBe('OK');
    expect(entry.verifyChecksum(EMPTY, EMPTY)).toBe('OK');
  });

  it('Entry.Checksum_ChecksPadding', () => {
    const { flash, io } = flashWith(concat(HEADER_1, KEY_1, VALUE_1, [0, 0, 0, 0, 1]));
    const entry = readEntry(io, 0, FORMATS);
    // The last padding byte is 1: the check of the bytes on flash fails...
    expect(entry.verifyChecksumInFlash()).toBe('DATA_LOSS');
    // ...while the check against RAM counts the padding as zeros.
    expect(entry.verifyChecksum(text('key45'), Uint8Array.from(VALUE_1))).toBe('OK');

    flash.writeRaw(ENTRY_1.length - 1, Uint8Array.of(0));
    expect(entry.verifyChecksumInFlash()).toBe('OK');
  });

  it('ValidEntryInFlash.Update_SameFormat_TransactionIdIsUpdated', () => {
    const { entry } = validEntryInFlash();
    expect(entry.update(FORMAT_WITH_CHECKSUM, TRANSACTION_ID_1 + 3)).toBe('OK');
    expect(entry.magic).toBe(FORMAT_WITH_CHECKSUM.magic);
    expect(entry.address).toBe(0);
    expect(entry.transactionId).toBe(TRANSACTION_ID_1 + 3);
    expect(entry.isDeleted).toBe(false);
  });

  it('ValidEntryInFlash.Update_DifferentFormat_MagicAndTransactionIdAreUpdated', () => {
    const { entry } = validEntryInFlash();
    expect(entry.update(FORMAT_NO_CHECKSUM, TRANSACTION_ID_1 + 6)).toBe('OK');
    expect(entry.magic).toBe(FORMAT_NO_CHECKSUM.magic);
    expect(entry.address).toBe(0);
    expect(entry.transactionId).toBe(TRANSACTION_ID_1 + 6);
    expect(entry.isDeleted).toBe(false);
  });

  it('ValidEntryInFlash.Update_ReadError_WithChecksumIsError', () => {
    const { flash, entry } = validEntryInFlash();
    flash.injectReadError({ status: 'ABORTED' });
    expect(entry.update(FORMAT_WITH_CHECKSUM, TRANSACTION_ID_1 + 1)).toBe('ABORTED');
  });

  it('ValidEntryInFlash.Update_ReadError_NoChecksumIsOkay', () => {
    const { flash, entry } = validEntryInFlash();
    flash.injectReadError({ status: 'ABORTED' });
    expect(entry.update(NO_CHECKSUM_FORMAT, TRANSACTION_ID_1 + 1)).toBe('OK');
  });

  it('ValidEntryInFlash.Copy', () => {
    const { flash, entry } = validEntryInFlash();
    expect(entry.copy(123)).toEqual({ status: 'OK', size: entry.size });
    expect(at(flash, 123, ENTRY_1.length)).toEqual(ENTRY_1);
  });

  it('ValidEntryInFlash.Copy_ReadError', () => {
    const { flash, entry } = validEntryInFlash();
    flash.injectReadError({ status: 'UNIMPLEMENTED' });
    expect(entry.copy(ENTRY_1.length)).toEqual({ status: 'UNIMPLEMENTED', size: 0 });
  });

  it('ValidEntryInFlash.UpdateAndCopy_DifferentFormatSmallerAlignment', () => {
    // The partition's alignment (1, so 16-byte entries) is smaller than the entry's 32.
    const { flash, io, entry } = validEntryInFlash();
    expect(entry.update(FORMAT_WITH_SUM, TRANSACTION_ID_1 + 1)).toBe('OK');
    expect(entry.copy(ENTRY_1.length)).toEqual({ status: 'OK', size: ENTRY_1.length });

    const expected = newFormatWithSumEntry(16);
    expect(expected.length).toBe(32);
    expect(at(flash, ENTRY_1.length, expected.length)).toEqual(expected);
    const copy = readEntry(io, 32, FORMATS_WITH_SUM);
    expect(copy.verifyChecksumInFlash()).toBe('OK');
    expect(copy.magic).toBe(FORMAT_WITH_SUM.magic);
    expect(copy.transactionId).toBe(TRANSACTION_ID_1 + 1);
  });

  for (const alignmentBytes of [32, 64]) {
    const name = alignmentBytes === 32 ? 'SameAlignment' : 'LargerAlignment';
    it(`Entry.UpdateAndCopy_DifferentFormat${name}`, () => {
      const { flash, io } = flashWith(ENTRY_1, alignmentBytes);
      const entry = readEntry(io, 0, FORMATS);
      expect(entry.update(FORMAT_WITH_SUM, TRANSACTION_ID_1 + 1)).toBe('OK');
      expect(entry.copy(alignmentBytes)).toEqual({
        status: 'OK',
        size: alignUp(ENTRY_1.length, alignmentBytes),
      });

      const expected = newFormatWithSumEntry(alignmentBytes);
      expect(expected.length).toBe(alignmentBytes);
      expect(at(flash, alignmentBytes, expected.length)).toEqual(expected);
      const copy = readEntry(io, alignmentBytes, FORMATS_WITH_SUM);
      expect(copy.verifyChecksumInFlash()).toBe('OK');
      expect(copy.transactionId).toBe(TRANSACTION_ID_1 + 1);
    });
  }

  it('ValidEntryInFlash.UpdateAndCopy_NoChecksum_UpdatesToNewFormat', () => {
    const { flash, entry } = validEntryInFlash();
    const noChecksum = entryFormat({ magic: 0x43fae18f, checksum: 'none' });
    expect(entry.update(noChecksum, TRANSACTION_ID_1 + 1)).toBe('OK');
    expect(entry.copy(ENTRY_1.length)).toEqual({ status: 'OK', size: ENTRY_1.length });

    const expected = concat(
      u32(noChecksum.magic),
      u32(0), // checksum (none)
      [0], // alignment (16 B, was 32)
      [KEY_1.length],
      u16(VALUE_1.length),
      u32(TRANSACTION_ID_1 + 1),
      KEY_1,
      VALUE_1,
      PADDING_1,
    );
    expect(at(flash, ENTRY_1.length, expected.length)).toEqual(expected);
  });

  it('ValidEntryInFlash.UpdateAndCopyMultple_DifferentFormat', () => {
    const { io, entry } = validEntryInFlash();
    expect(entry.update(FORMAT_WITH_SUM, TRANSACTION_ID_1 + 6)).toBe('OK');
    const start = entry.size;
    for (let i = 0; i < 10; i++) {
      expect(entry.copy(start + i * entry.size)).toEqual({ status: 'OK', size: ENTRY_1.length });
    }
    for (let j = 0; j < 10; j++) {
      const address = start + j * entry.size;
      const copy = readEntry(io, address, FORMATS_WITH_SUM);
      expect(copy.verifyChecksumInFlash()).toBe('OK');
      expect(copy.magic).toBe(FORMAT_WITH_SUM.magic);
      expect(copy.address).toBe(address);
      expect(copy.transactionId).toBe(TRANSACTION_ID_1 + 6);
      expect(copy.isDeleted).toBe(false);
    }
  });

  it('ValidEntryInFlash.DifferentFormat_UpdatedCopy_FailsWithWrongMagic', () => {
    const { io, entry } = validEntryInFlash();
    expect(entry.update(FORMAT_WITH_SUM, TRANSACTION_ID_1 + 6)).toBe('OK');
    const address = entry.size;
    expect(entry.copy(address)).toEqual({ status: 'OK', size: ENTRY_1.length });
    expect(Entry.read(io, address, FORMATS).status).toBe('DATA_LOSS');
  });

  it('ValidEntryInFlash.UpdateAndCopy_WriteError', () => {
    const { flash, entry } = validEntryInFlash();
    flash.injectWriteError({ status: 'CANCELLED' });
    expect(entry.update(NO_CHECKSUM_FORMAT, TRANSACTION_ID_1 + 1)).toBe('OK');
    expect(entry.copy(ENTRY_1.length)).toEqual({ status: 'CANCELLED', size: ENTRY_1.length });
  });
});
