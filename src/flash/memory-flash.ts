import { type ErrorCode, KvsError, type StatusCode, hex } from '../status.js';
import { ERASED_BYTE, type FlashMemory, type FlashResult } from './flash-memory.js';

/** Geometry of a flash device. */
export interface FlashGeometry {
  /** Bytes per sector (the erase unit), a multiple of the alignment. */
  sectorSizeBytes: number;
  /** Number of sectors (≥ 1). */
  sectorCount: number;
  /** Write alignment: 1, 2, 4, 8, or a multiple of 16 up to 256. */
  alignmentBytes: number;
}

/** Options of an in-memory flash. */
export interface MemoryFlashOptions extends FlashGeometry {
  /** Initial contents; may be shorter than the flash (the rest is erased). */
  contents?: Uint8Array;
}

/** An injected error: which calls fail, how often, and with what status. */
export interface FaultSpec {
  /** Status the failing calls report. */
  status: ErrorCode;
  /** Only calls overlapping [address, address + size) match; any call when omitted. */
  address?: number;
  /** Length of the matching range in bytes. Defaults to 1. */
  size?: number;
  /** How many matching calls fail after the delay. Defaults to every one. */
  times?: number;
  /** How many matching calls pass untouched first. Defaults to 0. */
  delay?: number;
}

/** Flash operation counters. Every call counts, failing ones included. */
export interface FlashCounters {
  readCalls: number;
  bytesRead: number;
  writeCalls: number;
  bytesWritten: number;
  eraseCalls: number;
  /** Erases per sector: wear. */
  sectorEraseCounts: number[];
}

class InjectedFault {
  private delay: number;
  private remaining: number;
  private readonly begin: number | undefined;
  private readonly end: number;

  constructor(private readonly spec: FaultSpec) {
    this.delay = spec.delay ?? 0;
    this.remaining = spec.times ?? Number.POSITIVE_INFINITY;
    this.begin = spec.address;
    this.end = (spec.address ?? 0) + (spec.size ?? 1);
  }

  /** The status this fault gives a call on [address, address + size). */
  check(address: number, size: number): StatusCode {
    if (this.begin !== undefined && (address >= this.end || address + size <= this.begin)) {
      return 'OK';
    }
    if (this.delay > 0) {
      this.delay--;
      return 'OK';
    }
    if (this.remaining === 0) return 'OK';
    this.remaining--;
    return this.spec.status;
  }
}

/** Accepted write alignments: 1, 2, 4, 8 or a multiple of 16 up to 256 (as pw_kvs). */
export function isSupportedAlignment(alignmentBytes: number): boolean {
  return (
    [1, 2, 4, 8].includes(alignmentBytes) ||
    (alignmentBytes % 16 === 0 && alignmentBytes >= 16 && alignmentBytes <= 256)
  );
}

/** Throws INVALID_ARGUMENT unless the geometry describes a flash pw_kvs can run on. */
export function validateGeometry(geometry: FlashGeometry): void {
  const { sectorSizeBytes, sectorCount, alignmentBytes } = geometry;
  for (const [name, value] of Object.entries({ sectorSizeBytes, sectorCount, alignmentBytes })) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `${name} must be a positive integer, got ${String(value)}`,
      );
    }
  }
  if (!isSupportedAlignment(alignmentBytes)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `alignment ${alignmentBytes} B is not supported (use 1, 2, 4, 8 or a multiple of 16 up to 256)`,
    );
  }
  if (sectorSizeBytes % alignmentBytes !== 0) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `sector size ${sectorSizeBytes} B is not a multiple of the ${alignmentBytes} B alignment`,
    );
  }
}

/**
 * An in-memory NOR flash that enforces the rules of the real thing, as pw_kvs's
 * FakeFlashMemory does: erased bytes read 0xFF, writes start and end on the alignment and stay
 * in one sector, a byte already programmed cannot be written again (UNKNOWN, nothing changes),
 * erases are whole sectors. It injects read and write errors and counts every call and every
 * sector erase (wear).
 */
export class MemoryFlash implements FlashMemory {
  readonly sectorSizeBytes: number;
  readonly sectorCount: number;
  readonly alignmentBytes: number;
  /** The live contents. Writing here bypasses the flash rules and the counters. */
  readonly bytes: Uint8Array;
  readonly counters: FlashCounters;
  private readErrors: InjectedFault[] = [];
  private writeErrors: InjectedFault[] = [];

  /** Throws INVALID_ARGUMENT for an unsupported geometry or contents longer than the flash. */
  constructor(options: MemoryFlashOptions) {
    validateGeometry(options);
    this.sectorSizeBytes = options.sectorSizeBytes;
    this.sectorCount = options.sectorCount;
    this.alignmentBytes = options.alignmentBytes;
    this.bytes = new Uint8Array(this.sizeBytes).fill(ERASED_BYTE);
    if (options.contents !== undefined) {
      if (options.contents.length > this.sizeBytes) {
        throw new KvsError(
          'INVALID_ARGUMENT',
          `contents are ${options.contents.length} B but the flash holds ${this.sizeBytes} B`,
        );
      }
      this.bytes.set(options.contents);
    }
    this.counters = {
      readCalls: 0,
      bytesRead: 0,
      writeCalls: 0,
      bytesWritten: 0,
      eraseCalls: 0,
      sectorEraseCounts: new Array<number>(this.sectorCount).fill(0),
    };
  }

