import { describe, expect, it } from 'vitest';
import {
  ENTRY_HEADER_SIZE,
  alignmentBytesToUnits,
  decodeEntryHeader,
  encodeEntryHeader,
  entrySize,
  entrySizeFor,
} from '../../src/format/entry-header.js';

/** Header bytes written out by hand, field by field, little-endian. */
function handBuiltHeader(): Uint8Array {
  return new Uint8Array([
    0xa9,
    0xa8,
    0x53,
    0xd2, // magic 0xd253a8a9
    0x34,
    0x12,
    0x00,
    0x00, // checksum 0x1234 (CRC-16 in bytes 4-5, 6-7 zero)
    0x00, // alignment units: 16-byte entries
    0x05, // key length
    0x0a,
    0x00, // value size 10
    0x07,
    0x00,
    0x00,
    0x01, // transaction id 0x01000007
  ]);
}

describe('entry header codec', () => {
  it('decodes hand-built bytes field by field', () => {
    expect(decodeEntryHeader(handBuiltHeader())).toEqual({
      magic: 0xd253a8a9,
      checksum: 0x1234,
      alignmentUnits: 0,
      keyLength: 5,
      valueSize: 10,
      transactionId: 0x01000007,
    });
  });

  it('encodes to the same bytes', () => {
    const header = decodeEntryHeader(handBuiltHeader());
    expect(Array.from(encodeEntryHeader(header))).toEqual(Array.from(handBuiltHeader()));
  });

  it('decodes from a view with a byte offset', () => {
    const backing = new Uint8Array(40).fill(0xee);
    backing.set(handBuiltHeader(), 7);
    expect(decodeEntryHeader(backing.subarray(7)).transactionId).toBe(0x01000007);
  });

  it('sizes entries by their own alignment units, tombstones without a value', () => {
    const header = decodeEntryHeader(handBuiltHeader());
    expect(entrySize(header)).toBe(32); // 16 + 5 + 10 = 31 -> 32
    expect(entrySize({ ...header, alignmentUnits: 3 })).toBe(64);
    expect(entrySize({ ...header, valueSize: 0xffff })).toBe(32); // 21 -> 32
    expect(entrySize({ ...header, keyLength: 16, valueSize: 0 })).toBe(32);
    // Alignments that are not powers of two (3 × 16 and 5 × 16 bytes) round up too.
    expect(entrySize({ ...header, alignmentUnits: 2 })).toBe(48);
    expect(entrySize({ ...header, alignmentUnits: 2, valueSize: 40 })).toBe(96); // 61 -> 96
    expect(entrySize({ ...header, alignmentUnits: 4, valueSize: 59 })).toBe(80); // 80 -> 80
  });

  it('maps partition alignment to units and sizes new entries', () => {
    expect([1, 8, 16, 17, 32, 48, 256].map(alignmentBytesToUnits)).toEqual([0, 0, 0, 1, 1, 2, 15]);
    expect(entrySizeFor(9, 32, 16)).toBe(64);
    expect(entrySizeFor(9, 32, 1)).toBe(64);
    expect(entrySizeFor(1, 0, 256)).toBe(256);
    expect(entrySizeFor(9, 32, 48)).toBe(96);
    expect(ENTRY_HEADER_SIZE).toBe(16);
  });
});
