import type { FlashResult } from '../flash/flash-memory.js';
import { okFlashResult } from '../flash/flash-memory.js';
import type { CoalescingReader } from './_coalescing-reader.js';
import {
  checksumField,
  checksumMatches,
  updateChecksumRange,
  updateChecksumZeros,
} from '../format/checksum.js';
import {
  decodeHeaderAt,
  entryChecksumMatches,
  updateEntryChecksum,
} from '../format/entry-codec.js';
import type { EntryFormat, EntryFormats } from '../format/entry-format.js';
import {
  CHECKSUM_OFFSET,
  ENTRY_HEADER_SIZE,
  type EntryHeader,
  MAX_KEY_LENGTH,
  MIN_ALIGNMENT_BYTES,
  TOMBSTONE_VALUE_SIZE,
  alignUp,
  alignmentBytesToUnits,
  alignmentUnitsToBytes,
  encodeEntryHeader,
  entryContentSize,
  entrySize,
  headerValueSize,
  isTombstone,
  readU32,
  zeroEntryHeader,
} from '../format/entry-header.js';
import type { StatusCode } from '../status.js';
import { AlignedWriter, WRITE_BUFFER_SIZE } from './_aligned-writer.js';

/** Chunk size pw_kvs uses when it streams an entry off flash (2 × 16 bytes). */
const READ_CHUNK_BYTES = 2 * MIN_ALIGNMENT_BYTES;

// Scratch buffers: the engine is single-threaded and none of these outlives one call.
const HEADER_SCRATCH = new Uint8Array(ENTRY_HEADER_SIZE);
const CHUNK_SCRATCH = new Uint8Array(READ_CHUNK_BYTES);
const ENTRY_SCRATCH = new Uint8Array(WRITE_BUFFER_SIZE);
const EMPTY = new Uint8Array(0);

/**
 * Bumped whenever ENTRY_SCRATCH changes; an entry that wrote from it records the value, so it
 * knows the buffer still holds what it wrote (at `writtenAddress`).
 */
let scratchGeneration = 0;
let writtenAddress = -1;

/** Views of ENTRY_SCRATCH's start by length, made on first use (making a view is slow). */
const SCRATCH_VIEWS = new Array<Uint8Array | undefined>(WRITE_BUFFER_SIZE + 1).fill(undefined);

function scratchView(length: number): Uint8Array {
  return (SCRATCH_VIEWS[length] ??= ENTRY_SCRATCH.subarray(0, length));
}

/**
 * True if an entry of `contentBytes` (header, key and value) with this alignment fits the
 * write buffer: pw_kvs's writer then issues one aligned, zero-padded write for it.
 */
function fitsOneWrite(contentBytes: number, alignmentBytes: number): boolean {
  return (
    alignmentBytes <= WRITE_BUFFER_SIZE &&
    contentBytes <= WRITE_BUFFER_SIZE - (WRITE_BUFFER_SIZE % alignmentBytes)
  );
}

/** Reading an entry: the entry, or why there is none (erased, corrupt, or a flash error). */
export type EntryReadResult =
  | { readonly status: 'OK'; readonly entry: Entry }
  | { readonly status: Exclude<StatusCode, 'OK'>; readonly entry?: undefined };

/** Reading a key: the status and the bytes read (the buffer is filled even on most errors). */
export interface KeyReadResult {
  readonly status: StatusCode;
  readonly key: Uint8Array;
}

/**
 * One entry on flash: where it is, the format it was read with, and its header. The header may
 * be newer than what flash holds (an entry being rewritten into another format), so copies are
 * written from this header plus the key and value bytes still on flash.
 */
export class Entry {
  /** The scratch generation this entry's last write left (see scratchGeneration). */
  #writtenGeneration = -1;
  #format: EntryFormat;

  /** The reader every flash access of this entry goes through. */
  readonly #io: CoalescingReader;
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare address: number;
  declare readonly header: EntryHeader;

  private constructor(
    io: CoalescingReader,
    address: number,
    format: EntryFormat,
    header: EntryHeader,
  ) {
    this.#io = io;
    this.address = address;
    this.#format = format;
    this.header = header;
  }

  /**
   * Reads the header at `address`. NOT_FOUND: the magic reads as erased; DATA_LOSS: the key
   * length is impossible or the magic belongs to no readable format; else the flash's status.
   */
  static read(
    partition: CoalescingReader,
    address: number,
    formats: EntryFormats,
  ): EntryReadResult {
    const entry = Entry.reusable(partition, formats.primary);
    const status = Entry.readInto(partition, address, formats, entry);
    return status === 'OK' ? { status, entry } : { status };
  }

