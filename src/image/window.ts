import { ERASED_BYTE } from '../flash/flash-memory.js';
import { KvsError } from '../status.js';

/**
 * Parses a byte count or offset given as decimal (`65536`) or hex (`0x10000`). Throws
 * INVALID_ARGUMENT naming `where` for anything else (negative, fractional, too large).
 */
export function parseByteCount(where: string, text: string): number {
  const trimmed = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(trimmed)
    ? Number.parseInt(trimmed.slice(2), 16)
    : /^[0-9]+$/.test(trimmed)
      ? Number(trimmed)
      : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `${where}: expected a byte count, decimal or 0x hex, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Where a partition lies in a file: its first byte and its length. */
export interface PartitionWindow {
  /** Offset of the partition's first byte in the file. */
  readonly offset: number;
  /** Bytes of the partition in the file. */
  readonly sizeBytes: number;
}

/**
 * The window of a file of `fileBytes` that holds the partition: from `offset` (default 0) for
 * `size` bytes (default: to the end of the file). Throws OUT_OF_RANGE when `offset` is past the
 * end of the file, or `size` asks for more bytes than the file has from `offset` (a typo, refused
 * before anything is allocated: a truncated dump is described by its config file instead).
 */
export function partitionWindow(
  fileBytes: number,
  offset = 0,
  size: number | undefined = undefined,
): PartitionWindow {
  if (offset > fileBytes || (offset === fileBytes && fileBytes > 0)) {
    throw new KvsError(
      'OUT_OF_RANGE',
      `offset 0x${offset.toString(16)} is past the end of the ${fileBytes} B file`,
    );
  }
  const available = fileBytes - offset;
  if (size !== undefined && size > available) {
    throw new KvsError(
      'OUT_OF_RANGE',
      `size 0x${size.toString(16)} from offset 0x${offset.toString(16)} runs past the end of the ` +
        `${fileBytes} B file (it has 0x${available.toString(16)} B there)`,
    );
  }
  return { offset, sizeBytes: size ?? available };
}

/** An image's bytes fitted to the size a config expects. */
export interface FittedImage {
  /** Exactly `expectedBytes`: the bytes, cut or padded with erased bytes. */
  readonly bytes: Uint8Array;
  /** Bytes missing at the end, read as erased (a truncated dump). */
  readonly truncatedBytes: number;
  /** Bytes past the end of the partition, ignored (trailing garbage or padding). */
  readonly trailingBytes: number;
}

/**
 * Fits `bytes` to `expectedBytes`: a short image (a truncated dump) is padded with erased
 * 0xff bytes, as the missing flash reads when erased; a long one is cut, the tail ignored.
 * Pure: `bytes` is not changed (the result is a view of it when it is long enough).
 */
export function fitImage(bytes: Uint8Array, expectedBytes: number): FittedImage {
  if (bytes.length >= expectedBytes) {
    return {
      bytes: bytes.subarray(0, expectedBytes),
      truncatedBytes: 0,
      trailingBytes: bytes.length - expectedBytes,
    };
  }
  const padded = new Uint8Array(expectedBytes).fill(ERASED_BYTE);
  padded.set(bytes);
  return { bytes: padded, truncatedBytes: expectedBytes - bytes.length, trailingBytes: 0 };
}
