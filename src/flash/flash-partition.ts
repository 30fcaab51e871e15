import { KvsError, type StatusCode, checkInteger } from '../status.js';
import {
  ERASED_BYTE,
  type FlashMemory,
  type FlashResult,
  checkSectorAlignment,
  isErasedRun,
} from './flash-memory.js';

/** Where a partition sits on its flash and how it is accessed. */
export interface FlashPartitionOptions {
  /** First physical sector of the flash in the partition. Defaults to 0. */
  startSector?: number;
  /**
   * Physical sectors in the partition, a multiple of `sectorsPerLogicalSector`. Defaults to
   * the rest of the flash after `startSector`.
   */
  sectorCount?: number;
  /**
   * Write alignment in bytes. The effective alignment is the larger of this and the flash's
   * and must be a multiple of the flash's (as in pw_kvs). Defaults to the flash's.
   */
  alignmentBytes?: number;
  /** Refuse writes and erases with PERMISSION_DENIED. Defaults to false. */
  readOnly?: boolean;
  /**
   * Physical sectors grouped into one logical sector, as pw_kvs's
   * FlashPartitionWithLogicalSectors does: the store sees fewer, larger sectors. Defaults to 1.
   */
  sectorsPerLogicalSector?: number;
}

/** The result of {@link FlashPartition.isRegionErased}. */
export interface RegionErasedResult extends FlashResult {
  /** True if every byte of the region reads 0xFF; false when the read failed. */
  readonly erased: boolean;
}

// Results of refused calls, shared so that a refusal allocates nothing.
const PERMISSION_DENIED_RESULT: FlashResult = Object.freeze({
  status: 'PERMISSION_DENIED',
  size: 0,
});
const OUT_OF_RANGE_RESULT: FlashResult = Object.freeze({ status: 'OUT_OF_RANGE', size: 0 });
const INVALID_ARGUMENT_RESULT: FlashResult = Object.freeze({ status: 'INVALID_ARGUMENT', size: 0 });

/**
 * A run of whole sectors of one flash, addressed from 0, as pw_kvs's FlashPartition: every
 * call is checked against the partition (permission, bounds, alignment) before it reaches the
 * device, so a refused call never touches the flash or its counters. With
 * `sectorsPerLogicalSector` > 1, sector sizes, counts and erases are in logical sectors.
 */
export class FlashPartition {
  // `declare` fields are set in the constructor: no field definitions are emitted.
  /** The device the partition lives on. */
  declare readonly flash: FlashMemory;
  /** First physical sector of the flash in the partition. */
  declare readonly startSector: number;
  /** Logical sector size in bytes (the erase unit the store sees). */
  declare readonly sectorSizeBytes: number;
  /** Number of logical sectors. */
  declare readonly sectorCount: number;
  /** Effective write alignment in bytes. */
  declare readonly alignmentBytes: number;
  /** Total bytes: `sectorSizeBytes * sectorCount`. */
  declare readonly sizeBytes: number;
  /** True if writes and erases are refused. */
  declare readonly readOnly: boolean;
  /** Physical sectors per logical sector (1 for a plain partition). */
  declare readonly sectorsPerLogicalSector: number;
  readonly #startAddress: number;
  #scratch: Uint8Array | undefined;
  #scratchWords: Uint32Array | undefined;

  /**
   * Creates a partition of `flash`. Throws INVALID_ARGUMENT naming the problem when
   * `startSector` or `sectorCount` is not an integer or runs off the flash, when
   * `sectorsPerLogicalSector` is not a positive integer dividing the sector count, or when
   * `alignmentBytes` is not a positive integer whose effective value is a multiple of the
   * flash's alignment and divides the logical sector size.
   */
  constructor(flash: FlashMemory, options: FlashPartitionOptions = {}) {
    const startSector = options.startSector ?? 0;
    const physicalCount = options.sectorCount ?? flash.sectorCount - startSector;
    const perLogical = options.sectorsPerLogicalSector ?? 1;
    const requested = options.alignmentBytes ?? flash.alignmentBytes;
    const prefix = 'flash partition: ';
    const check = (condition: boolean, message: string): void => {
      if (!condition) throw new KvsError('INVALID_ARGUMENT', prefix + message);
    };
    checkInteger('startSector', startSector, 0, flash.sectorCount - 1, prefix);
    // What fits on the flash after startSector.
    checkInteger('sectorCount', physicalCount, 1, flash.sectorCount - startSector, prefix);
    checkInteger('sectorsPerLogicalSector', perLogical, 1, undefined, prefix);
    check(
      physicalCount % perLogical === 0,
      `sectorCount ${physicalCount} is not a multiple of sectorsPerLogicalSector (${perLogical})`,
    );
    checkInteger('alignmentBytes', requested, 1, undefined, prefix);
    const alignment = Math.max(requested, flash.alignmentBytes);
    check(
      alignment % flash.alignmentBytes === 0,
      `alignment ${requested} B is not a multiple of the flash's ${flash.alignmentBytes} B alignment`,
    );
    const sectorSizeBytes = flash.sectorSizeBytes * perLogical;
    checkSectorAlignment(sectorSizeBytes, alignment, prefix);
    this.flash = flash;
    this.startSector = startSector;
    this.sectorsPerLogicalSector = perLogical;
    this.sectorSizeBytes = sectorSizeBytes;
    this.sectorCount = physicalCount / perLogical;
    this.sizeBytes = sectorSizeBytes * this.sectorCount;
    this.alignmentBytes = alignment;
    this.readOnly = options.readOnly ?? false;
    this.#startAddress = startSector * flash.sectorSizeBytes;
  }

