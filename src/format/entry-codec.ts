// The entry codec: how the bytes of one entry are read, for the engine (through its flash
// reader) and for the image tools (from a whole image in RAM). Nothing here allocates: the
// caller passes the header to decode into, and checksums run over the bytes where they lie.
import {
  type ChecksumAlgorithm,
  checksumMatches,
  updateChecksumRange,
  updateChecksumZeros,
} from './checksum.js';
import {
  CHECKSUM_OFFSET,
  ENTRY_HEADER_SIZE,
  type EntryHeader,
  MAX_KEY_LENGTH,
  decodeEntryHeaderInto,
  entryContentSize,
  entrySize,
  headerValueSize,
  readU32,
  zeroEntryHeader,
} from './entry-header.js';

/**
 * What decoding found at an offset: an entry (`OK`), erased flash (`ERASED`: the magic reads
 * 0xFFFFFFFF), or bytes that cannot be an entry: a key length outside 1..63
 * (`BAD_KEY_LENGTH`), an alignment pw_kvs never writes, above 256 bytes (`BAD_ALIGNMENT`), or
 * an entry that would run past the end of the bytes (`TRUNCATED`).
 */
export type EntryDecodeStatus = 'OK' | 'ERASED' | 'BAD_KEY_LENGTH' | 'BAD_ALIGNMENT' | 'TRUNCATED';

/** Largest alignment units pw_kvs writes: (15 + 1) × 16 = 256-byte entries. */
const MAX_ALIGNMENT_UNITS = 15;

/**
 * Decodes the header at `offset` of `bytes` into `header` with the checks pw_kvs's
 * Entry::Read makes, and its statuses: NOT_FOUND (the header is not touched) when the magic
 * reads as erased flash, DATA_LOSS when the key length is above 63, else OK. The caller has
 * made sure the 16 header bytes are there.
 */
export function decodeHeaderAt(
  bytes: Uint8Array,
  offset: number,
  header: EntryHeader,
): 'OK' | 'NOT_FOUND' | 'DATA_LOSS' {
  if (readU32(bytes, offset) === 0xffffffff) return 'NOT_FOUND';
  decodeEntryHeaderInto(bytes, offset, header);
  return header.keyLength > MAX_KEY_LENGTH ? 'DATA_LOSS' : 'OK';
}

/**
 * One entry decoded from a byte array (see {@link decodeEntryAt}): where it starts, its
 * header, its size on flash and where its key and value lie. Offsets count from the start of
 * the array the entry was decoded from.
 */
export class DecodedEntry {
  /** Where the entry starts. */
  address = 0;
  /** Bytes on flash, header, key, value and padding. */
  sizeBytes = 0;
  readonly header: EntryHeader = zeroEntryHeader();

  /** Where the key starts (right after the header). */
  get keyOffset(): number {
    return this.address + ENTRY_HEADER_SIZE;
  }

  /** Where the value starts (right after the key); also where the key ends. */
  get valueOffset(): number {
    return this.address + ENTRY_HEADER_SIZE + this.header.keyLength;
  }

  /** Where the value ends and the zero padding starts. */
  get valueEnd(): number {
    return this.valueOffset + headerValueSize(this.header);
  }
}

/**
 * Decodes the entry at `offset` of `bytes` into `entry`, for bytes of unknown origin (a raw
 * image): past {@link decodeHeaderAt}'s checks, the key must be 1..63 bytes, the alignment one
 * pw_kvs writes (16..256 bytes), and the whole entry must end by `end`. On `OK`, `entry` holds
 * the address, header and size; on other statuses its fields are unspecified. The checksum is
 * not checked: see {@link entryChecksumMatches}.
 */
export function decodeEntryAt(
  bytes: Uint8Array,
  offset: number,
  end: number,
  entry: DecodedEntry,
): EntryDecodeStatus {
  if (offset + ENTRY_HEADER_SIZE > end) {
    return readU32(bytes, offset) === 0xffffffff ? 'ERASED' : 'TRUNCATED';
  }
  const header = entry.header;
  const status = decodeHeaderAt(bytes, offset, header);
  if (status !== 'OK') return status === 'NOT_FOUND' ? 'ERASED' : 'BAD_KEY_LENGTH';
  if (header.keyLength === 0) return 'BAD_KEY_LENGTH';
  if (header.alignmentUnits > MAX_ALIGNMENT_UNITS) return 'BAD_ALIGNMENT';
  const sizeBytes = entrySize(header);
  if (offset + sizeBytes > end) return 'TRUNCATED';
  entry.address = offset;
  entry.sizeBytes = sizeBytes;
  return 'OK';
}

/**
 * True if the checksum field of `header` holds what `algorithm` computes over the entry at
 * `offset` of `bytes`: its header with the field counted as zeros, key, value and the padding
 * to its alignment. pw_kvs checks the padding two ways: a read (Get's verify-on-read) counts it
 * as zeros, its init counts the bytes as they lie on flash (VerifyChecksumInFlash), so a
 * non-zero padding byte passes the one and fails the other. `padding` picks: `'zeros'` (the
 * default; the padding is not read, only the header, key and value must be in `bytes`) or
 * `'as-stored'` (the whole entry must be in `bytes`). A null algorithm (a format without
 * checksums) accepts only a zero field, whatever the padding.
 */
export function entryChecksumMatches(
  bytes: Uint8Array,
  offset: number,
  header: EntryHeader,
  algorithm: ChecksumAlgorithm | null,
  padding: 'zeros' | 'as-stored' = 'zeros',
): boolean {
  if (algorithm === null) return header.checksum === 0;
  algorithm.reset();
  if (padding === 'as-stored') {
    updateEntryChecksum(algorithm, bytes, offset, entrySize(header), 0);
  } else {
    const content = entryContentSize(header);
    updateEntryChecksum(algorithm, bytes, offset, content, 0);
    updateChecksumZeros(algorithm, entrySize(header) - content);
  }
  return checksumMatches(algorithm, header.checksum);
}

/**
 * Adds the entry bytes `bytes[start..start + length)`, which sit at `entryOffset` of their
 * entry, to `algorithm`, with the header's checksum field counted as zeros: an entry streamed
 * off flash in chunks is checksummed one chunk at a time.
 */
export function updateEntryChecksum(
  algorithm: ChecksumAlgorithm,
  bytes: Uint8Array,
  start: number,
  length: number,
  entryOffset: number,
): void {
  const fieldStart = Math.min(Math.max(CHECKSUM_OFFSET - entryOffset, 0), length);
  const fieldEnd = Math.min(Math.max(CHECKSUM_OFFSET + 4 - entryOffset, 0), length);
  updateChecksumRange(algorithm, bytes, start, start + fieldStart);
  updateChecksumZeros(algorithm, fieldEnd - fieldStart);
  updateChecksumRange(algorithm, bytes, start + fieldEnd, start + length);
}
