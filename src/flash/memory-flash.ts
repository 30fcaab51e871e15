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

/**
 * How a scheduled power cut lands. The operation that is cut can be a write (program) or an
 * erase; with `torn`, part of its work happens first, as on real NOR flash.
 */
export interface PowerCutOptions {
  /**
   * A cut write programs its first `landedBytes` bytes, and the byte after them gets only some
   * of its bits (`partialBitsMask` selects which of the bits being cleared get cleared); a cut
   * erase erases the first `landedBytes` bytes of the sector and sets some bits of the next.
   * `true` picks both at random from `seed`. Defaults to false: the cut operation does nothing.
   */
  torn?: boolean | { landedBytes: number; partialBitsMask?: number };
  /** Seed for random tears. Defaults to 1. */
  seed?: number;
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
  /** Program and erase operations that reached the media (the points a power cut can hit). */
  programEraseOps: number;
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
  /** Program/erase operations left before the scheduled cut; undefined when none is set. */
  private opsUntilCut: number | undefined;
  private cutOptions: PowerCutOptions = {};
  private poweredOn = true;

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
      programEraseOps: 0,
    };
  }

  /** Total bytes. */
  get sizeBytes(): number {
    return this.sectorSizeBytes * this.sectorCount;
  }

  read(address: number, output: Uint8Array): FlashResult {
    this.counters.readCalls++;
    this.counters.bytesRead += output.length;
    if (!this.poweredOn) return { status: 'UNAVAILABLE', size: 0 };
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
    if (!this.poweredOn) return { status: 'UNAVAILABLE', size: 0 };
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
    if (!this.program(address, data)) return { status: 'UNAVAILABLE', size: 0 };
    return { status, size: data.length };
  }

  erase(address: number, sectorCount: number): StatusCode {
    this.counters.eraseCalls++;
    if (!this.poweredOn) return 'UNAVAILABLE';
    if (address % this.sectorSizeBytes !== 0) return 'INVALID_ARGUMENT';
    const first = address / this.sectorSizeBytes;
    if (first + sectorCount > this.sectorCount) return 'OUT_OF_RANGE';
    for (let sector = first; sector < first + sectorCount; sector++) {
      if (!this.eraseSector(sector)) return 'UNAVAILABLE';
    }
    return 'OK';
  }

  /**
   * Schedules a power cut: `completedOps` more program/erase operations complete, and the one
   * after is cut (torn or not, see {@link PowerCutOptions}). From then on every call fails with
   * UNAVAILABLE and changes nothing, until {@link powerUp}. The contents stay.
   */
  schedulePowerCut(completedOps: number, options: PowerCutOptions = {}): void {
    if (!Number.isInteger(completedOps) || completedOps < 0) {
      throw new KvsError('INVALID_ARGUMENT', `completedOps must be ≥ 0, got ${completedOps}`);
    }
    this.opsUntilCut = completedOps;
    this.cutOptions = options;
  }

  /** Cuts power now: every later call fails until {@link powerUp}. */
  cutPower(): void {
    this.poweredOn = false;
    this.opsUntilCut = undefined;
  }

  /** Restores power (and cancels a scheduled cut); the contents are as the cut left them. */
  powerUp(): void {
    this.poweredOn = true;
    this.opsUntilCut = undefined;
  }

  /** False between a power cut and {@link powerUp}. */
  get isPoweredOn(): boolean {
    return this.poweredOn;
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
      programEraseOps: 0,
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

  /**
   * Programs bytes that passed the rules: the one place a write lands. Returns false if the
   * power was cut during it (a torn write may have programmed part of it).
   */
  private program(address: number, data: Uint8Array): boolean {
    if (this.takeCut()) {
      const tear = this.tear(data.length);
      if (tear !== undefined) {
        for (let i = 0; i < tear.landedBytes; i++) this.bytes[address + i]! &= data[i]!;
        if (tear.landedBytes < data.length) {
          // NOR programming only clears bits: some of the bits being cleared made it.
          const at = address + tear.landedBytes;
          const old = this.bytes[at]!;
          const clearing = old & ~data[tear.landedBytes]!;
          this.bytes[at] = old & ~(clearing & tear.partialBitsMask);
        }
      }
      return false;
    }
    this.counters.programEraseOps++;
    this.bytes.set(data, address);
    return true;
  }

  /**
   * Erases one sector that passed the rules: the one place an erase lands. Returns false if the
   * power was cut during it (a torn erase leaves the sector partly erased).
   */
  private eraseSector(sector: number): boolean {
    const start = sector * this.sectorSizeBytes;
    if (this.takeCut()) {
      const tear = this.tear(this.sectorSizeBytes);
      if (tear !== undefined) {
        this.bytes.fill(ERASED_BYTE, start, start + tear.landedBytes);
        if (tear.landedBytes < this.sectorSizeBytes) {
          // Erasing sets bits: some bits of the byte at the tear are set.
          this.bytes[start + tear.landedBytes]! |= tear.partialBitsMask;
        }
      }
      return false;
    }
    this.counters.programEraseOps++;
    this.counters.sectorEraseCounts[sector]!++;
    this.bytes.fill(ERASED_BYTE, start, start + this.sectorSizeBytes);
    return true;
  }

  /** True if this program/erase is the one the scheduled cut hits (power goes off). */
  private takeCut(): boolean {
    if (this.opsUntilCut === undefined) return false;
    if (this.opsUntilCut > 0) {
      this.opsUntilCut--;
      return false;
    }
    this.cutPower();
    return true;
  }

  /** How much of a cut operation of `length` bytes lands, or undefined for none. */
  private tear(length: number): { landedBytes: number; partialBitsMask: number } | undefined {
    const torn = this.cutOptions.torn ?? false;
    if (torn === false) return undefined;
    if (torn !== true) {
      return {
        landedBytes: Math.min(Math.max(0, Math.floor(torn.landedBytes)), length),
        partialBitsMask: (torn.partialBitsMask ?? 0) & 0xff,
      };
    }
    const random = splitmix32(this.cutOptions.seed ?? 1);
    return { landedBytes: random() % (length + 1), partialBitsMask: random() & 0xff };
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

/** A small seeded PRNG (32-bit splitmix) for reproducible tears. */
function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Consults faults in injection order; the first that fails a call ends the check. */
function checkFaults(faults: InjectedFault[], address: number, size: number): StatusCode {
  for (const fault of faults) {
    const status = fault.check(address, size);
    if (status !== 'OK') return status;
  }
  return 'OK';
}
