/**
 * Checksum algorithms for entry headers. An algorithm is a small stateful object (reset / update
 * / finish) so an entry can be checksummed piece by piece as it streams off flash, the way
 * pw_kvs's ChecksumAlgorithm works. `finish()` returns the state as stored on flash
 * (little-endian), `sizeBytes` long.
 */
export interface ChecksumAlgorithm {
  /** A short name used in configs and reports: `crc16`, `crc32`, `ignore`. */
  readonly name: string;
  /** Bytes of state stored in the header's 4-byte checksum field (0..4). */
  readonly sizeBytes: number;
  /** Starts a new computation. */
  reset(): void;
  /** Adds bytes to the running checksum. */
  update(bytes: Uint8Array): void;
  /** Completes the computation; returns the little-endian state, `sizeBytes` long. */
  finish(): Uint8Array;
}

/** Names of the built-in checksum choices; `none` means no algorithm (the field must be 0). */
export type ChecksumName = 'crc16' | 'crc32' | 'none' | 'ignore';

// Both CRCs run slicing-by-8: table k holds the CRC of a byte followed by k zero bytes, so
// eight bytes cost eight independent lookups instead of a chain of eight dependent ones.
const SLICES = 8;

function crc16Tables(): Uint16Array {
  const tables = new Uint16Array(256 * SLICES);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    tables[i] = crc;
  }
  for (let i = 256; i < tables.length; i++) {
    const previous = tables[i - 256]!;
    tables[i] = ((previous << 8) & 0xffff) ^ tables[previous >>> 8]!;
  }
  return tables;
}

function crc32Tables(): Int32Array {
  const tables = new Int32Array(256 * SLICES);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
    tables[i] = crc;
  }
  for (let i = 256; i < tables.length; i++) {
    const previous = tables[i - 256]!;
    tables[i] = (previous >>> 8) ^ tables[previous & 0xff]!;
  }
  return tables;
}

const CRC16 = crc16Tables();
const CRC32 = crc32Tables();

/**
 * CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) over `bytes[start..end)`, continuing from
 * `crc`. `start` and `end` default to the whole array.
 */
