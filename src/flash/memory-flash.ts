import { KvsError, type StatusCode, checkInteger, hex } from '../status.js';
import {
  type FaultSpec,
  InjectedFault,
  type PowerCutOptions,
  type Tear,
  checkFaults,
  tearOf,
  validateFault,
} from './faults.js';
import {
  ERASED_BYTE,
  type FlashGeometry,
  type FlashMemory,
  type FlashResult,
  isErasedRun,
  okFlashResult,
  validateGeometry,
} from './flash-memory.js';

/** Options of an in-memory flash. */
export interface MemoryFlashOptions extends FlashGeometry {
  /**
   * Initial contents, copied in from address 0. May be shorter than the flash: the rest is
   * erased (0xFF). Defaults to a fully erased flash.
   */
  contents?: Uint8Array;
}

// ---- Counters ----------------------------------------------------------------------------------

/**
 * Flash operation counters. Every call counts, failing ones included, and bytes are the
 * requested lengths; the direct access methods (`writeRaw`, `corruptByte`, `eraseSectorRaw`,
 * `bytes`) are not counted.
 */
export interface FlashCounters {
  /** `read` calls. */
  readonly readCalls: number;
  /** Bytes requested by `read` calls. */
  readonly bytesRead: number;
  /** `write` calls. */
  readonly writeCalls: number;
  /** Bytes requested by `write` calls. */
  readonly bytesWritten: number;
  /** `erase` calls; one call may erase several sectors. */
  readonly eraseCalls: number;
  /** Completed erases per sector (wear): only erases that passed the flash rules count. */
  readonly sectorEraseCounts: readonly number[];
  /** Program and erase operations that reached the media (the points a power cut can hit). */
  readonly programEraseOps: number;
}

type MutableCounters = {
  -readonly [K in Exclude<keyof FlashCounters, 'sectorEraseCounts'>]: number;
} & { sectorEraseCounts: number[] };

// ---- The device --------------------------------------------------------------------------------

// Results of refused calls, shared so that a refusal allocates nothing.
const INVALID_ARGUMENT_RESULT: FlashResult = Object.freeze({ status: 'INVALID_ARGUMENT', size: 0 });
const OUT_OF_RANGE_RESULT: FlashResult = Object.freeze({ status: 'OUT_OF_RANGE', size: 0 });
const UNKNOWN_RESULT: FlashResult = Object.freeze({ status: 'UNKNOWN', size: 0 });
const UNAVAILABLE_RESULT: FlashResult = Object.freeze({ status: 'UNAVAILABLE', size: 0 });

/** Below this length a loop copies faster than making a view for `set`. */
const COPY_LOOP_MAX_BYTES = 64;

/** Copies `length` bytes of `source` from `offset` into the start of `target`. */
function copyOut(source: Uint8Array, offset: number, target: Uint8Array, length: number): void {
  if (length <= COPY_LOOP_MAX_BYTES) {
    for (let i = 0; i < length; i++) target[i] = source[offset + i]!;
  } else {
    target.set(source.subarray(offset, offset + length));
  }
}

/**
 * An in-memory NOR flash that enforces the rules of the real thing exactly as pw_kvs's
 * FakeFlashMemory does: erased bytes read 0xFF; a write starts and ends on the alignment and
 * stays in one sector; a byte that is not 0xFF cannot be written again (UNKNOWN, nothing
 * changes); erases are whole sectors. It injects read and write errors, cuts power (optionally
 * tearing the operation in flight), and counts every call and every sector erase (wear).
 *
 * Calls report problems as statuses and never throw. Every program lands through one private
 * method and every sector erase through another, so power cuts act in exactly one place.
 */
