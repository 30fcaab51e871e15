import { KvsError, hex } from '../status.js';
import { type ChecksumAlgorithm, type ChecksumName, createChecksum } from './checksum.js';

/**
 * An entry format: the magic that starts its entries and the checksum algorithm that protects
 * them (null: no checksum, the field must be 0).
 */
export interface EntryFormat {
  readonly magic: number;
  readonly checksum: ChecksumAlgorithm | null;
}

/** A format described by name, as configs and scenario files give it. */
export interface EntryFormatSpec {
  /** The magic, a u32. */
  readonly magic: number;
  /** Checksum algorithm name. Defaults to `crc16`. */
  readonly checksum?: ChecksumName;
}

/** The magic pw_kvs's own tests and the reference cases use by default. */
export const DEFAULT_MAGIC = 3528829097;

/** Builds a format from its spec, validating the magic. */
export function entryFormat(spec: EntryFormatSpec): EntryFormat {
  if (!Number.isInteger(spec.magic) || spec.magic < 0 || spec.magic > 0xffffffff) {
    throw new KvsError('INVALID_ARGUMENT', `magic ${String(spec.magic)} is not a u32`);
  }
  if (spec.magic === 0xffffffff) {
    throw new KvsError('INVALID_ARGUMENT', 'magic 0xffffffff reads as erased flash');
  }
  return { magic: spec.magic >>> 0, checksum: createChecksum(spec.checksum ?? 'crc16') };
}

/**
 * The formats a store can read. The first is primary: every new entry is written in it, and
 * maintenance rewrites entries of the others into it.
 */
export class EntryFormats {
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly formats: readonly EntryFormat[];

  constructor(formats: readonly EntryFormat[]) {
    if (formats.length === 0) {
      throw new KvsError('INVALID_ARGUMENT', 'formats must not be empty');
    }
    const seen = new Set<number>();
    for (const format of formats) {
      if (seen.has(format.magic)) {
        throw new KvsError(
          'INVALID_ARGUMENT',
          `entry format magic ${hex(format.magic)} is listed twice`,
        );
      }
      seen.add(format.magic);
    }
    this.formats = formats;
  }

  /** The format new entries are written in. */
  get primary(): EntryFormat {
    return this.formats[0]!;
  }

  /** The format with this magic, or undefined. */
  find(magic: number): EntryFormat | undefined {
    for (const format of this.formats) {
      if (format.magic === magic) return format;
    }
    return undefined;
  }

  /** True if some readable format uses this magic. */
  isKnownMagic(magic: number): boolean {
    return this.find(magic) !== undefined;
  }
}
