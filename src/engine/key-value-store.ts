import type { FlashResult } from '../flash/flash-memory.js';
import type { FlashPartition } from '../flash/flash-partition.js';
import type { EntryFormats } from '../format/entry-format.js';
import {
  ENTRY_HEADER_SIZE,
  MAX_KEY_LENGTH,
  MIN_ALIGNMENT_BYTES,
  alignUp,
  entrySizeFor,
  readU32,
} from '../format/entry-header.js';
import { type KeyHashChar, hashKeyRange } from '../format/hash.js';
import { type ErrorCode, KvsError, type StatusCode, checkInteger, hex } from '../status.js';
import { CoalescingReader } from './_coalescing-reader.js';
import { Entry, type EntryReadResult } from './entry.js';
import {
  EntryCache,
  type EntryState,
  type FindResult,
  type LookupContext,
  fingerprint,
  fingerprintRange,
} from './entry-cache.js';
import {
  type GcOnWrite,
  type KeyValueStoreOptions,
  type ReadStrategy,
  type Recovery,
  type SurplusKeys,
  resolveOptions,
} from './options.js';
import { type SectorDescriptor, Sectors } from './sectors.js';
import { utf8Decode, utf8Encode } from '../utf8.js';

export type {
  GcOnWrite,
  KeyHashChar,
  KeyValueStoreOptions,
  ReadStrategy,
  Recovery,
  SurplusKeys,
} from './options.js';

/** Space accounting and repair counters, as pw_kvs reports them. */
export interface StorageStats {
  /** Bytes still writable, not counting the one sector kept empty for garbage collection. */
  writableBytes: number;
  /** Bytes of current entries (all copies). */
  inUseBytes: number;
  /**
   * Bytes garbage collection could reclaim, as a number: exact up to 2^53, which undamaged
   * flash stays far below; {@link KeyValueStore.reclaimableBytesU64} gives pw_kvs's exact
   * value when damage made it wrap.
   */
  reclaimableBytes: number;
  /** Sectors erased by this store object since it was constructed. */
  sectorEraseCount: number;
  /** Corrupt sectors repaired since construction. */
  corruptSectorsRecovered: number;
  /** Keys whose missing copies were restored since construction. */
  missingRedundantEntriesRecovered: number;
}

/** A live key met during iteration; reads go straight to the key's copies. */
export interface KvsItem {
  /** The key's bytes (all of them, even a 0x00 byte). */
  readonly key: Uint8Array;
  /** The key as UTF-8 text (invalid sequences replaced). */
  readonly keyText: string;
  /**
   * Reads the value into `buffer` from `offsetBytes`; returns the bytes read. Throws like
   * {@link KeyValueStore.read}.
   */
  read(buffer: Uint8Array, offsetBytes?: number): number;
  /** {@link read} as a status and the bytes read, as pw_kvs's iterator reports it. */
  readStatus(buffer: Uint8Array, offsetBytes?: number): FlashResult;
  /** Reads the whole value. */
  value(): Uint8Array;
}

type InitState = 'notInitialized' | 'needsMaintenance' | 'ready';

/** A value read whole, or the status that stopped it. */
export type ValueResult =
  | { readonly status: 'OK'; readonly value: Uint8Array }
  | { readonly status: ErrorCode; readonly value?: undefined };

/** The key and value bytes an entry is written from; none when it is copied from flash. */
interface EntrySource {
  key: Uint8Array;
  value: Uint8Array;
}

const EMPTY = new Uint8Array(0);
type MaintenanceType = 'regular' | 'heavy';

/** Usage above this share of the partition makes full maintenance collect every sector. */
const GC_USAGE_THRESHOLD_PERCENTAGE = 70;
const MAX_SECTOR_SIZE_BYTES = 0xffff - 1;

function ok(status: StatusCode): status is 'OK' {
  return status === 'OK';
}

/** The bytes of a key or value, or undefined when it is neither text nor bytes. */
function toBytes(value: unknown): Uint8Array | undefined {
  if (typeof value === 'string') return utf8Encode(value);
  // Plain JavaScript callers can pass anything: that is bad input, not a crash.
  return value instanceof Uint8Array ? value : undefined;
}

function fail(code: ErrorCode, message: string, size = 0): never {
  throw new KvsError(code, message, { size });
}

/** Why `value` (`what`: the key or the value) is neither text nor bytes. */
function describeNotBytes(what: string, value: unknown): string {
  return `${what} must be a string or a Uint8Array, got ${typeof value}`;
}

/** Why `key` is refused, or undefined when it is a valid key. */
function describeInvalidKey(key: unknown): string | undefined {
  const bytes = toBytes(key);
  if (bytes === undefined) return describeNotBytes('key', key);
  if (bytes.length === 0 || bytes.length > MAX_KEY_LENGTH) {
    return `key must be 1..${MAX_KEY_LENGTH} bytes, got ${bytes.length}`;
  }
  return undefined;
}

/** A key for an error message, whatever the caller passed. */
function keyForMessage(key: unknown): string {
  const bytes = toBytes(key);
  return bytes === undefined ? String(key) : describeKey(bytes);
}

/**
 * A key-value store on a flash partition, reading and writing exactly pw_kvs's on-flash format
 * with pw_kvs's policies, so the same operations leave the same bytes.
 *
 * Call {@link init} first. Keys are 1..63 bytes (strings are UTF-8 encoded); values up to what
 * one sector holds. Every operation exists twice: a `...Status` method that returns pw_kvs's
 * status (the core), and a method that throws {@link KvsError} with that status.
 */
export class KeyValueStore {
  declare readonly partition: FlashPartition;
  // The resolved options, set by the constructor in one step (see resolveOptions); `declare`:
  // no field definitions are emitted.
  declare readonly formats: EntryFormats;
  declare readonly redundancy: number;
  declare readonly maxEntries: number;
  declare readonly maxSectors: number;
  declare readonly gcOnWrite: GcOnWrite;
  declare readonly recovery: Recovery;
  declare readonly verifyOnRead: boolean;
  declare readonly verifyOnWrite: boolean;
  declare readonly surplusKeys: SurplusKeys;
  declare readonly readStrategy: ReadStrategy;
  declare readonly powerLossHardening: boolean;
  declare readonly keyHashChar: KeyHashChar;

