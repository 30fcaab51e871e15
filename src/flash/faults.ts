import {
  type ErrorCode,
  KvsError,
  STATUS_CODES,
  type StatusCode,
  checkInteger,
  isStatusCode,
} from '../status.js';
import { splitmix32 } from '../random.js';

// The faults a test flash can be told to have: injected read and write errors with pw_kvs's
// FlashError semantics, and scheduled power cuts that may tear the operation in flight.

// ---- Injected errors ---------------------------------------------------------------------------

/**
 * An injected read or write error, with the semantics of pw_kvs's FlashError: a call matches
 * when no `address` is given, or when its range overlaps [address, address + size). The first
 * `delay` matching calls pass untouched; the next `times` matching calls fail with `status`.
 */
export interface FaultSpec {
  /** Status the failing calls report (any code but OK). */
  status: ErrorCode;
  /** Start of the matching range (device address). Defaults to matching every call. */
  address?: number;
  /** Length of the matching range in bytes, ≥ 1; only with `address`. Defaults to 1. */
  size?: number;
  /** How many matching calls fail after the delay, ≥ 0. Defaults to every one (always). */
  times?: number;
  /** How many matching calls pass untouched first, ≥ 0. Defaults to 0. */
  delay?: number;
}

/** One injected error and its remaining delay and failure count. */
export class InjectedFault {
  #delay: number;
  #remaining: number;
  readonly #begin: number | undefined;
  readonly #end: number;
  readonly #status: ErrorCode;

  constructor(spec: FaultSpec) {
    this.#status = spec.status;
    this.#delay = spec.delay ?? 0;
    this.#remaining = spec.times ?? Infinity;
    this.#begin = spec.address;
    this.#end = (spec.address ?? 0) + (spec.size ?? 1);
  }

  /** The status this fault gives a call on [address, address + size); OK when it passes. */
  check(address: number, size: number): StatusCode {
    if (this.#begin !== undefined && (address >= this.#end || address + size <= this.#begin)) {
      return 'OK';
    }
    if (this.#delay > 0) {
      this.#delay--;
      return 'OK';
    }
    if (this.#remaining === 0) return 'OK';
    this.#remaining--;
    return this.#status;
  }
}

/** Throws INVALID_ARGUMENT unless `spec` is a well-formed fault. */
export function validateFault(spec: FaultSpec): void {
  const prefix = 'injected error: ';
  const invalid = (message: string): never => {
    throw new KvsError('INVALID_ARGUMENT', prefix + message);
  };
  const status: unknown = spec.status;
  if (!isStatusCode(status) || status === 'OK') {
    // Any pw_status code but OK (the first).
    invalid(`status must be one of ${STATUS_CODES.slice(1).join(', ')}, got ${String(status)}`);
  }
  for (const name of ['address', 'size', 'times', 'delay'] as const) {
    const value = spec[name];
    // `times` may also be Infinity (the default: every matching call fails).
    if (value === undefined || (name === 'times' && value === Infinity)) continue;
    checkInteger(name, value, name === 'size' ? 1 : 0, undefined, prefix);
  }
  if (spec.size !== undefined && spec.address === undefined) invalid('size needs an address');
}

/** Consults faults in injection order; the first that fails the call ends the check. */
export function checkFaults(
  faults: readonly InjectedFault[],
  address: number,
  size: number,
): StatusCode {
  for (const fault of faults) {
    const status = fault.check(address, size);
    if (status !== 'OK') return status;
  }
  return 'OK';
}

// ---- Power cuts --------------------------------------------------------------------------------

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

/** How much of a cut operation lands. */
export interface Tear {
  landedBytes: number;
  partialBitsMask: number;
}

/**
 * How much of a cut operation of `length` bytes lands under `options`, or undefined when the
 * cut operation does nothing (not torn).
 */
export function tearOf(options: PowerCutOptions, length: number): Tear | undefined {
  const torn = options.torn ?? false;
  if (torn === false) return undefined;
  if (torn !== true) {
    return {
      landedBytes: Math.min(Math.max(0, Math.floor(torn.landedBytes)), length),
      partialBitsMask: (torn.partialBitsMask ?? 0) & 0xff,
    };
  }
  const random = splitmix32(options.seed ?? 1);
  return { landedBytes: random() % (length + 1), partialBitsMask: random() & 0xff };
}
