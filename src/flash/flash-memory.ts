import { KvsError, type StatusCode, checkInteger } from '../status.js';

/** The value every byte of a NOR flash holds after an erase. */
export const ERASED_BYTE = 0xff;

/**
 * Throws INVALID_ARGUMENT, the message after `prefix`, unless `sectorSizeBytes` is a multiple of
 * `alignmentBytes` (a write run could not end on a sector boundary).
 */
export function checkSectorAlignment(
  sectorSizeBytes: number,
  alignmentBytes: number,
  prefix = '',
): void {
  if (sectorSizeBytes % alignmentBytes !== 0) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `${prefix}sector size ${sectorSizeBytes} B is not a multiple of the ${alignmentBytes} B alignment`,
    );
  }
}

/**
 * Whether `bytes[start..end)` all read as erased (0xFF). `words` views the same buffer from its
 * byte 0 as 32-bit words: a run that starts word-aligned is checked four bytes at a time.
 */
export function isErasedRun(
  bytes: Uint8Array,
  words: Uint32Array,
  start: number,
  end: number,
): boolean {
  let i = start;
  if ((i & 3) === 0) for (; i + 4 <= end; i += 4) if (words[i >>> 2] !== 0xffffffff) return false;
  for (; i < end; i++) if (bytes[i] !== ERASED_BYTE) return false;
  return true;
}

/**
 * The result of a flash read or write: a pw_status code and the number of bytes the call
 * transferred. A device may report an error and still have transferred the bytes (a failing
 * read still fills the buffer; a failing write may still have programmed the bytes).
 */
export interface FlashResult {
  readonly status: StatusCode;
  readonly size: number;
}

/**
 * A NOR flash device: `sectorCount` sectors of `sectorSizeBytes` each, erased to 0xFF one sector
 * at a time, and written in runs that start and end on `alignmentBytes`. Addresses are byte
 * offsets from the start of the device. Calls report problems as statuses, never by throwing:
 * the store above decides what a failed call means.
 */
export interface FlashMemory {
  /** Bytes per sector (the erase unit). */
  readonly sectorSizeBytes: number;
  /** Number of sectors on the device. */
  readonly sectorCount: number;
  /** Write alignment in bytes: every write starts and ends on a multiple of this. */
  readonly alignmentBytes: number;
  /** Reads `output.length` bytes at `address` into `output`. */
  read(address: number, output: Uint8Array): FlashResult;
  /** Programs `data` at `address`. */
  write(address: number, data: Uint8Array): FlashResult;
  /** Erases `sectorCount` whole sectors starting at the sector-aligned `address`. */
  erase(address: number, sectorCount: number): StatusCode;
}

/** Geometry of a flash device. */
export interface FlashGeometry {
  /** Bytes per sector (the erase unit): a positive multiple of `alignmentBytes`. */
  sectorSizeBytes: number;
  /** Number of sectors: a positive integer. */
  sectorCount: number;
  /** Write alignment in bytes: 1, 2, 4, 8, or a multiple of 16 up to 256 (as pw_kvs accepts). */
  alignmentBytes: number;
}

/** True if pw_kvs accepts `alignmentBytes` as a write alignment: 1, 2, 4, 8 or 16·k ≤ 256. */
export function isSupportedAlignment(alignmentBytes: number): boolean {
  // x % 16 is 0 only for integers (NaN for NaN and ±Infinity).
  return (
    [1, 2, 4, 8].includes(alignmentBytes) ||
    (alignmentBytes % 16 === 0 && alignmentBytes >= 16 && alignmentBytes <= 256)
  );
}

/**
 * Checks that `geometry` describes a flash pw_kvs can run on. Throws INVALID_ARGUMENT when a
 * field is not a positive integer, the alignment is not supported (see
 * {@link isSupportedAlignment}) or the sector size is not a multiple of the alignment.
 */
export function validateGeometry(geometry: FlashGeometry): void {
  const { sectorSizeBytes, sectorCount, alignmentBytes } = geometry;
  checkInteger('sectorSizeBytes', sectorSizeBytes, 1);
  checkInteger('sectorCount', sectorCount, 1);
  checkInteger('alignmentBytes', alignmentBytes, 1);
  if (!isSupportedAlignment(alignmentBytes)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `alignment ${alignmentBytes} B is not 1, 2, 4, 8 or a multiple of 16 up to 256`,
    );
  }
  checkSectorAlignment(sectorSizeBytes, alignmentBytes);
  if (!Number.isSafeInteger(sectorSizeBytes * sectorCount)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `${sectorCount} sectors of ${sectorSizeBytes} B do not fit in memory`,
    );
  }
}

const MAX_SHARED_RESULT_SIZE = 4096;
/**
 * Shared results of successful calls, by size, so a read or write allocates nothing. Sized up
 * front: storing a far index (a 4096-byte read) in a growing array would turn it into a slow
 * dictionary.
 */
const OK_RESULTS = new Array<FlashResult | undefined>(MAX_SHARED_RESULT_SIZE + 1).fill(undefined);

/**
 * The result `{ status: 'OK', size }`, frozen and shared for sizes up to 4096 bytes (a new
 * object beyond that).
 */
export function okFlashResult(size: number): FlashResult {
  if (size > MAX_SHARED_RESULT_SIZE) return { status: 'OK', size };
  return (OK_RESULTS[size] ??= Object.freeze({ status: 'OK', size }));
}