  /** All flash access goes through here, so reads can be coalesced. */
  readonly #io: CoalescingReader;
  readonly #sectors: Sectors;
  readonly #cache: EntryCache;
  /** What the entry cache needs to look a key up. */
  readonly #lookup: LookupContext;
  #initState: InitState = 'notInitialized';
  #errorFound = false;
  #lastTransactionId = 0;
  /** The entry of reads whose entry does not outlive the operation (see Entry.readInto). */
  readonly #reusableEntry: Entry;
  /**
   * What #writeEntry writes with (its entry, reserved addresses and source bytes),
   * reused so that a put allocates nothing; writes do not nest.
   */
  readonly #writtenEntry: Entry;
  /** `#reservedPrefixes[i]` holds the first i addresses #getAddressesForWrite reserved. */
  readonly #reservedPrefixes: number[][];
  readonly #writeSource: EntrySource = { key: EMPTY, value: EMPTY };
  /** Where the entry after the one #loadEntry just loaded may start. */
  #scannedNextAddress = 0;
  /** Entries of new keys the last scan found no room for in the index. */
  #surplusKeysFound = 0;
  readonly #stats = {
    sectorEraseCount: 0,
    corruptSectorsRecovered: 0,
    missingRedundantEntriesRecovered: 0,
  };

  /**
   * Creates a store over `partition`; nothing is read until {@link init}.
   * Throws INVALID_ARGUMENT for options out of range.
   */
  constructor(partition: FlashPartition, options: KeyValueStoreOptions = {}) {
    this.partition = partition;
    Object.assign(this, resolveOptions(partition, options));
    this.#io = new CoalescingReader(partition, this.readStrategy !== 'pwKvs');
    this.#sectors = new Sectors(partition.sectorCount, partition.sectorSizeBytes);
    this.#cache = new EntryCache(this.maxEntries, this.redundancy, {
      fingerprints: this.readStrategy === 'trusted',
      keyHashChar: this.keyHashChar,
    });
    this.#lookup = { io: this.#io, sectors: this.#sectors, formats: this.formats };
    this.#reusableEntry = Entry.reusable(this.#io, this.formats.primary);
    this.#writtenEntry = Entry.reusable(this.#io, this.formats.primary);
    this.#reservedPrefixes = Array.from({ length: this.redundancy + 1 }, (_, length) =>
      new Array<number>(length).fill(0),
    );
  }

  // ---------------------------------------------------------------------------------------
  // Entry scan (init)
  // ---------------------------------------------------------------------------------------

  /**
   * Scans the flash and builds the index. With `recovery` lazy or immediate, errors found are
   * repaired on the spot. Throws:
   * - FAILED_PRECONDITION: the partition has more sectors than `maxSectors`, fewer than 2, or
   *   sectors over 65 534 bytes; the store stays unusable.
   * - RESOURCE_EXHAUSTED: the flash holds more keys than `maxEntries` and `surplusKeys` is
   *   `refuse` (the default); nothing was written and the store stays unusable.
   * - DATA_LOSS: corruption was found and is not (yet) repaired; the store is open for reads,
   *   and for writes once maintenance has repaired it.
   */
  init(): void {
    const status = this.initStatus();
    if (!ok(status)) fail(status as ErrorCode, this.#describeInitFailure(status));
  }

  /** {@link init} as a status. */
  initStatus(): StatusCode {
    this.#io.invalidate();
    this.#initState = 'notInitialized';
    this.#errorFound = false;
    this.#lastTransactionId = 0;
    const sectorCount = this.partition.sectorCount;
    if (sectorCount > this.maxSectors || sectorCount < 2) return 'FAILED_PRECONDITION';
    if (this.partition.sectorSizeBytes > MAX_SECTOR_SIZE_BYTES) return 'FAILED_PRECONDITION';

    const metadataStatus = this.#initializeMetadata();
    if (this.#surplusKeysFound > 0 && this.surplusKeys === 'refuse') {
      this.#cache.reset();
      return 'RESOURCE_EXHAUSTED';
    }
    if (!this.#errorFound) {
      this.#initState = 'ready';
    } else {
      this.#initState = 'needsMaintenance';
      if (this.recovery !== 'manual') {
        const restoredBefore = this.#stats.missingRedundantEntriesRecovered;
        const recoveryStatus = this.#fixErrors();
        if (ok(recoveryStatus)) {
          // A redundancy increase is a configuration change, not a repair.
          if (metadataStatus === 'OUT_OF_RANGE') {
            this.#stats.missingRedundantEntriesRecovered = restoredBefore;
          }
          this.#initState = 'ready';
        }
      }
    }
    return this.#errorFound ? 'DATA_LOSS' : 'OK';
  }

  #describeInitFailure(status: StatusCode): string {
    if (status === 'DATA_LOSS') {
      return 'errors on flash not repaired: reads work, writes need maintenance';
    }
    if (status === 'RESOURCE_EXHAUSTED') {
      return (
        `the flash holds at least ${this.#surplusKeysFound} keys more than maxEntries ` +
        `(${this.maxEntries}); nothing was changed`
      );
    }
    const { sectorCount, sectorSizeBytes } = this.partition;
    if (sectorCount > this.maxSectors || sectorCount < 2) {
      return `partition has ${sectorCount} sector(s); a store needs 2 (one is kept empty) to maxSectors (${this.maxSectors})`;
    }
    return `sector size ${sectorSizeBytes} B is over ${MAX_SECTOR_SIZE_BYTES} B`;
  }

  /** Rebuilds the index and sector accounting from flash; records errors in `errorFound`. */
  #initializeMetadata(): StatusCode {
    const sectorSize = this.partition.sectorSizeBytes;
    this.#sectors.reset();
    this.#cache.reset();
    this.#surplusKeysFound = 0;

    let emptySectorFound = false;
    for (const sector of this.#sectors.descriptors) {
      this.#scanSector(sector);
      if (sector.isEmpty(sectorSize)) emptySectorFound = true;
    }

    // Second pass: count valid bytes per sector, drop unreadable copies, find the newest entry.
    // pw_kvs reads every copy's header again; only its read calls need that.
    const rereadHeaders = !this.#io.enabled || this.#cache.hasCopiesOfOtherSizes;
    let copiesMissing = 0;
    let newestAddress = 0;
    for (let index = 0; index < this.#cache.totalEntries; index++) {
      if (this.#cache.addressCount(index) < this.redundancy) copiesMissing++;
      let slot = 0;
      while (slot < this.#cache.addressCount(index)) {
        const address = this.#cache.address(index, slot);
        const sector = this.#sectors.fromAddress(address);
        if (rereadHeaders === false) {
          // Every copy was read and verified by the scan just now; its size is known.
          sector.addValidBytes(this.#cache.entrySize(index));
          slot++;
          continue;
        }
        const read = Entry.read(this.#io, address, this.formats);
        if (read.status === 'OK') {
          sector.addValidBytes(read.entry.size);
          slot++;
        } else {
          this.#errorFound = true;
          sector.markCorrupt();
          this.#cache.removeAddress(index, address);
        }
      }
      const transactionId = this.#cache.transactionId(index);
      if (transactionId > this.#lastTransactionId) {
        this.#lastTransactionId = transactionId;
        const count = this.#cache.addressCount(index);
        if (count > 0) newestAddress = this.#cache.address(index, count - 1);
      }
    }
    this.#sectors.setLastNewSector(newestAddress);

    if (!emptySectorFound) this.#errorFound = true;
    if (copiesMissing > 0) {
      const otherErrors = this.#errorFound;
      this.#errorFound = true;
      if (!otherErrors && copiesMissing === this.#cache.totalEntries) return 'OUT_OF_RANGE';
    }
    return this.#errorFound ? 'FAILED_PRECONDITION' : 'OK';
  }

  /**
   * Scans one sector's entries into the index and accounts its writable bytes; corrupt
   * stretches mark it corrupt. A function of its own, called once per sector, so that it is
   * optimized during the first scan rather than compiled on the fly inside one long loop.
   */
  #scanSector(sector: SectorDescriptor): void {
    const sectorSize = this.partition.sectorSizeBytes;
    const sectorAddress = this.#sectors.baseAddress(sector);
    let entryAddress = sectorAddress;
    let corruptBytes = 0;
    // Every step moves forward by at least 16 bytes, so the scan of a sector ends.
    while (this.#sectors.isAddressInSector(sector, entryAddress)) {
      let nextAddress: number;
      const loaded = this.#loadEntry(entryAddress);
      if (loaded === 'NOT_FOUND') break;
      if (!ok(loaded)) {
        this.#errorFound = true;
        const found = this.#scanForEntry(sector, entryAddress + MIN_ALIGNMENT_BYTES);
        if (found === undefined) {
          corruptBytes += sectorSize - (entryAddress - sectorAddress);
          break;
        }
        corruptBytes += found - entryAddress;
        nextAddress = found;
      } else {
        nextAddress = this.#scannedNextAddress;
      }
      entryAddress = nextAddress;
    }
    // Accounted once the sector's scan ends (entries only ever move it forward).
    sector.writableBytes = sectorSize - (entryAddress - sectorAddress);
    if (corruptBytes > 0) {
      sector.markCorrupt();
      this.#errorFound = true;
    }
  }

  /**
   * Reads and validates the entry at `address` and offers it to the index; on OK,
   * `scannedNextAddress` is where the next entry may start. The reads are those of
   * Entry.read, readKey, verifyChecksumInFlash and readValue; the bytes are hashed and
   * fingerprinted where they were loaded.
   */
  #loadEntry(address: number): StatusCode {
    const entry = this.#reusableEntry;
    const read = Entry.readInto(this.#io, address, this.formats, entry);
    if (!ok(read)) return read;
    const keyLength = entry.keyLength;
    if (keyLength === 0) return 'DATA_LOSS';
    const keyStatus = this.#io.load(address + ENTRY_HEADER_SIZE, keyLength);
    if (!ok(keyStatus)) return keyStatus;
    const keyBytes = this.#io.loadedBytes;
    const keyAt = this.#io.loadedOffset;
    const hash = hashKeyRange(keyBytes, keyAt, keyAt + keyLength, this.keyHashChar);
    const fingerprints = this.#cache.hasFingerprints;
    const keyFingerprint = fingerprints ? fingerprintRange(keyBytes, keyAt, keyAt + keyLength) : 0;
    const verified = entry.verifyChecksumInFlash();
    if (!ok(verified)) return verified;
    // The header's sizes, computed once for the index and the next address.
    const valueSize = entry.valueSize;
    const size = entry.size;
    const transactionId = entry.transactionId;
    const added = this.#cache.addNewOrUpdateExisting(
      hash,
      transactionId,
      entry.isDeleted,
      address,
      this.partition.sectorSizeBytes,
      ENTRY_HEADER_SIZE + keyLength + valueSize,
      size,
    );
    if (added === 'RESOURCE_EXHAUSTED') this.#surplusKeysFound++;
    if (!ok(added)) return added;
    if (fingerprints) {
      this.#fingerprintScannedEntry(address, keyLength, valueSize, transactionId, keyFingerprint);
    }
    this.#scannedNextAddress = address + size;
    return 'OK';
  }

  /** Records fingerprints for the entry the scan just offered, if it is its key's current one. */
  #fingerprintScannedEntry(
    address: number,
    keyLength: number,
    valueSize: number,
    transactionId: number,
    keyFingerprint: number,
  ): void {
    const index = this.#cache.offeredIndex;
    if (index === -1 || this.#cache.transactionId(index) !== transactionId) return;
    // Served from the scan's read window: the checksum check just read these bytes.
    const io = this.#io;
    io.load(address + ENTRY_HEADER_SIZE + keyLength, valueSize);
    const at = io.loadedOffset;
    const valueFingerprint = fingerprintRange(io.loadedBytes, at, at + valueSize);
    this.#cache.setFingerprintValues(index, keyFingerprint, keyLength, valueFingerprint);
  }

  /** The next address in the sector, in 16-byte steps from `start`, holding a known magic. */
  #scanForEntry(sector: SectorDescriptor, start: number): number | undefined {
    const magicBytes = new Uint8Array(4);
    for (
      let address = alignUp(start, MIN_ALIGNMENT_BYTES);
      this.#sectors.isAddressInSector(sector, address);
      address += MIN_ALIGNMENT_BYTES
    ) {
      if (!ok(this.#io.read(address, magicBytes).status)) continue;
      if (this.formats.isKnownMagic(readU32(magicBytes, 0))) return address;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Lookups and reads
  // ---------------------------------------------------------------------------------------

  /** Loads the first copy of a key's entry (`padded`: with its padding) in one read. */
  #prefetchKey(index: number, padded = false): void {
    this.#cache.prefetch(this.#io, index, padded);
  }

  /** Records an error a lookup met; returns the lookup. */
  #noteLookup(found: FindResult): FindResult {
    if (found.errorDetected) this.#errorFound = true;
    return found;
  }

  #findExisting(key: Uint8Array, forWrite = false): FindResult {
    return this.#noteLookup(this.#cache.findExisting(this.#lookup, key, forWrite));
  }

  #findForWrite(key: Uint8Array): FindResult {
    return this.#noteLookup(this.#cache.findForWrite(this.#lookup, key));
  }

  /** Reads the first readable copy of a key's entry; unreadable copies mark their sector. */
  #readEntry(index: number): EntryReadResult {
    const entry = Entry.reusable(this.#io, this.formats.primary);
    const status = this.#readEntryInto(index, entry);
    return ok(status) ? { status, entry } : { status };
  }

  /**
   * #readEntry into the reusable entry, for reads whose entry does not outlive the
   * operation: on OK, `reusableEntry` is the key's entry.
   */
  #readEntryReusable(index: number): StatusCode {
    return this.#readEntryInto(index, this.#reusableEntry);
  }

  /** #readEntry into `target`: on OK, `target` is the key's entry. */
  #readEntryInto(index: number, target: Entry): StatusCode {
    let status: StatusCode = 'DATA_LOSS';
    const count = this.#cache.addressCount(index);
    for (let slot = 0; slot < count; slot++) {
      const address = this.#cache.address(index, slot);
      status = Entry.readInto(this.#io, address, this.formats, target);
      if (ok(status)) return status;
      this.#errorFound = true;
      this.#sectors.fromAddress(address).markCorrupt();
    }
    return status;
  }

  /** The key's bytes if it is valid, else undefined (pw_kvs's InvalidKey). */
  #validKey(key: unknown): Uint8Array | undefined {
    const bytes = toBytes(key);
    if (bytes === undefined || bytes.length === 0 || bytes.length > MAX_KEY_LENGTH)
      return undefined;
    return bytes;
  }

  /** INVALID_ARGUMENT for a bad key, FAILED_PRECONDITION before init, else OK. */
  #checkReadOperation(key: Uint8Array | undefined): StatusCode {
    if (key === undefined) return 'INVALID_ARGUMENT';
    if (this.#initState === 'notInitialized') return 'FAILED_PRECONDITION';
    return 'OK';
  }

  /** As {@link checkReadOperation}, and FAILED_PRECONDITION while errors await maintenance. */
  #checkWriteOperation(key: Uint8Array | undefined): StatusCode {
    if (key === undefined) return 'INVALID_ARGUMENT';
    if (this.#initState !== 'ready') return 'FAILED_PRECONDITION';
    return 'OK';
  }

  /** The message of a KvsError for `status` from an operation on `key`. */
  #describeFailure(what: string, key: unknown, status: StatusCode): string {
    if (status === 'INVALID_ARGUMENT') {
      const invalid = describeInvalidKey(key);
      if (invalid !== undefined) return `${what}: ${invalid}`;
    }
    if (status === 'FAILED_PRECONDITION') {
      if (this.#initState === 'notInitialized') {
        return `${what}: not initialized (call init() first)`;
      }
      if (this.#initState === 'needsMaintenance') {
        return `${what}: errors on flash not repaired: writes need maintenance`;
      }
    }
    return `${what} ${keyForMessage(key)}: ${status}`;
  }

  /** Reads a value given the key's slot, as pw_kvs's Get with metadata does. */
  #readValueAt(
    key: Uint8Array,
    index: number,
    buffer: Uint8Array,
    offsetBytes: number,
  ): FlashResult {
    const status = this.#readEntryReusable(index);
    if (!ok(status)) return { status, size: 0 };
    const entry = this.#reusableEntry;
    const result = entry.readValue(buffer, offsetBytes);
    if (ok(result.status) && this.verifyOnRead && offsetBytes === 0) {
      const value = result.size === buffer.length ? buffer : buffer.subarray(0, result.size);
      const verified = entry.verifyChecksum(key, value);
      if (!ok(verified)) {
        buffer.fill(0, 0, result.size);
        return { status: verified, size: 0 };
      }
    }
    return result;
  }

  /** Reads the whole value of the key at `index`, sizing the buffer from its header. */
  #readWholeValue(key: Uint8Array, index: number): ValueResult {
    const status = this.#readEntryReusable(index);
    if (!ok(status)) return { status };
    const entry = this.#reusableEntry;
    const value = new Uint8Array(entry.valueSize);
    const result = entry.readValue(value, 0);
    if (ok(result.status) && this.verifyOnRead) {
      const verified = entry.verifyChecksum(key, value);
      if (!ok(verified)) return { status: verified as ErrorCode };
    }
    if (!ok(result.status)) return { status: result.status as ErrorCode };
    return { status: 'OK', value };
  }

  /**
   * Reads the value of `key` into `buffer`, from `offsetBytes` of the value; returns the bytes
   * read. Throws:
   * - INVALID_ARGUMENT: the key is empty or longer than 63 bytes, the buffer is not a
   *   Uint8Array, or the offset is not a non-negative integer.
   * - FAILED_PRECONDITION: not initialized.
   * - NOT_FOUND: no such key (or it is deleted).
   * - OUT_OF_RANGE: `offsetBytes` is past the end of the value.
   * - RESOURCE_EXHAUSTED: the buffer holds only part of the rest of the value; `size` on the
   *   error says how many bytes were read into it.
   * - DATA_LOSS: no readable copy, or the checksum does not match (verify-on-read).
   * - any status the flash reports.
   */
  read(key: string | Uint8Array, buffer: Uint8Array, offsetBytes = 0): number {
    const result = this.readStatus(key, buffer, offsetBytes);
    if (ok(result.status)) return result.size;
    if (result.status === 'INVALID_ARGUMENT' && this.#validKey(key) !== undefined) {
      if (!(buffer instanceof Uint8Array)) {
        fail('INVALID_ARGUMENT', `the buffer must be a Uint8Array, got ${typeof buffer}`);
      }
      checkInteger('offset', offsetBytes, 0);
    }
    return fail(
      result.status as ErrorCode,
      this.#describeFailure('reading key', key, result.status),
      result.size,
    );
  }

  /** {@link read} as pw_kvs's Get reports it: a status and the bytes read. */
  readStatus(key: string | Uint8Array, buffer: Uint8Array, offsetBytes = 0): FlashResult {
    this.#io.invalidate();
    const bytes = this.#validKey(key);
    const checked = this.#checkReadOperation(bytes);
    if (!ok(checked)) return { status: checked, size: 0 };
    if (!(buffer instanceof Uint8Array) || !Number.isInteger(offsetBytes) || offsetBytes < 0) {
      return { status: 'INVALID_ARGUMENT', size: 0 };
    }
    const found = this.#findExisting(bytes!);
    if (!ok(found.status)) return { status: found.status, size: 0 };
    return this.#readValueAt(bytes!, found.index, buffer, offsetBytes);
  }

  /**
   * The value of `key`, or undefined when the key is absent or deleted. Throws as
   * {@link read} does for every other status.
   */
  get(key: string | Uint8Array): Uint8Array | undefined {
    const result = this.getStatus(key);
    if (result.status === 'NOT_FOUND') return undefined;
    if (!ok(result.status)) fail(result.status, this.#describeFailure('key', key, result.status));
    return result.value;
  }

  /** {@link get} as a status and, when OK, the whole value. */
  getStatus(key: string | Uint8Array): ValueResult {
    this.#io.invalidate();
    const bytes = this.#validKey(key);
    const checked = this.#checkReadOperation(bytes);
    if (!ok(checked)) return { status: checked as ErrorCode };
    const found = this.#findExisting(bytes!);
    if (!ok(found.status)) return { status: found.status as ErrorCode };
    return this.#readWholeValue(bytes!, found.index);
  }

  /** True if `key` holds a value. Throws as {@link valueSize} does. */
  has(key: string | Uint8Array): boolean {
    return this.valueSize(key) !== undefined;
  }

  /**
   * Size in bytes of the value of `key`, or undefined when absent or deleted. Throws
   * INVALID_ARGUMENT (bad key), FAILED_PRECONDITION (not initialized), DATA_LOSS (no readable
   * copy) or a flash status.
   */
  valueSize(key: string | Uint8Array): number | undefined {
    const result = this.valueSizeStatus(key);
    if (result.status === 'NOT_FOUND') return undefined;
    if (!ok(result.status)) {
      fail(result.status as ErrorCode, this.#describeFailure('value size of', key, result.status));
    }
    return result.size;
  }

  /** {@link valueSize} as pw_kvs reports it: a status and a size. */
  valueSizeStatus(key: string | Uint8Array): FlashResult {
    this.#io.invalidate();
    const bytes = this.#validKey(key);
    const checked = this.#checkReadOperation(bytes);
    if (!ok(checked)) return { status: checked, size: 0 };
    const found = this.#findExisting(bytes!);
    if (!ok(found.status)) return { status: found.status, size: 0 };
    const status = this.#readEntryReusable(found.index);
    if (!ok(status)) return { status, size: 0 };
    return { status: 'OK', size: this.#reusableEntry.valueSize };
  }

  // ---------------------------------------------------------------------------------------
  // Writes
  // ---------------------------------------------------------------------------------------

  /**
   * Stores `value` under `key` (strings are UTF-8 encoded). Writing the value already stored
   * writes nothing. Throws:
   * - INVALID_ARGUMENT: bad key, a value that is neither text nor bytes, or key + value +
   *   16-byte header do not fit in one sector.
   * - FAILED_PRECONDITION: not initialized, or errors await maintenance.
   * - ALREADY_EXISTS: another key has the same 32-bit hash.
   * - RESOURCE_EXHAUSTED: no room (after garbage collection, as `gcOnWrite` allows), or the
   *   index is full.
   * - DATA_LOSS: the key's entries are unreadable, or the written entry did not verify.
   * - any status the flash reports.
   */
  put(key: string | Uint8Array, value: string | Uint8Array): void {
    const status = this.putStatus(key, value);
    if (ok(status)) return;
    if (status === 'INVALID_ARGUMENT' && toBytes(value) === undefined) {
      fail(status, `put ${keyForMessage(key)}: ${describeNotBytes('value', value)}`);
    }
    fail(status as ErrorCode, this.#describeFailure('put', key, status));
  }

  /** {@link put} as a status. */
  putStatus(key: string | Uint8Array, value: string | Uint8Array): StatusCode {
    this.#io.invalidate();
    const keyBytes = this.#validKey(key);
    const checked = this.#checkWriteOperation(keyBytes);
    if (!ok(checked)) return checked;
    const valueBytes = toBytes(value);
    if (
      valueBytes === undefined ||
      entrySizeFor(keyBytes!.length, valueBytes.length, this.partition.alignmentBytes) >
        this.partition.sectorSizeBytes
    ) {
      return 'INVALID_ARGUMENT';
    }
    const found = this.#findForWrite(keyBytes!);
    if (ok(found.status)) {
      return this.#writeEntryForExistingKey(found.index, 'valid', keyBytes!, valueBytes);
    }
    if (found.status === 'NOT_FOUND') return this.#writeEntryForNewKey(keyBytes!, valueBytes);
    return found.status;
  }

  /**
   * Deletes `key` by writing a tombstone; returns false if there was no such key. Throws as
   * {@link put} does for the other statuses.
   */
  delete(key: string | Uint8Array): boolean {
    const status = this.deleteStatus(key);
    if (status === 'NOT_FOUND') return false;
    if (!ok(status)) fail(status as ErrorCode, this.#describeFailure('delete', key, status));
    return true;
  }

  /** {@link delete} as a status. */
  deleteStatus(key: string | Uint8Array): StatusCode {
    this.#io.invalidate();
    const keyBytes = this.#validKey(key);
    const checked = this.#checkWriteOperation(keyBytes);
    if (!ok(checked)) return checked;
    const found = this.#findExisting(keyBytes!, true);
    if (!ok(found.status)) return found.status;
    return this.#writeEntryForExistingKey(found.index, 'deleted', keyBytes!, EMPTY);
  }

  #writeEntryForExistingKey(
    index: number,
    state: EntryState,
    key: Uint8Array,
    value: Uint8Array,
  ): StatusCode {
    if (this.#cache.hasFingerprints) {
      // Trusted: the index knows the old entry's sizes, and its value's fingerprint says
      // whether the old value may equal the new one (only then is it read to compare).
      const priorValueSize = this.#cache.contentSize(index) - ENTRY_HEADER_SIZE - key.length;
      return this.#writeEntry(
        key,
        value,
        state,
        index,
        this.#cache.entrySize(index),
        priorValueSize,
      );
    }
    const status = this.#readEntryReusable(index);
    if (!ok(status)) return status;
    const prior = this.#reusableEntry;
    return this.#writeEntry(key, value, state, index, prior.size, prior.valueSize, prior);
  }

  #writeEntryForNewKey(key: Uint8Array, value: Uint8Array): StatusCode {
    // Deleted keys may be holding index slots; heavy maintenance frees them.
    if (this.gcOnWrite === 'asManySectorsNeeded' && this.#cache.isFull) {
      const status = this.#fullMaintenanceHelper('heavy');
      if (!ok(status)) return status;
    }
    if (this.#cache.isFull) return 'RESOURCE_EXHAUSTED';
    return this.#writeEntry(key, value, 'valid', -1, 0, 0);
  }

  /**
   * Whether the current value of the key at `index` equals `value`: OK, NOT_FOUND, or the
   * status of a failed read. `prior` is its entry, already read; without it (trusted) the
   * fingerprint decides, and the entry is read only when it may match.
   */
  #priorValueMatches(
    index: number,
    prior: Entry | undefined,
    value: Uint8Array,
    valueFingerprint: number,
  ): StatusCode {
    if (prior !== undefined) return prior.valueMatches(value);
    if (!this.#cache.valueMayMatch(index, valueFingerprint)) return 'NOT_FOUND';
    this.#prefetchKey(index);
    const status = this.#readEntryReusable(index);
    return ok(status) ? this.#reusableEntry.valueMatches(value) : status;
  }

  /**
   * Writes a new entry for `key`: over the key at `priorIndex` (whose current entry occupies
   * `priorSize` bytes and holds `priorValueSize` value bytes; `prior` is that entry when it
   * was read), or for a new key when `priorIndex` is -1. Writing the value already stored
   * writes nothing.
   */
  #writeEntry(
    key: Uint8Array,
    value: Uint8Array,
    state: EntryState,
    priorIndex: number,
    priorSize: number,
    priorValueSize: number,
    prior?: Entry,
  ): StatusCode {
    const valueFingerprint = this.#cache.hasFingerprints ? fingerprint(value) : 0;
    if (
      priorIndex !== -1 &&
      priorValueSize === value.length &&
      this.#cache.state(priorIndex) === state &&
      ok(this.#priorValueMatches(priorIndex, prior, value, valueFingerprint))
    ) {
      return 'OK';
    }

    const size = entrySizeFor(key.length, value.length, this.partition.alignmentBytes);
    const reserved = this.#getAddressesForWrite(size);
    if (typeof reserved === 'string') return reserved;

    // Transaction ids are burned even if the write fails, so none is ever reused.
    this.#lastTransactionId = (this.#lastTransactionId + 1) >>> 0;
    const entry = Entry.create(
      this.#io,
      reserved[0]!,
      this.formats.primary,
      key,
      state === 'deleted' ? null : value,
      this.#lastTransactionId,
      this.#writtenEntry,
    );
    const source = this.#writeSource;
    source.key = key;
    source.value = value;
    const first = this.#writeEntryTo(entry, reserved[0]!, source);
    if (!ok(first.status)) return first.status;

    let index: number;
    if (priorIndex === -1) {
      index = this.#cache.addNew(
        this.#cache.hashOf(key),
        entry.transactionId,
        entry.isDeleted,
        entry.address,
      );
      this.#cache.setSizes(index, entry.contentSize, entry.size);
    } else {
      index = priorIndex;
      this.#updateKeyDescriptor(entry, entry.address, priorIndex, priorSize);
    }
    if (this.#cache.hasFingerprints) {
      const storedFingerprint = state === 'deleted' ? fingerprint(EMPTY) : valueFingerprint;
      this.#cache.setFingerprintValues(index, fingerprint(key), key.length, storedFingerprint);
    }
    return this.#addCopies(index, entry, reserved, source);
  }

  #updateKeyDescriptor(entry: Entry, newAddress: number, index: number, priorSize: number): void {
    for (let slot = 0; slot < this.#cache.addressCount(index); slot++) {
      this.#sectors.fromAddress(this.#cache.address(index, slot)).removeValidBytes(priorSize);
    }
    this.#cache.resetKey(
      index,
      this.#cache.hash(index),
      entry.transactionId,
      entry.isDeleted,
      newAddress,
    );
    this.#cache.setSizes(index, entry.contentSize, entry.size);
  }

  /**
   * Writes copies of `entry` (from `source`, else copied from its current address) until the
   * key at `index` has `redundancy` of them, recording each: copy n goes to `reserved[n]`, or
   * to a sector found for it when `reserved` is undefined (a repair of missing copies).
   */
  #addCopies(
    index: number,
    entry: Entry,
    reserved: readonly number[] | undefined,
    source?: EntrySource,
  ): StatusCode {
    while (this.#cache.addressCount(index) < this.redundancy) {
      let address: number;
      if (reserved !== undefined) {
        address = reserved[this.#cache.addressCount(index)]!;
      } else {
        const found = this.#getSectorForWrite(entry.size, this.#cache.addresses(index));
        if (typeof found === 'string') return found;
        address = this.#sectors.nextWritableAddress(found);
      }
      const written = this.#writeEntryTo(entry, address, source);
      if (!ok(written.status)) return written.status;
      this.#cache.addAddress(index, address);
    }
    return 'OK';
  }

  /**
   * Reserves one address per copy, each in a different sector (each search avoids the
   * sectors reserved before it), or returns the status that stopped it. The array is reused
   * by the next reservation; writes do not nest.
   */
  #getAddressesForWrite(sizeBytes: number): readonly number[] | Exclude<StatusCode, 'OK'> {
    const prefixes = this.#reservedPrefixes;
    for (let i = 0; i < this.redundancy; i++) {
      const found = this.#getSectorForWrite(sizeBytes, prefixes[i]!);
      if (typeof found === 'string') return found;
      const address = this.#sectors.nextWritableAddress(found);
      for (let length = i + 1; length <= this.redundancy; length++) prefixes[length]![i] = address;
    }
    return prefixes[this.redundancy]!;
  }

  /**
   * A sector with room, garbage collecting as `gcOnWrite` allows; else the status that
   * stopped the search (a string, so that a write allocates no result object).
   */
  #getSectorForWrite(
    sizeBytes: number,
    reserved: readonly number[],
  ): SectorDescriptor | Exclude<StatusCode, 'OK'> {
    let sector = this.#sectors.findSpace(sizeBytes, reserved);
    let collected = 0;
    let mayCollect = this.gcOnWrite !== 'disabled';
    while (sector === undefined && mayCollect) {
      if (this.gcOnWrite === 'oneSector') mayCollect = false;
      const status = this.#garbageCollect(reserved);
      if (!ok(status)) return status === 'NOT_FOUND' ? 'RESOURCE_EXHAUSTED' : status;
      sector = this.#sectors.findSpace(sizeBytes, reserved);
      collected++;
      // Bounded: collecting more sectors than exist (plus two) cannot make room.
      if (collected > this.partition.sectorCount + 2) return 'RESOURCE_EXHAUSTED';
    }
    return sector ?? 'RESOURCE_EXHAUSTED';
  }

  /**
   * Power-loss hardening: before the first write into a sector accounted empty, makes sure it
   * is erased, erasing it if a cut erase left old bytes behind its erased start.
   */
  #ensureReallyErased(sector: SectorDescriptor): StatusCode {
    const sectorSize = this.partition.sectorSizeBytes;
    if (!this.powerLossHardening || !sector.isEmpty(sectorSize)) return 'OK';
    const address = this.#sectors.baseAddress(sector);
    const check = this.partition.isRegionErased(address, sectorSize);
    if (!ok(check.status)) return check.status;
    if (check.erased) return 'OK';
    this.#io.invalidate();
    this.#stats.sectorEraseCount++;
    return this.partition.erase(address, 1);
  }

  #markSectorCorruptIfNotOk(status: StatusCode, sector: SectorDescriptor): StatusCode {
    if (!ok(status)) {
      sector.markCorrupt();
      this.#errorFound = true;
    }
    return status;
  }

  /**
   * Writes `entry` at `address` and accounts it in its sector: from `source` (pw_kvs's
   * AppendEntry; the entry is at `address` already) or copied from the entry's current address
   * (CopyEntryToSector). With verify-on-write the bytes are read back and checked; any
   * failure marks the sector corrupt. Returns the bytes written.
   */
  #writeEntryTo(entry: Entry, address: number, source?: EntrySource): FlashResult {
    const sector = this.#sectors.fromAddress(address);
    const ready = this.#markSectorCorruptIfNotOk(this.#ensureReallyErased(sector), sector);
    if (!ok(ready)) return { status: ready, size: 0 };
    let result: FlashResult;
    if (source !== undefined) {
      entry.address = address;
      result = entry.write(source.key, source.value);
    } else {
      result = entry.copy(address);
    }
    if (!ok(this.#markSectorCorruptIfNotOk(result.status, sector))) {
      return { status: result.status, size: 0 };
    }
    if (this.verifyOnWrite) {
      this.#io.prefetch(address, entry.size);
      const verified = this.#markSectorCorruptIfNotOk(
        this.#verifyWritten(entry, address, source),
        sector,
      );
      if (!ok(verified)) return { status: verified, size: 0 };
    }
    sector.removeWritableBytes(result.size);
    sector.addValidBytes(result.size);
    return result;
  }

  /** Checks an entry just written: appended, its own bytes; copied, the copy read anew. */
  #verifyWritten(entry: Entry, address: number, source?: EntrySource): StatusCode {
    if (source !== undefined) return entry.verifyChecksumInFlash();
    const copy = Entry.read(this.#io, address, this.formats);
    if (copy.status !== 'OK') return copy.status;
    return copy.entry.verifyChecksumInFlash();
  }

  // ---------------------------------------------------------------------------------------
  // Garbage collection
  // ---------------------------------------------------------------------------------------

  /** Moves copy `slot` of the key at `index` out of its sector. */
  #relocateEntry(index: number, slot: number, reserved: readonly number[]): StatusCode {
    this.#prefetchKey(index);
    const read = this.#readEntry(index);
    if (read.status !== 'OK') return read.status;
    const entry = read.entry;
    const newSector = this.#sectors.findSpaceDuringGarbageCollection(
      entry.size,
      this.#cache.addresses(index),
      reserved,
    );
    if (newSector === undefined) return 'RESOURCE_EXHAUSTED';
    const newAddress = this.#sectors.nextWritableAddress(newSector);
    const copied = this.#writeEntryTo(entry, newAddress);
    if (!ok(copied.status)) return copied.status;
    this.#sectors.fromAddress(this.#cache.address(index, slot)).removeValidBytes(copied.size);
    this.#cache.setAddress(index, slot, newAddress);
    return 'OK';
  }

  #garbageCollect(reserved: readonly number[]): StatusCode {
    const sector = this.#sectors.findSectorToGarbageCollect(reserved);
    if (sector === undefined) return 'NOT_FOUND';
    return this.#garbageCollectSector(sector, reserved);
  }

  #garbageCollectSector(sector: SectorDescriptor, reserved: readonly number[]): StatusCode {
    if (sector.validBytes !== 0) {
      for (let index = 0; index < this.#cache.totalEntries; index++) {
        const count = this.#cache.addressCount(index);
        for (let slot = 0; slot < count; slot++) {
          if (this.#sectors.isAddressInSector(sector, this.#cache.address(index, slot))) {
            const status = this.#relocateEntry(index, slot, reserved);
            if (!ok(status)) return status;
          }
        }
      }
    }
    // pw_kvs's status when valid bytes remain (its accounting of a damaged sector can wrap).
    if (sector.validBytes !== 0) return 'INTERNAL';

    const sectorSize = this.partition.sectorSizeBytes;
    if (!sector.isEmpty(sectorSize)) {
      // Marked corrupt first: if the erase fails, nothing will be written there.
      sector.markCorrupt();
      this.#stats.sectorEraseCount++;
      const erased = this.#io.erase(this.#sectors.baseAddress(sector), 1);
      if (!ok(erased)) return erased;
      sector.writableBytes = sectorSize;
    }
    return 'OK';
  }

  // ---------------------------------------------------------------------------------------
  // Repair and maintenance
  // ---------------------------------------------------------------------------------------

  /** Rewrites entries of legacy formats in the primary format; returns how many moved. */
  #updateEntriesToPrimaryFormat(): { status: StatusCode; updated: number } {
    let updated = 0;
    for (let index = 0; index < this.#cache.totalEntries; index++) {
      this.#prefetchKey(index);
      const read = this.#readEntry(index);
      if (read.status !== 'OK') return { status: read.status, updated: 0 };
      const entry = read.entry;
      if (entry.magic === this.formats.primary.magic) continue;
      updated++;
      this.#lastTransactionId = (this.#lastTransactionId + 1) >>> 0;
      const status = entry.update(this.formats.primary, this.#lastTransactionId);
      if (!ok(status)) return { status, updated: 0 };

      const reserved = this.#getAddressesForWrite(entry.size);
      if (typeof reserved === 'string') return { status: reserved, updated: 0 };
      const first = this.#writeEntryTo(entry, reserved[0]!);
      if (!ok(first.status)) return { status: first.status, updated: 0 };
      // pw_kvs subtracts the new entry's size from the old copies' sectors; reproduced.
      this.#updateKeyDescriptor(entry, reserved[0]!, index, entry.size);
      const copies = this.#addCopies(index, entry, reserved);
      if (!ok(copies)) return { status: copies, updated: 0 };
    }
    return { status: 'OK', updated };
  }

  #addRedundantEntries(index: number): StatusCode {
    this.#prefetchKey(index, true);
    const read = this.#readEntry(index);
    if (read.status !== 'OK') return read.status;
    const verified = read.entry.verifyChecksumInFlash();
    if (!ok(verified)) return verified;
    return this.#addCopies(index, read.entry, undefined);
  }

  #repairCorruptSectors(): StatusCode {
    // A sector that cannot be collected on the first pass may be after a later one makes room.
    let repairStatus: StatusCode = 'OK';
    for (let pass = 1; pass <= 2; pass++) {
      if (repairStatus === 'RESOURCE_EXHAUSTED') repairStatus = 'OK';
      for (const sector of this.#sectors.descriptors) {
        if (!sector.isCorrupt) continue;
        const status = this.#garbageCollectSector(sector, []);
        if (ok(status)) {
          this.#stats.corruptSectorsRecovered++;
        } else if (ok(repairStatus) || repairStatus === 'RESOURCE_EXHAUSTED') {
          repairStatus = status;
        }
      }
      if (ok(repairStatus)) break;
    }
    return repairStatus;
  }

  #ensureFreeSectorExists(): StatusCode {
    const sectorSize = this.partition.sectorSizeBytes;
    if (this.#sectors.descriptors.some((sector) => sector.isEmpty(sectorSize))) return 'OK';
    const status = this.#garbageCollect([]);
    if (ok(status) || !this.powerLossHardening) return status;
    for (const sector of this.#sectors.hardeningVictims()) {
      if (ok(this.#garbageCollectSector(sector, []))) return 'OK';
    }
    return status;
  }

  #ensureEntryRedundancy(): StatusCode {
    if (this.redundancy === 1) return 'OK';
    let repairStatus: StatusCode = 'OK';
    for (let index = 0; index < this.#cache.totalEntries; index++) {
      if (this.#cache.addressCount(index) >= this.redundancy) continue;
      const status = this.#addRedundantEntries(index);
      if (ok(status)) this.#stats.missingRedundantEntriesRecovered++;
      else if (ok(repairStatus)) repairStatus = status;
    }
    return repairStatus;
  }

  #fixErrors(): StatusCode {
    let overall = this.#repairCorruptSectors();
    const free = this.#ensureFreeSectorExists();
    if (ok(overall)) overall = free;
    const redundancy = this.#ensureEntryRedundancy();
    if (ok(overall)) overall = redundancy;
    if (ok(overall)) {
      this.#errorFound = false;
      this.#initState = 'ready';
    }
    return overall;
  }

  #repair(): StatusCode {
    this.#initializeMetadata();
    return this.#fixErrors();
  }

  #removeDeletedKeyEntries(): StatusCode {
    for (let index = 0; index < this.#cache.totalEntries; index++) {
      // Removal moves the last key into this slot, so look at the slot again.
      while (index < this.#cache.totalEntries && this.#cache.state(index) === 'deleted') {
        const read = this.#readEntry(index);
        if (read.status !== 'OK') return read.status;
        for (const address of this.#cache.addresses(index)) {
          this.#sectors.fromAddress(address).removeValidBytes(read.entry.size);
        }
        this.#cache.removeEntry(index);
      }
    }
    return 'OK';
  }

  #fullMaintenanceHelper(type: MaintenanceType): StatusCode {
    this.#io.invalidate();
    if (this.#initState === 'notInitialized') return 'FAILED_PRECONDITION';
    this.checkForErrors();
    if (this.#errorFound) {
      const status = this.#repair();
      if (!ok(status)) return status;
    }

    const update = this.#updateEntriesToPrimaryFormat();
    let overall = update.status;
    const thresholdBytes = Math.floor(
      (this.partition.sizeBytes * GC_USAGE_THRESHOLD_PERCENTAGE) / 100,
    );
    const overThreshold = this.#sectors.space().inUseBytes > thresholdBytes;
    const force = type === 'heavy' || overThreshold || update.updated > 0;

    // One cursor for both passes: a pass that stops early leaves the next where it stopped.
    const cursor = { position: this.#sectors.lastNew.index };
    const garbageCollectPass = (): void => {
      let gcStatus: StatusCode = 'OK';
      for (const sector of this.#sectors.maintenanceVictims(cursor, force)) {
        gcStatus = this.#garbageCollectSector(sector, []);
        if (!ok(gcStatus)) break;
      }
      if (ok(overall)) overall = gcStatus;
    };

    garbageCollectPass();
    if (type === 'heavy') {
      // Tombstones may only go right after a full pass, so no older entry can resurface.
      const removed = this.#removeDeletedKeyEntries();
      if (ok(overall)) overall = removed;
      garbageCollectPass();
    }
    return overall;
  }

  #throwIfFailed(status: StatusCode, what: string): void {
    if (!ok(status)) fail(status as ErrorCode, `${what}: ${status}`);
  }

  /**
   * Repairs detected errors (unless `recovery` is manual) and garbage collects one sector.
   * Throws FAILED_PRECONDITION (not initialized), NOT_FOUND (nothing to collect), or the
   * status of a repair or collection that failed.
   */
  partialMaintenance(): void {
    this.#throwIfFailed(this.partialMaintenanceStatus(), 'partial maintenance');
  }

  /** {@link partialMaintenance} as a status. */
  partialMaintenanceStatus(): StatusCode {
    this.#io.invalidate();
    if (this.#initState === 'notInitialized') return 'FAILED_PRECONDITION';
    this.checkForErrors();
    if (this.#errorFound && this.recovery !== 'manual') {
      const status = this.#repair();
      if (!ok(status)) return status;
    }
    return this.#garbageCollect([]);
  }

  /**
   * Repairs every detected error, rewrites legacy-format entries in the primary format, and
   * collects sectors holding only stale data (every sector with reclaimable bytes once usage is
   * above 70 %). Throws FAILED_PRECONDITION (not initialized) or the first failure's status.
   */
  fullMaintenance(): void {
    this.#throwIfFailed(this.fullMaintenanceStatus(), 'full maintenance');
  }

  /** {@link fullMaintenance} as a status. */
  fullMaintenanceStatus(): StatusCode {
    return this.#fullMaintenanceHelper('regular');
  }

  /**
   * Full maintenance that collects every sector with reclaimable bytes, then drops deleted keys
   * from the index and collects again, erasing their tombstones. Throws like
   * {@link fullMaintenance}.
   */
  heavyMaintenance(): void {
    this.#throwIfFailed(this.heavyMaintenanceStatus(), 'heavy maintenance');
  }

  /** {@link heavyMaintenance} as a status. */
  heavyMaintenanceStatus(): StatusCode {
    return this.#fullMaintenanceHelper('heavy');
  }

  // ---------------------------------------------------------------------------------------
  // State and statistics
  // ---------------------------------------------------------------------------------------

  /**
   * Checks the RAM state for unrepaired errors (corrupt sectors, keys missing copies); returns
   * true if any is present. Cheap: reads no flash.
   */
  checkForErrors(): boolean {
    if (this.#sectors.descriptors.some((sector) => sector.isCorrupt)) {
      this.#errorFound = true;
      return true;
    }
    if (this.redundancy > 1) {
      for (let index = 0; index < this.#cache.totalEntries; index++) {
        if (this.#cache.addressCount(index) < this.redundancy) {
          this.#errorFound = true;
          return true;
        }
      }
    }
    return this.#errorFound;
  }

  /** Space and repair counters. Before the first init every byte count is 0, as in pw_kvs. */
  storageStats(): StorageStats {
    const space = this.#sectors.space();
    return {
      writableBytes: space.writableBytes,
      inUseBytes: space.inUseBytes,
      reclaimableBytes: Number(space.reclaimableBytes),
      ...this.#stats,
    };
  }

  /**
   * Bytes garbage collection could reclaim, exactly as pw_kvs's `size_t` sum: on damaged flash
   * (or flash opened with another sector size) a sector's counters can overlap, its
   * recoverable bytes then wrap modulo 2^64, and so does the sum. 0n before the first init.
   */
  reclaimableBytesU64(): bigint {
    return this.#sectors.space().reclaimableBytes;
  }

  /** True once init succeeded and no error awaits maintenance (writes are accepted). */
  get isReady(): boolean {
    return this.#initState === 'ready';
  }

  /** True after init, even if errors await maintenance (reads are accepted). */
  get isOpen(): boolean {
    return this.#initState !== 'notInitialized';
  }

  /** True if an error was detected and not yet repaired. */
  get errorDetected(): boolean {
    return this.#errorFound;
  }

  /** Number of live (not deleted) keys. */
  get size(): number {
    return this.#cache.presentEntries();
  }

  /** Keys in the index, deleted keys not yet dropped by heavy maintenance included. */
  get totalEntriesWithDeleted(): number {
    return this.#cache.totalEntries;
  }

  /** Capacity of the index (`maxEntries`). */
  get maxSize(): number {
    return this.#cache.maxEntries;
  }

  /** The newest transaction id; survives re-init, reset only by erasing the flash. */
  get transactionCount(): number {
    return this.#lastTransactionId;
  }

  /** Largest key + value byte count one entry can hold. */
  get maxKeyValueSizeBytes(): number {
    return this.partition.sectorSizeBytes - ENTRY_HEADER_SIZE;
  }

  /** Bytes of RAM held by the key index. */
  get indexMemoryBytes(): number {
    return this.#cache.memoryBytes;
  }

  // ---------------------------------------------------------------------------------------
  // Iteration
  // ---------------------------------------------------------------------------------------

  /**
   * Live keys in index order (the order pw_kvs iterates). Each item reads from flash lazily.
   * An item whose key cannot be read has an empty key. Before init there are no items.
   */
  *items(): IterableIterator<KvsItem> {
    for (let index = 0; index < this.#cache.totalEntries; index++) {
      if (this.#cache.state(index) !== 'valid') continue;
      yield this.#itemAt(index);
    }
  }

  /** Live keys as UTF-8 text, in index order. */
  *keys(): IterableIterator<string> {
    for (const item of this.items()) yield item.keyText;
  }

  /** Live [key, value] pairs as text and bytes, in index order. */
  *entries(): IterableIterator<[string, Uint8Array]> {
    for (const item of this.items()) yield [item.keyText, item.value()];
  }

  [Symbol.iterator](): IterableIterator<[string, Uint8Array]> {
    return this.entries();
  }

  #itemAt(index: number): KvsItem {
    this.#io.invalidate();
    this.#prefetchKey(index);
    const read = this.#readEntry(index);
    let key: Uint8Array = new Uint8Array(0);
    if (read.status === 'OK') {
      const keyRead = read.entry.readKey();
      key = keyRead.key;
    }
    // Between items the caller's code runs: start every read afresh.
    const begin = (): void => {
      this.#io.invalidate();
      this.#prefetchKey(index);
    };
    const readStatus = (buffer: Uint8Array, offsetBytes = 0): FlashResult => {
      begin();
      return this.#readValueAt(key, index, buffer, offsetBytes);
    };
    const failRead = (status: StatusCode, size = 0): never =>
      fail(status as ErrorCode, `reading key ${describeKey(key)}: ${status}`, size);
    return {
      key,
      keyText: utf8Decode(key)!,
      readStatus,
      read: (buffer: Uint8Array, offsetBytes = 0): number => {
        const result = readStatus(buffer, offsetBytes);
        return ok(result.status) ? result.size : failRead(result.status, result.size);
      },
      value: (): Uint8Array => {
        begin();
        const result = this.#readWholeValue(key, index);
        return result.status === 'OK' ? result.value : failRead(result.status);
      },
    };
  }
}

/** A key for messages: its text when printable, else hex. */
export function describeKey(key: Uint8Array): string {
  const printable = key.every((byte) => byte >= 0x20 && byte < 0x7f);
  if (printable) return JSON.stringify(utf8Decode(key)!);
  // Each byte as hex(0x1XY): its two digits follow the 0x1.
  return key.reduce((text, byte) => text + hex(byte | 0x100).slice(3), '0x');
}
