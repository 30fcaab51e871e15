import { describe, expect, it } from 'vitest';
import { CoalescingReader } from '../../src/engine/_coalescing-reader.js';
import { Entry } from '../../src/engine/entry.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { EntryFormats, entryFormat } from '../../src/format/entry-format.js';
import { crc16Ccitt } from '../../src/format/checksum.js';

const text = (value: string) => new TextEncoder().encode(value);
const MAGIC = 0x12345678;
const LEGACY = 0x0badcafe;

function setUp(alignmentBytes = 16) {
  const flash = new MemoryFlash({ sectorSizeBytes: 512, sectorCount: 2, alignmentBytes });
  const io = new CoalescingReader(new FlashPartition(flash), false);
  const formats = new EntryFormats([
    entryFormat({ magic: MAGIC }),
    entryFormat({ magic: LEGACY, checksum: 'crc32' }),
  ]);
  return { flash, io, formats };
}

describe('Entry', () => {
  it('writes header, key, value and zero padding: the bytes pw_kvs writes', () => {
    const { flash, io, formats } = setUp();
    const entry = Entry.create(io, 0, formats.primary, text('key'), text('value'), 7);
    expect(entry.write(text('key'), text('value'))).toEqual({ status: 'OK', size: 32 });
    const bytes = flash.snapshot().subarray(0, 32);
    // magic, checksum (CRC-16 in bytes 4-5, 6-7 zero), alignment units, key length,
    // value size, transaction id, then key, value and zero padding.
    const content = [
      ...[0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 3, 5, 0, 7, 0, 0, 0],
      ...text('key'),
      ...text('value'),
      ...new Array<number>(8).fill(0),
    ];
    const crc = crc16Ccitt(Uint8Array.from(content));
    content[4] = crc & 0xff;
    content[5] = crc >> 8;
    expect([...bytes]).toEqual(content);
    expect(entry.size).toBe(32);
    expect(entry.contentSize).toBe(24);
    expect(entry.address + entry.size).toBe(32);
  });

  it('reads back what it wrote, and checks it', () => {
    const { io, formats } = setUp();
    Entry.create(io, 0, formats.primary, text('key'), text('value'), 7).write(
      text('key'),
      text('value'),
    );
    const read = Entry.read(io, 0, formats);
    expect(read.status).toBe('OK');
    const entry = read.entry!;
    expect([entry.magic, entry.transactionId, entry.keyLength, entry.valueSize]).toEqual([
      MAGIC,
      7,
      3,
      5,
    ]);
    expect(entry.isDeleted).toBe(false);
    expect(entry.readKey()).toEqual({ status: 'OK', key: text('key') });
    expect(entry.verifyChecksumInFlash()).toBe('OK');
    expect(entry.verifyChecksum(text('key'), text('value'))).toBe('OK');
    expect(entry.verifyChecksum(text('key'), text('valuE'))).toBe('DATA_LOSS');
    expect(entry.valueMatches(text('value'))).toBe('OK');
    expect(entry.valueMatches(text('valuE'))).toBe('NOT_FOUND');
    expect(entry.valueMatches(text('val'))).toBe('NOT_FOUND');
  });

  it('reads a value from an offset, into a short buffer, or past its end', () => {
    const { io, formats } = setUp();
    const entry = Entry.create(io, 0, formats.primary, text('k'), text('abcdef'), 1);
    entry.write(text('k'), text('abcdef'));
    const buffer = new Uint8Array(4);
    expect(entry.readValue(buffer, 0)).toEqual({ status: 'RESOURCE_EXHAUSTED', size: 4 });
    expect([...buffer]).toEqual([...text('abcd')]);
    expect(entry.readValue(buffer, 3)).toEqual({ status: 'OK', size: 3 });
    expect(entry.readValue(buffer, 6)).toEqual({ status: 'OK', size: 0 });
    expect(entry.readValue(buffer, 7)).toEqual({ status: 'OUT_OF_RANGE', size: 0 });
  });

  it('a tombstone has no value and the tombstone value size', () => {
    const { flash, io, formats } = setUp();
    const entry = Entry.create(io, 0, formats.primary, text('k'), null, 2);
    entry.write(text('k'), new Uint8Array(0));
    expect(entry.isDeleted).toBe(true);
    expect(entry.valueSize).toBe(0);
    expect([...flash.snapshot().subarray(10, 12)]).toEqual([0xff, 0xff]);
    expect(Entry.read(io, 0, formats).entry!.verifyChecksumInFlash()).toBe('OK');
  });

  it('finds damage anywhere in the entry, padding included', () => {
    for (let offset = 0; offset < 32; offset++) {
      if (offset === 6 || offset === 7) continue; // CRC-16 leaves these bytes unchecked
      const { flash, io, formats } = setUp();
      Entry.create(io, 0, formats.primary, text('key'), text('value'), 7).write(
        text('key'),
        text('value'),
      );
      flash.corruptByte(offset, 0x10);
      const read = Entry.read(io, 0, formats);
      const status = read.status === 'OK' ? read.entry.verifyChecksumInFlash() : read.status;
      // The value size's high byte makes the entry run past the partition: the read fails.
      expect(status, `byte ${offset}`).toBe(offset === 11 ? 'OUT_OF_RANGE' : 'DATA_LOSS');
    }
  });

  it('reading: erased is NOT_FOUND; an unknown magic or a key over 63 bytes is DATA_LOSS', () => {
    const { flash, io, formats } = setUp();
    expect(Entry.read(io, 0, formats).status).toBe('NOT_FOUND');
    flash.writeRaw(0, Uint8Array.of(1, 2, 3, 4, 0, 0, 0, 0, 0, 3, 1, 0, 1, 0, 0, 0));
    expect(Entry.read(io, 0, formats).status).toBe('DATA_LOSS');
    flash.writeRaw(32, Uint8Array.of(0x78, 0x56, 0x34, 0x12, 0, 0, 0, 0, 0, 64, 1, 0, 1, 0, 0, 0));
    expect(Entry.read(io, 32, formats).status).toBe('DATA_LOSS');
    expect(Entry.readKeyAt(io, 0, 0).status).toBe('DATA_LOSS');
    expect(Entry.readKeyAt(io, 0, 64).status).toBe('DATA_LOSS');
  });

  it('update moves an entry to another format and id; copy writes it elsewhere, valid', () => {
    const { flash, io, formats } = setUp();
    const legacy = formats.find(LEGACY)!;
    Entry.create(io, 0, legacy, text('key'), text('value'), 3).write(text('key'), text('value'));
    const entry = Entry.read(io, 0, formats).entry!;
    expect(entry.verifyChecksumInFlash()).toBe('OK');
    expect(entry.update(formats.primary, 9)).toBe('OK');
    expect(entry.copy(512)).toEqual({ status: 'OK', size: 32 });
    const copied = Entry.read(io, 512, formats).entry!;
    expect([copied.magic, copied.transactionId]).toEqual([MAGIC, 9]);
    expect(copied.verifyChecksumInFlash()).toBe('OK');
    // The same entry written directly in the primary format has the same bytes.
    const direct = setUp();
    Entry.create(direct.io, 0, direct.formats.primary, text('key'), text('value'), 9).write(
      text('key'),
      text('value'),
    );
    expect(flash.snapshot().subarray(512, 544)).toEqual(direct.flash.snapshot().subarray(0, 32));
  });

  it('pads to the partition alignment', () => {
    const { flash, io, formats } = setUp(64);
    const entry = Entry.create(io, 0, formats.primary, text('k'), text('v'), 1);
    expect(entry.alignmentBytes).toBe(64);
    expect(entry.write(text('k'), text('v'))).toEqual({ status: 'OK', size: 64 });
    expect(flash.snapshot()[8]).toBe(3);
    expect(Entry.read(io, 0, formats).entry!.verifyChecksumInFlash()).toBe('OK');
  });
});
