import { type ChecksumName, crc16Ccitt, crc32 } from '../format/checksum.js';
import {
  CHECKSUM_OFFSET,
  ENTRY_HEADER_SIZE,
  type EntryHeader,
  MAX_KEY_LENGTH,
  alignUp,
  alignmentUnitsToBytes,
  decodeEntryHeader,
  entryContentSize,
  entrySize,
} from '../format/entry-header.js';

/** A header read from raw image bytes, before any format is assumed. */
export interface ProbedEntry {
  readonly address: number;
  readonly header: EntryHeader;
  /** Bytes on flash, padding included. */
  readonly sizeBytes: number;
}

/** True if the 4 bytes at `address` read as erased flash. */
export function isErasedWord(bytes: Uint8Array, address: number): boolean {
  return (
    bytes[address] === 0xff &&
    bytes[address + 1] === 0xff &&
    bytes[address + 2] === 0xff &&
    bytes[address + 3] === 0xff
  );
}

/** The first byte in [start, end) that is not 0xFF, or -1. */
export function firstUnerased(bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) if (bytes[i] !== 0xff) return i;
  return -1;
}

/**
 * The header at `address` if it could start an entry that ends by `end`: a key of 1..63
 * bytes, an alignment pw_kvs writes (16..256 bytes), and the whole entry before `end`.
 */
export function probeEntry(bytes: Uint8Array, address: number, end: number): ProbedEntry | null {
  if (address + ENTRY_HEADER_SIZE > end) return null;
  const header = decodeEntryHeader(bytes.subarray(address, address + ENTRY_HEADER_SIZE));
  if (header.keyLength === 0 || header.keyLength > MAX_KEY_LENGTH) return null;
  if (header.alignmentUnits > 15) return null;
  const sizeBytes = entrySize(header);
  if (address + sizeBytes > end) return null;
  return { address, header, sizeBytes };
}

/**
 * True if the entry's checksum field holds what `checksum` computes over its header (field
 * zeroed), key, value and zero padding, exactly as pw_kvs checks it.
 */
export function isChecksumValid(
  bytes: Uint8Array,
  entry: ProbedEntry,
  checksum: ChecksumName,
): boolean {
  const field = entry.header.checksum;
  if (checksum === 'ignore') return true;
  if (checksum === 'none') return field === 0;
  const { address } = entry;
  const content = entryContentSize(entry.header);
  const padding = alignUp(content, alignmentUnitsToBytes(entry.header.alignmentUnits)) - content;
  const header = bytes.slice(address, address + ENTRY_HEADER_SIZE);
  header.fill(0, CHECKSUM_OFFSET, CHECKSUM_OFFSET + 4);
  const body = bytes.subarray(address + ENTRY_HEADER_SIZE, address + content);
  const zeros = new Uint8Array(padding);
  if (checksum === 'crc16') {
    const crc = crc16Ccitt(zeros, crc16Ccitt(body, crc16Ccitt(header)));
    return (field & 0xffff) === crc;
  }
  return field === crc32(zeros, crc32(body, crc32(header)));
}

/** The key bytes of a probed entry (a view into `bytes`). */
export function probedKey(bytes: Uint8Array, entry: ProbedEntry): Uint8Array {
  const start = entry.address + ENTRY_HEADER_SIZE;
  return bytes.subarray(start, start + entry.header.keyLength);
}