export class MemoryFlash implements FlashMemory {
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly sectorSizeBytes: number;
  declare readonly sectorCount: number;
  declare readonly alignmentBytes: number;
  /** Total bytes: `sectorSizeBytes * sectorCount`. */
  declare readonly sizeBytes: number;
  /**
   * The live contents. Reading or writing here bypasses the flash rules and the counters; for
   * test tools and inspectors only.
   */
  declare readonly bytes: Uint8Array;
  /** {@link bytes} as 32-bit words (whole words only), for erased checks. */
  readonly #words: Uint32Array;
  /** Operation counters since construction or the last {@link resetCounters}. */
  declare readonly counters: FlashCounters;
  readonly #count: MutableCounters;
  #readErrors: InjectedFault[] = [];
  #writeErrors: InjectedFault[] = [];
  /** Program/erase operations left before the scheduled cut; undefined when none is set. */
  #opsUntilCut: number | undefined;
  #cutOptions: PowerCutOptions = {};
  #poweredOn = true;

  /**
   * Creates a flash, erased except for `contents`. Throws INVALID_ARGUMENT for an unsupported
   * geometry (see {@link validateGeometry}) or contents longer than the flash.
   */
  constructor(options: MemoryFlashOptions) {
    validateGeometry(options);
    this.sectorSizeBytes = options.sectorSizeBytes;
    this.sectorCount = options.sectorCount;
    this.alignmentBytes = options.alignmentBytes;
    this.sizeBytes = this.sectorSizeBytes * this.sectorCount;
    const contents = options.contents;
    if (contents !== undefined && contents.length > this.sizeBytes) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `contents (${contents.length} B) exceed the ${this.sizeBytes} B flash`,
      );
    }
    this.bytes = new Uint8Array(this.sizeBytes).fill(ERASED_BYTE);
    this.#words = new Uint32Array(this.bytes.buffer, 0, this.sizeBytes >>> 2);
    if (contents !== undefined) this.bytes.set(contents);
    this.#count = {
      readCalls: 0,
      bytesRead: 0,
      writeCalls: 0,
      bytesWritten: 0,
      eraseCalls: 0,
      sectorEraseCounts: new Array<number>(this.sectorCount).fill(0),
      programEraseOps: 0,
    };
    this.counters = this.#count;
  }

  /**
   * Reads `output.length` bytes at `address` into `output`. Reports INVALID_ARGUMENT for a
   * non-integer address, OUT_OF_RANGE past either end (nothing copied), UNAVAILABLE while the
   * power is cut, or the status of the first injected read error that fails the call — in
   * which case the bytes are copied all the same. `size` is the length read.
   */
  read(address: number, output: Uint8Array): FlashResult {
    const length = output.length;
    const count = this.#count;
    count.readCalls++;
    count.bytesRead += length;
    if (!this.#poweredOn) return UNAVAILABLE_RESULT;
    if (!Number.isSafeInteger(address)) return INVALID_ARGUMENT_RESULT;
    if (address < 0 || address + length > this.sizeBytes) return OUT_OF_RANGE_RESULT;
    const status =
      this.#readErrors.length === 0 ? 'OK' : checkFaults(this.#readErrors, address, length);
    // A failing read still delivers the bytes; only the status says it failed.
    copyOut(this.bytes, address, output, length);
    return status === 'OK' ? okFlashResult(length) : { status, size: length };
  }

  /**
   * Programs `data` at `address`, with pw_kvs's checks in pw_kvs's order: INVALID_ARGUMENT if
   * the address or length is not a multiple of the alignment or the run crosses a sector
   * boundary; OUT_OF_RANGE past either end; UNKNOWN if any target byte is not 0xFF (nothing
   * is written). Then the injected write errors are consulted and the bytes are programmed
   * even when one fails the call. UNAVAILABLE while the power is cut, or when the cut lands
   * on this write. `size` is the length written.
   */
  write(address: number, data: Uint8Array): FlashResult {
    const length = data.length;
    const count = this.#count;
    count.writeCalls++;
    count.bytesWritten += length;
    if (!this.#poweredOn) return UNAVAILABLE_RESULT;
    const alignment = this.alignmentBytes;
    if (address % alignment !== 0 || length % alignment !== 0) return INVALID_ARGUMENT_RESULT;
    if (length > this.sectorSizeBytes - (address % this.sectorSizeBytes)) {
      return INVALID_ARGUMENT_RESULT;
    }
    if (address < 0 || address + length > this.sizeBytes) return OUT_OF_RANGE_RESULT;
    // Never over programmed bytes (the array starts at 0 of its buffer, as `#words` does).
    if (!isErasedRun(this.bytes, this.#words, address, address + length)) return UNKNOWN_RESULT;
    const status =
      this.#writeErrors.length === 0 ? 'OK' : checkFaults(this.#writeErrors, address, length);
    // A failing write still programs the bytes; only the status says it failed.
    if (!this.#program(address, data)) return UNAVAILABLE_RESULT;
    return status === 'OK' ? okFlashResult(length) : { status, size: length };
  }

  /**
   * Erases `sectorCount` whole sectors from `address` to 0xFF. Reports INVALID_ARGUMENT if
   * `address` is not on a sector boundary or `sectorCount` is not an integer ≥ 0,
   * OUT_OF_RANGE if the sectors run past either end, UNAVAILABLE while the power is cut or
   * when the cut lands on one of the sectors (the sectors before it are erased).
   */
  erase(address: number, sectorCount: number): StatusCode {
    this.#count.eraseCalls++;
    if (!this.#poweredOn) return 'UNAVAILABLE';
    if (address % this.sectorSizeBytes !== 0) return 'INVALID_ARGUMENT';
    if (!Number.isSafeInteger(sectorCount) || sectorCount < 0) return 'INVALID_ARGUMENT';
    const first = address / this.sectorSizeBytes;
    if (first < 0 || first + sectorCount > this.sectorCount) return 'OUT_OF_RANGE';
    for (let sector = first; sector < first + sectorCount; sector++) {
      if (!this.#eraseSector(sector)) return 'UNAVAILABLE';
    }
    return 'OK';
  }

  /** Zeroes every counter, the per-sector erase counts included. */
  resetCounters(): void {
    const count = this.#count;
    count.readCalls = 0;
    count.bytesRead = 0;
    count.writeCalls = 0;
    count.bytesWritten = 0;
    count.eraseCalls = 0;
    count.programEraseOps = 0;
    count.sectorEraseCounts.fill(0);
  }

  // ---- Fault injection -------------------------------------------------------------------------

  /**
   * Makes matching reads fail (see {@link FaultSpec}); a failing read still fills the buffer.
   * Calls refused by the flash rules (out of range) are not matched. Throws INVALID_ARGUMENT
   * for a malformed spec.
   */
  injectReadError(spec: FaultSpec): void {
    validateFault(spec);
    this.#readErrors.push(new InjectedFault(spec));
  }

  /**
   * Makes matching writes fail (see {@link FaultSpec}); a failing write still programs the
   * bytes. Calls refused by the flash rules (misaligned, out of range, over programmed bytes)
   * are not matched. Throws INVALID_ARGUMENT for a malformed spec.
   */
  injectWriteError(spec: FaultSpec): void {
    validateFault(spec);
    this.#writeErrors.push(new InjectedFault(spec));
  }

  /** Removes every injected read and write error. */
  clearInjectedErrors(): void {
    this.#readErrors = [];
    this.#writeErrors = [];
  }

  // ---- Power cuts ------------------------------------------------------------------------------

  /**
   * Schedules a power cut: `completedOps` more program/erase operations complete (a multi-sector
   * erase is one operation per sector), and the one after is cut, torn or not (see
   * {@link PowerCutOptions}). From then on every call fails with UNAVAILABLE and changes
   * nothing, until {@link powerUp}. The contents stay. Throws INVALID_ARGUMENT unless
   * `completedOps` is an integer ≥ 0.
   */
  schedulePowerCut(completedOps: number, options: PowerCutOptions = {}): void {
    checkInteger('completedOps', completedOps, 0);
    this.#opsUntilCut = completedOps;
    this.#cutOptions = options;
  }

  /** Cuts power now: every later call fails with UNAVAILABLE until {@link powerUp}. */
  cutPower(): void {
    this.#poweredOn = false;
    this.#opsUntilCut = undefined;
  }

  /** Restores power (and cancels a scheduled cut); the contents are as the cut left them. */
  powerUp(): void {
    this.#poweredOn = true;
    this.#opsUntilCut = undefined;
  }

  /** False between a power cut and {@link powerUp}. */
  get isPoweredOn(): boolean {
    return this.#poweredOn;
  }

  // ---- Direct access (no rules, no counters) ---------------------------------------------------

  /** XORs the byte at `address` with `xor` (simulated bit rot). Throws OUT_OF_RANGE. */
  corruptByte(address: number, xor = 1): void {
    this.#checkRaw(address, 1);
    this.bytes[address] = this.bytes[address]! ^ (xor & 0xff);
  }

  /** Overwrites bytes at `address` with `data`, whatever they held. Throws OUT_OF_RANGE. */
  writeRaw(address: number, data: Uint8Array): void {
    this.#checkRaw(address, data.length);
    this.bytes.set(data, address);
  }

  /** Sets sector `index` to 0xFF behind the store's back. Throws OUT_OF_RANGE. */
  eraseSectorRaw(index: number): void {
    checkInteger('sector', index, 0, this.sectorCount - 1, '', 'OUT_OF_RANGE');
    const start = index * this.sectorSizeBytes;
    this.bytes.fill(ERASED_BYTE, start, start + this.sectorSizeBytes);
  }

  /** A copy of the whole contents. */
  snapshot(): Uint8Array {
    return this.bytes.slice();
  }

  #checkRaw(address: number, length: number): void {
    if (!Number.isSafeInteger(address) || address < 0 || address + length > this.sizeBytes) {
      throw new KvsError(
        'OUT_OF_RANGE',
        `${hex(address)}+${length} B is outside the ${this.sizeBytes} B flash`,
      );
    }
  }

  // ---- Media: the one place programs and erases land -------------------------------------------

  /**
   * Programs bytes that passed the rules. Returns false if the power was cut during it (a torn
   * write may have programmed part of it).
   */
  #program(address: number, data: Uint8Array): boolean {
    if (this.#takeCut()) {
      const tear = this.#tear(data.length);
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
    this.#count.programEraseOps++;
    this.bytes.set(data, address);
    return true;
  }

  /**
   * Erases one sector that passed the rules. Returns false if the power was cut during it (a
   * torn erase leaves the sector partly erased).
   */
  #eraseSector(sector: number): boolean {
    const start = sector * this.sectorSizeBytes;
    if (this.#takeCut()) {
      const tear = this.#tear(this.sectorSizeBytes);
      if (tear !== undefined) {
        this.bytes.fill(ERASED_BYTE, start, start + tear.landedBytes);
        if (tear.landedBytes < this.sectorSizeBytes) {
          // Erasing sets bits: some bits of the byte at the tear are set.
          this.bytes[start + tear.landedBytes]! |= tear.partialBitsMask;
        }
      }
      return false;
    }
    this.#count.programEraseOps++;
    this.#count.sectorEraseCounts[sector]!++;
    this.bytes.fill(ERASED_BYTE, start, start + this.sectorSizeBytes);
    return true;
  }

  /** True if this program/erase is the one the scheduled cut hits (the power goes off). */
  #takeCut(): boolean {
    if (this.#opsUntilCut === undefined) return false;
    if (this.#opsUntilCut > 0) {
      this.#opsUntilCut--;
      return false;
    }
    this.cutPower();
    return true;
  }

  /** How much of a cut operation of `length` bytes lands, or undefined for none. */
  #tear(length: number): Tear | undefined {
    return tearOf(this.#cutOptions, length);
  }
}
