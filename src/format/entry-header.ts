/** Bytes in an entry header; also the smallest entry alignment. */
export const ENTRY_HEADER_SIZE = 16;
/** Entries start on multiples of this many bytes, whatever their own alignment. */
export const MIN_ALIGNMENT_BYTES = 16;
/** Longest key in bytes (6 bits of the key-length byte). */
export const MAX_KEY_LENGTH = 0b111111;
/** Value-size field of a tombstone (a deleted key, no value). */
export const TOMBSTONE_VALUE_SIZE = 0xffff;
/** Offset of the 4-byte checksum field inside the header. */
export const CHECKSUM_OFFSET = 4;

/** The 16-byte header that starts every entry on flash (little-endian, packed). */
export interface EntryHeader {
  /** Identifies the entry format (and so the checksum algorithm). */
  magic: number;
  /** Checksum field, read as a little-endian u32. */
  checksum: number;
  /** Entry alignment is (alignmentUnits + 1) × 16 bytes. */
  alignmentUnits: number;
  /** Key length byte as stored (valid keys are 1..63). */
  keyLength: number;
  /** Value size in bytes, or TOMBSTONE_VALUE_SIZE for a deleted key. */
  valueSize: number;
  /** Global write counter; the highest wins. */
  transactionId: number;
}

/** The little-endian u32 at `offset` of `bytes`. */
export function readU32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! |
      (bytes[offset + 1]! << 8) |
      (bytes[offset + 2]! << 16) |
      (bytes[offset + 3]! << 24)) >>>
    0
  );
}

function putU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value & 0xff;
  out[offset + 1] = (value >>> 8) & 0xff;
  out[offset + 2] = (value >>> 16) & 0xff;
  out[offset + 3] = (value >>> 24) & 0xff;
}

/** A header of zeros, to decode into. */
export function zeroEntryHeader(): EntryHeader {
  return { magic: 0, checksum: 0, alignmentUnits: 0, keyLength: 0, valueSize: 0, transactionId: 0 };
}

/** Decodes a header from the first 16 bytes of `bytes` (little-endian). */
export function decodeEntryHeader(bytes: Uint8Array): EntryHeader {
  return decodeEntryHeaderInto(bytes, 0, zeroEntryHeader());
}

/** Decodes the header at `offset` of `bytes` into `header`, and returns it. */
export function decodeEntryHeaderInto(
  bytes: Uint8Array,
  offset: number,
  header: EntryHeader,
): EntryHeader {
  header.magic = readU32(bytes, offset);
  header.checksum = readU32(bytes, offset + 4);
  header.alignmentUnits = bytes[offset + 8]!;
  header.keyLength = bytes[offset + 9]!;
  header.valueSize = bytes[offset + 10]! | (bytes[offset + 11]! << 8);
  header.transactionId = readU32(bytes, offset + 12);
  return header;
}

/** Encodes a header into the first 16 bytes of `out` (a new array when omitted). */
export function encodeEntryHeader(
  header: EntryHeader,
  out: Uint8Array = new Uint8Array(ENTRY_HEADER_SIZE),
): Uint8Array {
  putU32(out, 0, header.magic);
  putU32(out, 4, header.checksum);
  out[8] = header.alignmentUnits & 0xff;
  out[9] = header.keyLength & 0xff;
  out[10] = header.valueSize & 0xff;
  out[11] = (header.valueSize >>> 8) & 0xff;
  putU32(out, 12, header.transactionId);
  return out;
}

/** Rounds `value` up to a multiple of `alignment`. */
export function alignUp(value: number, alignment: number): number {
  // A power of two (as entry alignments are) rounds with a mask instead of a division.
  if (value >= 0 && value < 0x40000000 && alignment > 0 && (alignment & (alignment - 1)) === 0) {
    return (value + alignment - 1) & -alignment;
  }
  return Math.ceil(value / alignment) * alignment;
}

/** Rounds `value` down to a multiple of `alignment`. */
export function alignDown(value: number, alignment: number): number {
  return Math.floor(value / alignment) * alignment;
}

/** Alignment units stored in headers written on a partition of `alignmentBytes`. */
export function alignmentBytesToUnits(alignmentBytes: number): number {
  return Math.ceil(alignmentBytes / 16) - 1;
}

/** Entry alignment in bytes for a header's alignment units. */
export function alignmentUnitsToBytes(alignmentUnits: number): number {
  return (alignmentUnits + 1) * 16;
}

/** True if the header describes a tombstone. */
export function isTombstone(header: EntryHeader): boolean {
  return header.valueSize === TOMBSTONE_VALUE_SIZE;
}

/** Value bytes the entry holds (0 for a tombstone). */
export function headerValueSize(header: EntryHeader): number {
  return isTombstone(header) ? 0 : header.valueSize;
}

/** Header + key + value bytes, before padding. */
export function entryContentSize(header: EntryHeader): number {
  return ENTRY_HEADER_SIZE + header.keyLength + headerValueSize(header);
}

/** Total bytes the entry occupies on flash, padding included, sized by its own alignment. */
export function entrySize(header: EntryHeader): number {
  return alignUp(entryContentSize(header), alignmentUnitsToBytes(header.alignmentUnits));
}

/**
 * Bytes a new entry with this key and value length occupies on a partition with the given
 * write alignment.
 */
export function entrySizeFor(
  keyLength: number,
  valueLength: number,
  partitionAlignmentBytes: number,
): number {
  return alignUp(
    ENTRY_HEADER_SIZE + keyLength + valueLength,
    Math.max(partitionAlignmentBytes, MIN_ALIGNMENT_BYTES),
  );
}
