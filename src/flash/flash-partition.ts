import { KvsError, type StatusCode } from '../status.js';
import { ERASED_BYTE, type FlashMemory, type FlashResult } from './flash-memory.js';

/** Where a partition sits on its flash and how it is accessed. */
export interface FlashPartitionOptions {
  /** First physical sector. Defaults to 0. */
  startSector?: number;
  /** Physical sectors in the partition. Defaults to the rest of the flash. */
  sectorCount?: number;
  /**
   * Write alignment; the effective alignment is the larger of this and the flash's, and must be
   * a multiple of the flash's. Defaults to the flash's.
   */
  alignmentBytes?: number;
  /** Refuse writes and erases with PERMISSION_DENIED. Defaults to false. */
  readOnly?: boolean;
  /**
   * Physical sectors grouped into one logical sector (pw_kvs's partition with logical
   * sectors): the store sees fewer, larger sectors. Defaults to 1.
   */
  sectorsPerLogicalSector?: number;
}

/**
 * A run of whole sectors of one flash, addressed from 0. Checks bounds and alignment before
 * the device is called, as pw_kvs's FlashPartition does.
 */
export class FlashPartition {
  readonly flash: FlashMemory;
  /** Logical sector size. */
  readonly sectorSizeBytes: number;
  /** Logical sector count. */
  readonly sectorCount: number;
  readonly alignmentBytes: number;
  readonly readOnly: boolean;
  readonly sectorsPerLogicalSector: number;
  private readonly startAddress: number;

  /** Throws INVALID_ARGUMENT when the options do not fit the flash. */
  constructor(flash: FlashMemory, options: FlashPartitionOptions = {}) {
    const startSector = options.startSector ?? 0;
    const physicalCount = options.sectorCount ?? flash.sectorCount - startSector;
    const perLogical = options.sectorsPerLogicalSector ?? 1;
    const requested = options.alignmentBytes ?? flash.alignmentBytes;
    const check = (condition: boolean, message: string): void => {
      if (!condition) throw new KvsError('INVALID_ARGUMENT', message);
    };
    check(
      Number.isInteger(startSector) && startSector >= 0,
      `startSector must be ≥ 0, got ${startSector}`,
    );
    check(
      Number.isInteger(physicalCount) &&
        physicalCount >= 1 &&
        startSector + physicalCount <= flash.sectorCount,
      `sectors ${startSector}..${startSector + physicalCount - 1} are not all on the ${flash.sectorCount}-sector flash`,
    );
    check(
      Number.isInteger(perLogical) && perLogical >= 1 && physicalCount % perLogical === 0,
      `${physicalCount} sectors cannot be grouped by ${perLogical}`,
    );
    const alignment = Math.max(requested, flash.alignmentBytes);
    check(
      Number.isInteger(requested) && requested >= 1 && alignment % flash.alignmentBytes === 0,
      `partition alignment ${requested} B is not a multiple of the flash's ${flash.alignmentBytes} B`,
    );
    check(
      (flash.sectorSizeBytes * perLogical) % alignment === 0,
      `sector size ${flash.sectorSizeBytes * perLogical} B is not a multiple of the ${alignment} B alignment`,
    );
    this.flash = flash;
    this.sectorsPerLogicalSector = perLogical;
    this.sectorSizeBytes = flash.sectorSizeBytes * perLogical;
    this.sectorCount = physicalCount / perLogical;
    this.alignmentBytes = alignment;
    this.readOnly = options.readOnly ?? false;
    this.startAddress = startSector * flash.sectorSizeBytes;
  }

  get sizeBytes(): number {
    return this.sectorSizeBytes * this.sectorCount;
  }

  read(address: number, output: Uint8Array): FlashResult {
    if (!this.inBounds(address, output.length)) return { status: 'OUT_OF_RANGE', size: 0 };
    return this.flash.read(this.startAddress + address, output);
  }

  write(address: number, data: Uint8Array): FlashResult {
    if (this.readOnly) return { status: 'PERMISSION_DENIED', size: 0 };
    if (!this.inBounds(address, data.length)) return { status: 'OUT_OF_RANGE', size: 0 };
    if (address % this.alignmentBytes !== 0 || data.length % this.alignmentBytes !== 0) {
      return { status: 'INVALID_ARGUMENT', size: 0 };
    }
    return this.flash.write(this.startAddress + address, data);
  }

  erase(address: number, sectorCount: number): StatusCode {
    if (this.readOnly) return 'PERMISSION_DENIED';
    if (!this.inBounds(address, sectorCount * this.sectorSizeBytes)) return 'OUT_OF_RANGE';
    if (address % this.sectorSizeBytes !== 0) return 'INVALID_ARGUMENT';
    return this.flash.erase(
      this.startAddress + address,
      sectorCount * this.sectorsPerLogicalSector,
    );
  }

  /** True if every byte reads as erased. */
  appearsErased(bytes: Uint8Array): boolean {
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== ERASED_BYTE) return false;
    return true;
  }

  private inBounds(address: number, length: number): boolean {
    return Number.isInteger(address) && address >= 0 && address + length <= this.sizeBytes;
  }
}