  /**
   * A reusable entry for {@link readInto}: for reads whose entry does not outlive the
   * operation, so that they allocate nothing.
   */
  static reusable(partition: CoalescingReader, format: EntryFormat): Entry {
    return new Entry(partition, 0, format, zeroEntryHeader());
  }

  /**
   * {@link read} into `target` (made by {@link reusable}): the same reads and statuses; on OK,
   * `target` is the entry at `address`. Through a CoalescingReader the header is decoded where
   * it was loaded.
   */
  static readInto(
    partition: CoalescingReader,
    address: number,
    formats: EntryFormats,
    target: Entry,
  ): StatusCode {
    const status = partition.load(address, ENTRY_HEADER_SIZE);
    if (status !== 'OK') return status;
    const decoded = decodeHeaderAt(partition.loadedBytes, partition.loadedOffset, target.header);
    if (decoded !== 'OK') return decoded;
    const format = formats.find(target.header.magic);
    if (format === undefined) return 'DATA_LOSS';
    target.address = address;
    target.#format = format;
    return 'OK';
  }

  /** Reads `keyLength` key bytes of the entry at `address` (1..63, else DATA_LOSS). */
  static readKeyAt(partition: CoalescingReader, address: number, keyLength: number): KeyReadResult {
    const key = new Uint8Array(keyLength);
    if (keyLength === 0 || keyLength > MAX_KEY_LENGTH) return { status: 'DATA_LOSS', key };
    return { status: partition.read(address + ENTRY_HEADER_SIZE, key).status, key };
  }

  /**
   * A new entry in `format`, aligned for `partition`, holding `value` (null for a tombstone),
   * with its checksum computed. Nothing is written yet. With `target` (made by
   * {@link reusable} on the same partition), that entry becomes the new one instead of a new
   * object, for writes whose entry does not outlive the operation.
   */
  static create(
    partition: CoalescingReader,
    address: number,
    format: EntryFormat,
    key: Uint8Array,
    value: Uint8Array | null,
    transactionId: number,
    target?: Entry,
  ): Entry {
    const entry = target ?? Entry.reusable(partition, format);
    entry.address = address;
    entry.#format = format;
    const header = entry.header;
    header.magic = format.magic;
    header.checksum = 0;
    header.alignmentUnits = alignmentBytesToUnits(partition.alignmentBytes);
    header.keyLength = key.length;
    header.valueSize = value === null ? TOMBSTONE_VALUE_SIZE : value.length;
    header.transactionId = transactionId;
    const algorithm = format.checksum;
    if (algorithm === null) return entry;
    const valueBytes = value ?? EMPTY;
    const alignment = entry.alignmentBytes;
    const content = ENTRY_HEADER_SIZE + key.length + valueBytes.length;
    if (fitsOneWrite(content, alignment)) {
      // Checksummed as it will be written: one run of header (field zeroed), key, value and
      // padding.
      const size = entry.#assemble(key, valueBytes);
      algorithm.reset();
      updateChecksumRange(algorithm, ENTRY_SCRATCH, 0, size);
      header.checksum = checksumField(algorithm.finish());
    } else {
      header.checksum = entry.#computeChecksum(key, valueBytes);
    }
    return entry;
  }

  get magic(): number {
    return this.header.magic;
  }

  get transactionId(): number {
    return this.header.transactionId;
  }

  get keyLength(): number {
    return this.header.keyLength;
  }

  /** Value bytes (0 for a tombstone). */
  get valueSize(): number {
    return headerValueSize(this.header);
  }

  get isDeleted(): boolean {
    return isTombstone(this.header);
  }

  /** Header + key + value bytes, before padding. */
  get contentSize(): number {
    return entryContentSize(this.header);
  }

  /** Bytes on flash, padding included. */
  get size(): number {
    return entrySize(this.header);
  }

  get alignmentBytes(): number {
    return alignmentUnitsToBytes(this.header.alignmentUnits);
  }

  /** Reads this entry's key. */
  readKey(): KeyReadResult {
    return Entry.readKeyAt(this.#io, this.address, this.header.keyLength);
  }

  /**
   * Reads value bytes from `offsetBytes` into `buffer`. OUT_OF_RANGE past the value;
   * RESOURCE_EXHAUSTED (with the bytes read) when the buffer is shorter than the rest.
   */
  readValue(buffer: Uint8Array, offsetBytes: number): FlashResult {
    const valueSize = this.valueSize;
    if (offsetBytes > valueSize) return { status: 'OUT_OF_RANGE', size: 0 };
    const remaining = valueSize - offsetBytes;
    const readSize = Math.min(buffer.length, remaining);
    const result = this.#io.read(
      this.address + ENTRY_HEADER_SIZE + this.header.keyLength + offsetBytes,
      readSize === buffer.length ? buffer : buffer.subarray(0, readSize),
    );
    if (result.status !== 'OK') return result;
    if (readSize !== remaining) return { status: 'RESOURCE_EXHAUSTED', size: readSize };
    return okFlashResult(readSize);
  }

