import type { FlashResult } from '../flash/flash-memory.js';
import type { FlashPartition } from '../flash/flash-partition.js';
import type { StatusCode } from '../status.js';

/** What the engine needs of a partition: FlashPartition, or a reader that wraps one. */
export interface PartitionIO {
  readonly sectorSizeBytes: number;
  readonly sectorCount: number;
  readonly alignmentBytes: number;
  readonly sizeBytes: number;
  read(address: number, output: Uint8Array): FlashResult;
  write(address: number, data: Uint8Array): FlashResult;
  erase(address: number, sectorCount: number): StatusCode;
  appearsErased(bytes: Uint8Array): boolean;
}

/** Read-ahead grows from one header to this many bytes while reads stay sequential. */
const MAX_READ_AHEAD_BYTES = 256;
const MIN_READ_AHEAD_BYTES = 16;

/**
 * Serves the engine's many small reads (pw_kvs reads a header, then a key, then a value, then
 * the entry again in 32-byte chunks to check it) from one window of flash per entry or scan:
 * the engine announces an entry it is about to read (`prefetch`), and sequential scans read
 * ahead in growing steps. Bytes are never read twice while they stay in the window.
 *
 * The window only lives within one operation of the store: `invalidate` is called at the start
 * of each one (the flash may change behind the store's back between operations) and every
 * write or erase drops it. When disabled, every read goes straight to the partition, so the
 * flash sees exactly pw_kvs's calls (fault-injection scenarios count them).
 */
export class CoalescingReader implements PartitionIO {
  readonly sectorSizeBytes: number;
  readonly sectorCount: number;
  readonly alignmentBytes: number;
  readonly sizeBytes: number;
  private readonly window: Uint8Array;
  private windowStart = 0;
  private windowLength = 0;
  private readAheadBytes = MIN_READ_AHEAD_BYTES;

  constructor(
    private readonly partition: FlashPartition,
    readonly enabled: boolean,
  ) {
    this.sectorSizeBytes = partition.sectorSizeBytes;
    this.sectorCount = partition.sectorCount;
    this.alignmentBytes = partition.alignmentBytes;
    this.sizeBytes = partition.sizeBytes;
    this.window = new Uint8Array(enabled ? partition.sectorSizeBytes : 0);
  }

  /** Forgets the window. */
  invalidate(): void {
    this.windowLength = 0;
  }

  /**
   * Loads [address, address + length) into the window with one read, unless it is there
   * already. Ranges that leave the sector are not prefetched.
   */
  prefetch(address: number, length: number): void {
    if (!this.enabled || length <= 0 || this.contains(address, length)) return;
    const sectorEnd = this.sectorEnd(address);
    if (address + length > sectorEnd || address < 0) return;
    const result = this.partition.read(address, this.window.subarray(0, length));
    this.windowStart = address;
    this.windowLength = result.status === 'OK' ? length : 0;
    this.readAheadBytes = MIN_READ_AHEAD_BYTES;
  }

  read(address: number, output: Uint8Array): FlashResult {
    const length = output.length;
    if (!this.enabled) return this.partition.read(address, output);
    if (this.contains(address, length)) {
      const offset = address - this.windowStart;
      output.set(this.window.subarray(offset, offset + length));
      return { status: 'OK', size: length };
    }
    const sectorEnd = this.sectorEnd(address);
    if (address < 0 || address + length > sectorEnd || length === 0) {
      return this.partition.read(address, output);
    }
    const windowEnd = this.windowStart + this.windowLength;
    const extends_ =
      this.windowLength > 0 &&
      address >= this.windowStart &&
      address <= windowEnd &&
      sectorEnd === this.sectorEnd(this.windowStart);
    if (extends_) {
      // Sequential: read what is missing and a growing step beyond it.
      const fetchEnd = Math.min(
        sectorEnd,
        Math.max(address + length, windowEnd + this.readAheadBytes),
      );
      const result = this.partition.read(
        windowEnd,
        this.window.subarray(this.windowLength, fetchEnd - this.windowStart),
      );
      if (result.status !== 'OK') {
        this.invalidate();
        return this.partition.read(address, output);
      }
      this.windowLength = fetchEnd - this.windowStart;
      this.readAheadBytes = Math.min(MAX_READ_AHEAD_BYTES, this.readAheadBytes * 2);
    } else {
      const fetchEnd = Math.min(sectorEnd, address + Math.max(length, MIN_READ_AHEAD_BYTES));
      const result = this.partition.read(address, this.window.subarray(0, fetchEnd - address));
      this.windowStart = address;
      this.readAheadBytes = MIN_READ_AHEAD_BYTES * 2;
      if (result.status !== 'OK') {
        this.invalidate();
        output.set(this.window.subarray(0, length));
        return { status: result.status, size: result.size === 0 ? 0 : length };
      }
      this.windowLength = fetchEnd - address;
    }
    const offset = address - this.windowStart;
    output.set(this.window.subarray(offset, offset + length));
    return { status: 'OK', size: length };
  }

  write(address: number, data: Uint8Array): FlashResult {
    this.invalidate();
    return this.partition.write(address, data);
  }

  erase(address: number, sectorCount: number): StatusCode {
    this.invalidate();
    return this.partition.erase(address, sectorCount);
  }

  appearsErased(bytes: Uint8Array): boolean {
    return this.partition.appearsErased(bytes);
  }

  private contains(address: number, length: number): boolean {
    return (
      this.windowLength > 0 &&
      address >= this.windowStart &&
      address + length <= this.windowStart + this.windowLength
    );
  }

  private sectorEnd(address: number): number {
    return (Math.floor(address / this.sectorSizeBytes) + 1) * this.sectorSizeBytes;
  }
}