  /**
   * Reads `output.length` bytes at partition address `address`. Reports OUT_OF_RANGE, without
   * calling the device, when the run does not lie inside the partition; otherwise whatever the
   * device reports.
   */
  read(address: number, output: Uint8Array): FlashResult {
    if (!this.#isInBounds(address, output.length)) return OUT_OF_RANGE_RESULT;
    return this.flash.read(this.#startAddress + address, output);
  }

  /**
   * Programs `data` at partition address `address`. Reports PERMISSION_DENIED when read-only,
   * OUT_OF_RANGE when the run does not lie inside the partition, INVALID_ARGUMENT when the
   * address or length is not a multiple of `alignmentBytes` (none of these call the device);
   * otherwise whatever the device reports.
   */
  write(address: number, data: Uint8Array): FlashResult {
    if (this.readOnly) return PERMISSION_DENIED_RESULT;
    if (!this.#isInBounds(address, data.length)) return OUT_OF_RANGE_RESULT;
    if (address % this.alignmentBytes !== 0 || data.length % this.alignmentBytes !== 0) {
      return INVALID_ARGUMENT_RESULT;
    }
    return this.flash.write(this.#startAddress + address, data);
  }

  /**
   * Erases `sectorCount` logical sectors from partition address `address`. Reports
   * PERMISSION_DENIED when read-only, INVALID_ARGUMENT when `sectorCount` is not an integer
   * ≥ 0, OUT_OF_RANGE when the sectors do not lie inside the partition, INVALID_ARGUMENT when
   * `address` is not on a logical sector boundary (none of these call the device); otherwise
   * what the device reports for erasing the matching physical sectors.
   */
  erase(address: number, sectorCount: number): StatusCode {
    if (this.readOnly) return 'PERMISSION_DENIED';
    if (!Number.isSafeInteger(sectorCount) || sectorCount < 0) return 'INVALID_ARGUMENT';
    if (!this.#isInBounds(address, sectorCount * this.sectorSizeBytes)) return 'OUT_OF_RANGE';
    if (address % this.sectorSizeBytes !== 0) return 'INVALID_ARGUMENT';
    return this.flash.erase(
      this.#startAddress + address,
      sectorCount * this.sectorsPerLogicalSector,
    );
  }

  /** True if every byte of `bytes` is 0xFF (what an erased flash reads). */
  appearsErased(bytes: Uint8Array): boolean {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ERASED_BYTE) return false;
    return true;
  }

  /**
   * Reads `length` bytes at `address` in chunks of one sector and reports whether all of them
   * are 0xFF. It stops at the first chunk that is not. On a failed read (bounds as
   * {@link read}, or the device's status) `erased` is false and `size` is the bytes checked
   * before it.
   */
  isRegionErased(address: number, length: number): RegionErasedResult {
    if (!this.#isInBounds(address, length))
      return { status: 'OUT_OF_RANGE', size: 0, erased: false };
    const chunkBytes = this.sectorSizeBytes;
    this.#scratch ??= new Uint8Array(chunkBytes);
    // The same bytes four at a time (the scratch buffer starts at offset 0, so it is aligned).
    this.#scratchWords ??= new Uint32Array(this.#scratch.buffer, 0, chunkBytes >>> 2);
    for (let offset = 0; offset < length; offset += chunkBytes) {
      const chunk = this.#scratch.subarray(0, Math.min(chunkBytes, length - offset));
      const { status } = this.read(address + offset, chunk);
      if (status !== 'OK') return { status, size: offset, erased: false };
      if (!isErasedRun(chunk, this.#scratchWords, 0, chunk.length)) {
        return { status: 'OK', size: length, erased: false };
      }
    }
    return { status: 'OK', size: length, erased: true };
  }

  #isInBounds(address: number, length: number): boolean {
    return (
      Number.isSafeInteger(address) &&
      Number.isSafeInteger(length) &&
      address >= 0 &&
      length >= 0 &&
      address + length <= this.sizeBytes
    );
  }
}