  /** OK if the stored value equals `value`, NOT_FOUND if it differs, else a flash error. */
  valueMatches(value: Uint8Array): StatusCode {
    if (this.valueSize !== value.length) return 'NOT_FOUND';
    const start = this.address + ENTRY_HEADER_SIZE + this.header.keyLength;
    const chunk = CHUNK_SCRATCH;
    for (let offset = 0; offset < value.length; offset += READ_CHUNK_BYTES) {
      const size = Math.min(READ_CHUNK_BYTES, value.length - offset);
      const result = this.#io.read(start + offset, chunk.subarray(0, size));
      if (result.status !== 'OK') return result.status;
      for (let i = 0; i < size; i++) {
        if (chunk[i] !== value[offset + i]) return 'NOT_FOUND';
      }
    }
    return 'OK';
  }

  /** Checks the header's checksum against a key and value held in RAM. */
  verifyChecksum(key: Uint8Array, value: Uint8Array): StatusCode {
    const algorithm = this.#format.checksum;
    if (algorithm === null) return this.header.checksum === 0 ? 'OK' : 'DATA_LOSS';
    const io = this.#io;
    const content = this.contentSize;
    if (
      key.length === this.header.keyLength &&
      value.length === this.valueSize &&
      io.holds(this.address, content)
    ) {
      // The value was just read from the window, which holds the flash as it is: when the
      // key there is `key` too, the entry's bytes in the window are the ones to check.
      const window = io.windowBytes;
      const start = io.windowOffset(this.address);
      if (equalRun(window, start + ENTRY_HEADER_SIZE, key, 0, key.length)) {
        return entryChecksumMatches(window, start, this.header, algorithm) ? 'OK' : 'DATA_LOSS';
      }
    }
    this.#computeChecksum(key, value);
    return checksumMatches(algorithm, this.header.checksum) ? 'OK' : 'DATA_LOSS';
  }

  /**
   * Re-reads the whole entry from flash in 32-byte chunks and checks it against this header's
   * checksum (the field on flash must also still equal the header's).
   */
  verifyChecksumInFlash(): StatusCode {
    return this.#verifyChecksumInPlace(this.#io);
  }

  /**
   * verifyChecksumInFlash through the reader: the same reads, chunk by chunk, each checksummed
   * where it was loaded instead of copied out.
   */
  #verifyChecksumInPlace(io: CoalescingReader): StatusCode {
    const size = this.size;
    let readSize = Math.min(READ_CHUNK_BYTES, size);
    let status = io.load(this.address, readSize);
    if (status !== 'OK') return status;
    let bytes = io.loadedBytes;
    let offset = io.loadedOffset;
    if (readU32(bytes, offset + CHECKSUM_OFFSET) !== this.header.checksum) return 'DATA_LOSS';
    const algorithm = this.#format.checksum;
    if (algorithm === null) return this.header.checksum === 0 ? 'OK' : 'DATA_LOSS';

