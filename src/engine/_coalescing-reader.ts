import type { FlashResult } from '../flash/flash-memory.js';
import type { FlashPartition } from '../flash/flash-partition.js';
import { okFlashResult } from '../flash/flash-memory.js';
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
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly sectorSizeBytes: number;
  declare readonly sectorCount: number;
  declare readonly alignmentBytes: number;
  declare readonly sizeBytes: number;
  readonly #window: Uint8Array;
  #windowStart = 0;
  #windowLength = 0;
  #readAheadBytes = MIN_READ_AHEAD_BYTES;
  /** Where the bytes of the last {@link load} are: the window or #scratch. */
  loadedBytes: Uint8Array = new Uint8Array(0);
  /** Offset of those bytes in {@link loadedBytes}. */
  loadedOffset = 0;
  /** Views of the window's start, by length (see windowStartView). */
  readonly #startViews: (Uint8Array | undefined)[];
  /** The last view of the window made from each offset (see windowView). */
  readonly #offsetViews: (Uint8Array | undefined)[];
  /** Receives the bytes of reads that `load` sends straight to the partition. */
  #scratch = new Uint8Array(0);
  readonly #partition: FlashPartition;

  declare readonly enabled: boolean;

  constructor(partition: FlashPartition, enabled: boolean) {
    this.enabled = enabled;
    this.#partition = partition;
    this.sectorSizeBytes = partition.sectorSizeBytes;
    this.sectorCount = partition.sectorCount;
    this.alignmentBytes = partition.alignmentBytes;
    this.sizeBytes = partition.sizeBytes;
    this.#window = new Uint8Array(enabled ? partition.sectorSizeBytes : 0);
    this.#startViews = new Array<Uint8Array | undefined>(this.#window.length + 1).fill(undefined);
    this.#offsetViews = new Array<Uint8Array | undefined>(this.#window.length).fill(undefined);
  }

  /** Forgets the window. */
  invalidate(): void {
    this.#windowLength = 0;
  }

  /**
   * Loads [address, address + length) into the window with one read, unless it is there
   * already. Ranges that leave the sector are not prefetched.
   */
  prefetch(address: number, length: number): void {
    if (!this.enabled || length <= 0 || this.#contains(address, length)) return;
    const sectorEnd = this.#sectorEnd(address);
    if (address + length > sectorEnd || address < 0) return;
    const result = this.#partition.read(address, this.#windowStartView(length));
    this.#windowStart = address;
    this.#windowLength = result.status === 'OK' ? length : 0;
    this.#readAheadBytes = MIN_READ_AHEAD_BYTES;
  }

  read(address: number, output: Uint8Array): FlashResult {
    const length = output.length;
    if (!this.enabled) return this.#partition.read(address, output);
    if (!this.#contains(address, length)) {
      const sectorEnd = this.#sectorEnd(address);
      if (address < 0 || address + length > sectorEnd || length === 0) {
        return this.#partition.read(address, output);
      }
      const failed = this.#fetch(address, length, sectorEnd);
      if (failed !== undefined) {
        if (failed.extended) return this.#partition.read(address, output);
        output.set(this.#window.subarray(0, length));
        return { status: failed.status, size: failed.size === 0 ? 0 : length };
      }
    }
    const window = this.#window;
    const offset = address - this.#windowStart;
    // Entries are small: a loop beats making a view for `set`.
    if (length <= 64) for (let i = 0; i < length; i++) output[i] = window[offset + i]!;
    else output.set(window.subarray(offset, offset + length));
    return okFlashResult(length);
  }

  /**
   * True if [address, address + length) is in the window: {@link windowBytes} holds it from
   * {@link windowOffset}, as the flash held it during this operation.
   */
  holds(address: number, length: number): boolean {
    return this.#contains(address, length);
  }

  /** The window's bytes. */
  get windowBytes(): Uint8Array {
    return this.#window;
  }

  /** Where `address` sits in {@link windowBytes} (for a range the window holds). */
  windowOffset(address: number): number {
    return address - this.#windowStart;
  }

  /**
   * Reads [address, address + length) like {@link read}, with exactly the flash calls `read`
   * would make, but leaves the bytes where they are: at {@link loadedOffset} of
   * {@link loadedBytes} (the window, or a scratch array for reads that bypass it). They stay
   * valid until the next call. Returns the status `read` would.
   */
  load(address: number, length: number): StatusCode {
    if (this.enabled) {
      if (this.#contains(address, length)) {
        this.loadedBytes = this.#window;
        this.loadedOffset = address - this.#windowStart;
        return 'OK';
      }
      const sectorEnd = this.#sectorEnd(address);
      if (address >= 0 && address + length <= sectorEnd && length !== 0) {
        const failed = this.#fetch(address, length, sectorEnd);
        if (failed === undefined || !failed.extended) {
          // A failed fresh read still delivers the window's start, as `read` does.
          this.loadedBytes = this.#window;
          this.loadedOffset = failed === undefined ? address - this.#windowStart : 0;
          return failed === undefined ? 'OK' : failed.status;
        }
      }
    }
    // Straight to the partition, as `read` goes, into zeros as a new buffer would be.
    if (this.#scratch.length < length) this.#scratch = new Uint8Array(length);
    else this.#scratch.fill(0, 0, length);
    this.loadedBytes = this.#scratch;
    this.loadedOffset = 0;
    return this.#partition.read(address, this.#scratch.subarray(0, length)).status;
  }

  /**
   * Loads a range that is not in the window but lies in one sector: a sequential read extends
   * the window with a growing read-ahead, any other starts a new window. Undefined on success;
   * on a failed read, its result and whether it was an extension (the window is then gone).
   */
  #fetch(
    address: number,
    length: number,
    sectorEnd: number,
  ): (FlashResult & { extended: boolean }) | undefined {
    const windowEnd = this.#windowStart + this.#windowLength;
    const extends_ =
      this.#windowLength > 0 &&
      address >= this.#windowStart &&
      address <= windowEnd &&
      sectorEnd === this.#sectorEnd(this.#windowStart);
    if (extends_) {
      // Sequential: read what is missing and a growing step beyond it.
      const fetchEnd = Math.min(
        sectorEnd,
        Math.max(address + length, windowEnd + this.#readAheadBytes),
      );
      const result = this.#partition.read(
        windowEnd,
        this.#windowView(this.#windowLength, fetchEnd - this.#windowStart),
      );
      if (result.status !== 'OK') {
        this.invalidate();
        return { status: result.status, size: result.size, extended: true };
      }
      this.#windowLength = fetchEnd - this.#windowStart;
      this.#readAheadBytes = Math.min(MAX_READ_AHEAD_BYTES, this.#readAheadBytes * 2);
      return undefined;
    }
    const fetchEnd = Math.min(sectorEnd, address + Math.max(length, MIN_READ_AHEAD_BYTES));
    const result = this.#partition.read(address, this.#windowStartView(fetchEnd - address));
    this.#windowStart = address;
    this.#readAheadBytes = MIN_READ_AHEAD_BYTES * 2;
    if (result.status !== 'OK') {
      this.invalidate();
      return { status: result.status, size: result.size, extended: false };
    }
    this.#windowLength = fetchEnd - address;
    return undefined;
  }

  write(address: number, data: Uint8Array): FlashResult {
    this.invalidate();
    return this.#partition.write(address, data);
  }

  erase(address: number, sectorCount: number): StatusCode {
    this.invalidate();
    return this.#partition.erase(address, sectorCount);
  }

  /**
   * The window's first `length` bytes as a view, kept per length: reads into the window
   * start there with a handful of lengths (entry sizes, read-ahead steps), and making a view
   * costs more than the read it serves.
   */
  #windowStartView(length: number): Uint8Array {
    let view = this.#startViews[length];
    if (view === undefined) {
      view = this.#window.subarray(0, length);
      this.#startViews[length] = view;
    }
    return view;
  }

  /**
   * The window's bytes [begin, end) as a view, the last one made from `begin` reused when it
   * ends there too: a scan extends the window at the same offsets by the same steps in every
   * sector of the same layout.
   */
  #windowView(begin: number, end: number): Uint8Array {
    let view = this.#offsetViews[begin];
    if (view === undefined || view.length !== end - begin) {
      view = this.#window.subarray(begin, end);
      this.#offsetViews[begin] = view;
    }
    return view;
  }

  #contains(address: number, length: number): boolean {
    return (
      this.#windowLength > 0 &&
      address >= this.#windowStart &&
      address + length <= this.#windowStart + this.#windowLength
    );
  }

  #sectorEnd(address: number): number {
    return (Math.floor(address / this.sectorSizeBytes) + 1) * this.sectorSizeBytes;
  }
}