  /** Total bytes. */
  get sizeBytes(): number {
    return this.sectorSizeBytes * this.sectorCount;
  }

  read(address: number, output: Uint8Array): FlashResult {
    this.counters.readCalls++;
    this.counters.bytesRead += output.length;
    if (address < 0 || address + output.length > this.sizeBytes) {
      return { status: 'OUT_OF_RANGE', size: 0 };
    }
    const status = checkFaults(this.readErrors, address, output.length);
    // A failing read still delivers the bytes; only the status says it failed.
    output.set(this.bytes.subarray(address, address + output.length));
    return { status, size: output.length };
  }

  write(address: number, data: Uint8Array): FlashResult {
    this.counters.writeCalls++;
    this.counters.bytesWritten += data.length;
    if (address % this.alignmentBytes !== 0 || data.length % this.alignmentBytes !== 0) {
      return { status: 'INVALID_ARGUMENT', size: 0 };
    }
    if (data.length > this.sectorSizeBytes - (address % this.sectorSizeBytes)) {
      return { status: 'INVALID_ARGUMENT', size: 0 };
    }
    if (address < 0 || address + data.length > this.sizeBytes) {
      return { status: 'OUT_OF_RANGE', size: 0 };
    }
    for (let i = 0; i < data.length; i++) {
      if (this.bytes[address + i] !== ERASED_BYTE) return { status: 'UNKNOWN', size: 0 };
    }
    const status = checkFaults(this.writeErrors, address, data.length);
    // A failing write still programs the bytes; only the status says it failed.
    this.program(address, data);
    return { status, size: data.length };
  }

  erase(address: number, sectorCount: number): StatusCode {
    this.counters.eraseCalls++;
    if (address % this.sectorSizeBytes !== 0) return 'INVALID_ARGUMENT';
    const first = address / this.sectorSizeBytes;
    if (first + sectorCount > this.sectorCount) return 'OUT_OF_RANGE';
    for (let sector = first; sector < first + sectorCount; sector++) this.eraseSector(sector);
    return 'OK';
  }

  /** Makes the next matching reads fail (see {@link FaultSpec}). */
  injectReadError(spec: FaultSpec): void {
    this.readErrors.push(new InjectedFault(spec));
  }

  /** Makes the next matching writes fail; the bytes are still programmed. */
  injectWriteError(spec: FaultSpec): void {
    this.writeErrors.push(new InjectedFault(spec));
  }

  clearInjectedErrors(): void {
    this.readErrors = [];
    this.writeErrors = [];
  }

  /** Zeroes every counter. */
  resetCounters(): void {
    Object.assign(this.counters, {
      readCalls: 0,
      bytesRead: 0,
      writeCalls: 0,
      bytesWritten: 0,
      eraseCalls: 0,
    });
    this.counters.sectorEraseCounts.fill(0);
  }

  /** XORs one byte, bypassing the rules and counters (simulated bit rot). */
  corruptByte(address: number, xor = 1): void {
    this.checkRaw(address, 1);
    this.bytes[address] = this.bytes[address]! ^ xor;
  }

  /** Overwrites bytes, bypassing the rules and counters. */
  writeRaw(address: number, data: Uint8Array): void {
    this.checkRaw(address, data.length);
    this.bytes.set(data, address);
  }

  /** Erases a sector behind the store's back: no rules, no counters. */
  eraseSectorRaw(sector: number): void {
    if (!Number.isInteger(sector) || sector < 0 || sector >= this.sectorCount) {
      throw new KvsError('OUT_OF_RANGE', `sector ${sector} is outside 0..${this.sectorCount - 1}`);
    }
    this.bytes.fill(
      ERASED_BYTE,
      sector * this.sectorSizeBytes,
      (sector + 1) * this.sectorSizeBytes,
    );
  }

  /** A copy of the contents. */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  /** Programs bytes that passed the rules. The one place a write lands. */
  private program(address: number, data: Uint8Array): void {
    this.bytes.set(data, address);
  }

  /** Erases one sector that passed the rules. The one place an erase lands. */
  private eraseSector(sector: number): void {
    this.counters.sectorEraseCounts[sector]!++;
    this.bytes.fill(
      ERASED_BYTE,
      sector * this.sectorSizeBytes,
      (sector + 1) * this.sectorSizeBytes,
    );
  }

  private checkRaw(address: number, length: number): void {
    if (!Number.isInteger(address) || address < 0 || address + length > this.sizeBytes) {
      throw new KvsError(
        'OUT_OF_RANGE',
        `${hex(address)}+${length} is outside the ${this.sizeBytes} B flash`,
      );
    }
  }
}

/** Consults faults in injection order; the first that fails a call ends the check. */
function checkFaults(faults: InjectedFault[], address: number, size: number): StatusCode {
  for (const fault of faults) {
    const status = fault.check(address, size);
    if (status !== 'OK') return status;
  }
  return 'OK';
}