    // Reading back what this entry just wrote: bytes equal to the written ones have the
    // written checksum, so they are compared; the checksum is computed from the first byte
    // that differs on (the equal bytes before it taken from what was written).
    let comparing =
      this.#writtenGeneration === scratchGeneration &&
      writtenAddress === this.address &&
      size <= ENTRY_SCRATCH.length;
    if (!comparing) algorithm.reset();
    let done = 0;
    for (;;) {
      if (comparing && !equalRun(bytes, offset, ENTRY_SCRATCH, done, readSize)) {
        comparing = false;
        algorithm.reset();
        if (done > 0) updateEntryChecksum(algorithm, ENTRY_SCRATCH, 0, done, 0);
      }
      if (!comparing) updateEntryChecksum(algorithm, bytes, offset, readSize, done);
      done += readSize;
      if (done >= size) break;
      readSize = Math.min(READ_CHUNK_BYTES, size - done);
      status = io.load(this.address + done, readSize);
      if (status !== 'OK') return status;
      bytes = io.loadedBytes;
      offset = io.loadedOffset;
    }
    if (comparing) return 'OK';
    return checksumMatches(algorithm, this.header.checksum) ? 'OK' : 'DATA_LOSS';
  }

  /** Writes header, key and value at this entry's address, in pw_kvs's aligned runs. */
  write(key: Uint8Array, value: Uint8Array): FlashResult {
    if (fitsOneWrite(ENTRY_HEADER_SIZE + key.length + value.length, this.alignmentBytes)) {
      // The writer would buffer it all and flush once: one aligned, zero-padded call.
      const size = this.#assemble(key, value);
      const result = this.#io.write(this.address, scratchView(size));
      this.#writtenGeneration = ++scratchGeneration;
      writtenAddress = this.address;
      return result.status === 'OK' ? result : { status: result.status, size };
    }
    scratchGeneration++;
    const writer = new AlignedWriter(this.#io, this.address, this.alignmentBytes);
    if (!writer.isUsable) return { status: 'INTERNAL', size: 0 };
    for (const chunk of [encodeEntryHeader(this.header, HEADER_SCRATCH), key, value]) {
      const result = writer.write(chunk);
      if (result.status !== 'OK') return result;
    }
    return writer.flush();
  }

  /**
   * Lays out this entry (header, key, value, zero padding) in ENTRY_SCRATCH; returns its size.
   * The caller has checked that it fits.
   */
  #assemble(key: Uint8Array, value: Uint8Array): number {
    scratchGeneration++;
    const content = ENTRY_HEADER_SIZE + key.length + value.length;
    const size = alignUp(content, this.alignmentBytes);
    const bytes = ENTRY_SCRATCH;
    encodeEntryHeader(this.header, bytes);
    bytes.set(key, ENTRY_HEADER_SIZE);
    bytes.set(value, ENTRY_HEADER_SIZE + key.length);
    bytes.fill(0, content, size);
    return size;
  }

  /**
   * Moves this entry to a new format and transaction id, recomputing the checksum from the
   * key and value on flash. Write it with `copy`.
   */
  update(format: EntryFormat, transactionId: number): StatusCode {
    this.#format = format;
    this.header.magic = format.magic;
    this.header.alignmentUnits = alignmentBytesToUnits(this.#io.alignmentBytes);
    this.header.transactionId = transactionId;
    this.header.checksum = 0;
    const algorithm = format.checksum;
    if (algorithm === null) return 'OK';

    algorithm.reset();
    algorithm.update(encodeEntryHeader(this.header, HEADER_SCRATCH));
    const chunk = CHUNK_SCRATCH;
    let address = this.address + ENTRY_HEADER_SIZE;
    const end = this.address + entryContentSize(this.header);
    while (address < end) {
      const size = Math.min(end - address, READ_CHUNK_BYTES);
      const result = this.#io.read(address, chunk.subarray(0, size));
      if (result.status !== 'OK') return result.status;
      algorithm.update(chunk.subarray(0, size));
      address += size;
    }
    this.#addPaddingToChecksum();
    this.header.checksum = checksumField(algorithm.finish());
    return 'OK';
  }

  /**
   * Writes this entry (this header, the key and value read from the current address) at
   * `newAddress`. If a read fails midway, what was buffered is still flushed, as pw_kvs's
   * writer does when it goes out of scope.
   */
  copy(newAddress: number): FlashResult {
    scratchGeneration++;
    const writer = new AlignedWriter(this.#io, newAddress, this.alignmentBytes);
    if (!writer.isUsable) return { status: 'INTERNAL', size: 0 };
    const headerResult = writer.write(encodeEntryHeader(this.header, HEADER_SCRATCH));
    if (headerResult.status !== 'OK') return headerResult;
    const copied = writer.copyFrom(
      this.address + ENTRY_HEADER_SIZE,
      this.header.keyLength + this.valueSize,
    );
    if (copied.status !== 'OK') {
      writer.flush();
      return copied;
    }
    return writer.flush();
  }

  #computeChecksum(key: Uint8Array, value: Uint8Array): number {
    const algorithm = this.#format.checksum!;
    algorithm.reset();
    const header = encodeEntryHeader(this.header, HEADER_SCRATCH);
    // The checksum field counts as zeros.
    header.fill(0, CHECKSUM_OFFSET, CHECKSUM_OFFSET + 4);
    updateChecksumRange(algorithm, header, 0, ENTRY_HEADER_SIZE);
    updateChecksumRange(algorithm, key, 0, key.length);
    updateChecksumRange(algorithm, value, 0, value.length);
    this.#addPaddingToChecksum();
    return checksumField(algorithm.finish());
  }

  #addPaddingToChecksum(): void {
    const algorithm = this.#format.checksum!;
    const content = entryContentSize(this.header);
    updateChecksumZeros(algorithm, alignUp(content, this.alignmentBytes) - content);
  }
}

/** True if `a[aStart..aStart + length)` equals `b[bStart..bStart + length)`. */
function equalRun(
  a: Uint8Array,
  aStart: number,
  b: Uint8Array,
  bStart: number,
  length: number,
): boolean {
  for (let i = 0; i < length; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}