export function crc16Ccitt(bytes: Uint8Array, crc = 0xffff, start = 0, end = bytes.length): number {
  const t = CRC16;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    crc =
      t[0x700 | ((crc >>> 8) ^ bytes[i]!)]! ^
      t[0x600 | ((crc & 0xff) ^ bytes[i + 1]!)]! ^
      t[0x500 | bytes[i + 2]!]! ^
      t[0x400 | bytes[i + 3]!]! ^
      t[0x300 | bytes[i + 4]!]! ^
      t[0x200 | bytes[i + 5]!]! ^
      t[0x100 | bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  // The tail (entry fields of 4 and 2 bytes often) in sliced steps too.
  if (i + 4 <= end) {
    crc =
      t[0x300 | ((crc >>> 8) ^ bytes[i]!)]! ^
      t[0x200 | ((crc & 0xff) ^ bytes[i + 1]!)]! ^
      t[0x100 | bytes[i + 2]!]! ^
      t[bytes[i + 3]!]!;
    i += 4;
  }
  if (i + 2 <= end) {
    crc = t[0x100 | ((crc >>> 8) ^ bytes[i]!)]! ^ t[(crc & 0xff) ^ bytes[i + 1]!]!;
    i += 2;
  }
  if (i < end) crc = ((crc << 8) & 0xffff) ^ t[(crc >>> 8) ^ bytes[i]!]!;
  return crc;
}

/** CRC-16/CCITT-FALSE over `count` zero bytes, continuing from `crc`. */
export function crc16CcittZeros(count: number, crc = 0xffff): number {
  // n zero bytes (2 ≤ n ≤ 8) are one step: table n-1 of the high byte, n-2 of the low one.
  const t = CRC16;
  let left = count;
  for (; left >= 8; left -= 8) crc = t[0x700 | (crc >>> 8)]! ^ t[0x600 | (crc & 0xff)]!;
  if (left >= 2) {
    const high = (left - 1) << 8;
    crc = t[high | (crc >>> 8)]! ^ t[(high - 0x100) | (crc & 0xff)]!;
    left = 0;
  }
  if (left === 1) crc = ((crc << 8) & 0xffff) ^ t[crc >>> 8]!;
  return crc;
}

/**
 * Standard CRC-32 (as zlib computes it) over `bytes[start..end)`, continuing from a previous
 * result. `start` and `end` default to the whole array.
 */
export function crc32(bytes: Uint8Array, previous = 0, start = 0, end = bytes.length): number {
  const t = CRC32;
  let crc = ~previous;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const low =
      crc ^ (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    crc =
      t[0x700 | (low & 0xff)]! ^
      t[0x600 | ((low >>> 8) & 0xff)]! ^
      t[0x500 | ((low >>> 16) & 0xff)]! ^
      t[0x400 | (low >>> 24)]! ^
      t[0x300 | bytes[i + 4]!]! ^
      t[0x200 | bytes[i + 5]!]! ^
      t[0x100 | bytes[i + 6]!]! ^
      t[bytes[i + 7]!]!;
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ t[(crc ^ bytes[i]!) & 0xff]!;
  return ~crc >>> 0;
}

/** Standard CRC-32 over `count` zero bytes, continuing from a previous result. */
export function crc32Zeros(count: number, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < count; i++) crc = (crc >>> 8) ^ CRC32[crc & 0xff]!;
  return ~crc >>> 0;
}

/** Stores `crc` little-endian in `state` (as many low bytes as it holds); returns `state`. */
function littleEndianState(state: Uint8Array, crc: number): Uint8Array {
  for (let i = 0; i < state.length; i++) state[i] = (crc >>> (8 * i)) & 0xff;
  return state;
}

/** CRC-16/CCITT-FALSE, stored in the first two bytes of the checksum field. */
export class Crc16Checksum implements ChecksumAlgorithm {
  readonly name = 'crc16';
  readonly sizeBytes = 2;
  #crc = 0xffff;
  readonly #state = new Uint8Array(2);

  reset(): void {
    this.#crc = 0xffff;
  }

  update(bytes: Uint8Array): void {
    this.#crc = crc16Ccitt(bytes, this.#crc);
  }

  /** Adds `bytes[start..end)` without making a view of them. */
  updateRange(bytes: Uint8Array, start: number, end: number): void {
    this.#crc = crc16Ccitt(bytes, this.#crc, start, end);
  }

  /** Adds `count` zero bytes. */
  updateZeros(count: number): void {
    this.#crc = crc16CcittZeros(count, this.#crc);
  }

  /** The state as a number (what `finish` stores little-endian). */
  get value(): number {
    return this.#crc;
  }

  finish(): Uint8Array {
    return littleEndianState(this.#state, this.#crc);
  }
}

/** CRC-32 (zlib), stored little-endian in all four bytes of the checksum field. */
export class Crc32Checksum implements ChecksumAlgorithm {
  readonly name = 'crc32';
  readonly sizeBytes = 4;
  #crc = 0;
  readonly #state = new Uint8Array(4);

  reset(): void {
    this.#crc = 0;
  }

  update(bytes: Uint8Array): void {
    this.#crc = crc32(bytes, this.#crc);
  }

  /** Adds `bytes[start..end)` without making a view of them. */
  updateRange(bytes: Uint8Array, start: number, end: number): void {
    this.#crc = crc32(bytes, this.#crc, start, end);
  }

  /** Adds `count` zero bytes. */
  updateZeros(count: number): void {
    this.#crc = crc32Zeros(count, this.#crc);
  }

  /** The state as a number (what `finish` stores little-endian). */
  get value(): number {
    return this.#crc;
  }

  finish(): Uint8Array {
    return littleEndianState(this.#state, this.#crc);
  }
}

/**
 * An algorithm with no state: entries are written with a zero checksum field and any stored
 * value verifies. Matches a pw_kvs format whose algorithm ignores checksums.
 */
export class IgnoreChecksum implements ChecksumAlgorithm {
  readonly name = 'ignore';
  readonly sizeBytes = 0;
  static readonly #EMPTY = new Uint8Array(0);

  reset(): void {}

  update(): void {}

  updateRange(): void {}

  updateZeros(): void {}

  finish(): Uint8Array {
    return IgnoreChecksum.#EMPTY;
  }
}

/**
 * Creates the algorithm for a checksum name; `none` gives null (no algorithm: entries carry a
 * zero checksum field and a non-zero field is corruption).
 */
export function createChecksum(name: ChecksumName): ChecksumAlgorithm | null {
  switch (name) {
    case 'crc16':
      return new Crc16Checksum();
    case 'crc32':
      return new Crc32Checksum();
    case 'ignore':
      return new IgnoreChecksum();
    case 'none':
      return null;
  }
}

/** True if `name` is one of the built-in checksum names. */
export function isChecksumName(name: unknown): name is ChecksumName {
  return name === 'crc16' || name === 'crc32' || name === 'none' || name === 'ignore';
}

/**
 * True if the algorithm's finished state equals the first `sizeBytes` bytes of a stored
 * checksum field, given as its little-endian u32 value (the rest of the field is not compared,
 * as in pw_kvs).
 */
export function checksumMatches(algorithm: ChecksumAlgorithm, storedField: number): boolean {
  const state = algorithm.finish();
  for (let i = 0; i < algorithm.sizeBytes; i++) {
    if (state[i] !== ((storedField >>> (8 * i)) & 0xff)) return false;
  }
  return true;
}

/** The checksum field value that holds `state` in its first bytes and zeros after. */
export function checksumField(state: Uint8Array): number {
  let field = 0;
  for (let i = 0; i < Math.min(state.length, 4); i++) field |= state[i]! << (8 * i);
  return field >>> 0;
}

/**
 * Adds `bytes[start..end)` to `algorithm`: directly for the built-in algorithms, through a
 * view for others.
 */
export function updateChecksumRange(
  algorithm: ChecksumAlgorithm,
  bytes: Uint8Array,
  start: number,
  end: number,
): void {
  if (
    algorithm instanceof Crc16Checksum ||
    algorithm instanceof Crc32Checksum ||
    algorithm instanceof IgnoreChecksum
  ) {
    algorithm.updateRange(bytes, start, end);
  } else if (end > start) {
    algorithm.update(bytes.subarray(start, end));
  }
}

const ZEROS = new Uint8Array(16);

/** Adds `count` zero bytes to `algorithm`. */
export function updateChecksumZeros(algorithm: ChecksumAlgorithm, count: number): void {
  if (
    algorithm instanceof Crc16Checksum ||
    algorithm instanceof Crc32Checksum ||
    algorithm instanceof IgnoreChecksum
  ) {
    algorithm.updateZeros(count);
    return;
  }
  for (let left = count; left > 0; left -= ZEROS.length) {
    algorithm.update(left >= ZEROS.length ? ZEROS : ZEROS.subarray(0, left));
  }
}
