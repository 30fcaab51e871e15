import type { FlashResult } from '../flash/flash-memory.js';
import type { FlashPartition } from '../flash/flash-partition.js';
import {
  DEFAULT_MAGIC,
  type EntryFormat,
  type EntryFormatSpec,
  EntryFormats,
  entryFormat,
} from '../format/entry-format.js';
import {
  ENTRY_HEADER_SIZE,
  MAX_KEY_LENGTH,
  MIN_ALIGNMENT_BYTES,
  alignUp,
  entrySizeFor,
} from '../format/entry-header.js';
import { hashKey } from '../format/hash.js';
import { type ErrorCode, KvsError, type StatusCode } from '../status.js';
import { CoalescingReader } from './_coalescing-reader.js';
import { Entry, type EntryReadResult } from './entry.js';
import { EntryCache, type EntryState } from './entry-cache.js';
import { type SectorDescriptor, Sectors } from './sectors.js';
import { utf8Decode, utf8Encode } from '../utf8.js';

/** How reads reach the flash; see {@link KeyValueStoreOptions.readStrategy}. */
export type ReadStrategy = 'coalesced' | 'pwKvs' | 'trusted';

/** When a write finds no room: collect as many sectors as needed, at most one, or none. */
export type GcOnWrite = 'asManySectorsNeeded' | 'oneSector' | 'disabled';

/**
 * When detected errors (corrupt sectors, missing copies, no empty sector) are repaired:
 * immediately, lazily (during init and the next maintenance), or only by explicit maintenance
 * (writes are refused until then).
 */
export type Recovery = 'immediate' | 'lazy' | 'manual';

/** Options of a store; every field has pw_kvs's default. */
export interface KeyValueStoreOptions {
  /**
   * Readable entry formats; the first is primary (all new entries use it). Defaults to one
   * format: magic 3528829097 with CRC-16.
   */
  formats?: readonly (EntryFormat | EntryFormatSpec)[];
  /** Keys the RAM index can hold, deleted keys included (1..1 000 000). Defaults to 256. */
  maxEntries?: number;
  /**
   * Sectors the store can manage (pw_kvs's kMaxUsableSectors): init fails with
   * FAILED_PRECONDITION on a larger partition. Defaults to the partition's sector count.
   */
  maxSectors?: number;
  /** Copies of every entry, each in a different sector (1..8). Defaults to 1. */
  redundancy?: number;
  /** Garbage collection on write. Defaults to `asManySectorsNeeded`. */
  gcOnWrite?: GcOnWrite;
  /** Error recovery policy. Defaults to `lazy`. */
  recovery?: Recovery;
  /** Check a value's checksum when it is read. Defaults to true. */
  verifyOnRead?: boolean;
  /** Re-read and check every entry after writing it. Defaults to true. */
  verifyOnWrite?: boolean;
  /**
   * What init does when the flash holds more keys than `maxEntries`. pw_kvs treats the surplus
   * entries as corruption, and its repair then erases them: `treatAsCorrupt` reproduces that
   * (the scenario runner uses it to match pw_kvs). The default, `refuse`, makes init fail with
   * RESOURCE_EXHAUSTED before anything is written, so a too-small `maxEntries` never destroys
   * keys.
   */
  surplusKeys?: 'refuse' | 'treatAsCorrupt';
  /**
   * How reads reach the flash. All three write the same bytes and, on flash only this store
   * writes, return the same results.
   * - `trusted` (the default) reads each entry an operation needs in one call, scans sectors in
   *   growing sequential reads, and keeps fingerprints of each key and value in the index
   *   (9 bytes a key): an overwrite or delete reads the old entry only when the fingerprint
   *   says its value may equal the new one, so it costs one read (verify-on-write's). It
   *   assumes, as pw_kvs's RAM state already does, that nothing else writes the flash between
   *   operations: if an old entry's key or header is damaged behind its back, pw_kvs's put
   *   fails (ALREADY_EXISTS / DATA_LOSS) where flashkv writes the new entry over it.
   * - `coalesced` reads like `trusted` but re-reads the old entry on every overwrite, as
   *   pw_kvs does (two reads an overwrite): pw_kvs's statuses on any flash contents.
   * - `pwKvs` issues exactly pw_kvs's read calls, one for one; use it to reproduce a pw_kvs
   *   run whose injected read faults count calls (the scenario runner does).
   */
  readStrategy?: ReadStrategy;
  /**
   * Survive power cuts that leave pw_kvs stuck (recommended for devices that lose power).
   * With true, before the first write into a sector it believes empty the store checks that
   * the sector really is erased (a cut erase can leave old bytes behind an erased first
   * header; pw_kvs then fails writes there with UNKNOWN) and erases it if not; and when repair
   * needs an empty sector and the sector pw_kvs would collect cannot be moved, it tries the
   * others. Neither triggers on flash that was never cut or damaged. Defaults to false:
   * pw_kvs's behaviour exactly, also on damaged flash.
   */
  powerLossHardening?: boolean;
}

/** Space accounting and repair counters, as pw_kvs reports them. */
export interface StorageStats {
  /** Bytes still writable, not counting the one sector kept empty for garbage collection. */
  writableBytes: number;
  /** Bytes of current entries (all copies). */
  inUseBytes: number;
  /** Bytes garbage collection could reclaim. */
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
  /** Reads the whole value. */
  value(): Uint8Array;
}

type InitState = 'notInitialized' | 'needsMaintenance' | 'ready';

/** What writing over a key needs to know of its current entry. */
interface PriorEntry {
  readonly size: number;
  readonly valueSize: number;
  valueMatches(value: Uint8Array): StatusCode;
}

const EMPTY = new Uint8Array(0);
type MaintenanceType = 'regular' | 'heavy';

/** Usage above this share of the partition makes full maintenance collect every sector. */
const GC_USAGE_THRESHOLD_PERCENTAGE = 70;
const MAX_SECTOR_SIZE_BYTES = 0xffff - 1;
const MAX_REDUNDANCY = 8;
const MAX_ENTRIES_LIMIT = 1_000_000;

function ok(status: StatusCode): boolean {
  return status === 'OK';
}

function toBytes(value: string | Uint8Array): Uint8Array {
  if (typeof value === 'string') return utf8Encode(value);
  // Plain JavaScript callers can pass anything: refuse it as bad input, not a crash.
  if (!(value instanceof Uint8Array)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `expected a string or a Uint8Array, got ${typeof value}`,
    );
  }
  return value;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function fail(code: ErrorCode, message: string, size = 0): never {
  throw new KvsError(code, message, { size });
}

/**
 * A key-value store on a flash partition, reading and writing exactly pw_kvs's on-flash format
 * with pw_kvs's policies, so the same operations leave the same bytes.
 *
 * Call {@link init} first. Keys are 1..63 bytes (strings are UTF-8 encoded); values up to what
 * one sector holds. Failures throw {@link KvsError} with a pw_status code.
 */
export class KeyValueStore {
  readonly partition: FlashPartition;
  readonly formats: EntryFormats;
  readonly redundancy: number;
  readonly maxEntries: number;
  readonly maxSectors: number;
  readonly gcOnWrite: GcOnWrite;
  readonly recovery: Recovery;
  readonly verifyOnRead: boolean;
  readonly verifyOnWrite: boolean;
  readonly surplusKeys: 'refuse' | 'treatAsCorrupt';
  readonly readStrategy: ReadStrategy;
  readonly powerLossHardening: boolean;

  /** All flash access goes through here, so reads can be coalesced. */
  private readonly io: CoalescingReader;
  private readonly sectors: Sectors;
  private readonly cache: EntryCache;
  private initState: InitState = 'notInitialized';
  private errorFound = false;
  private lastTransactionId = 0;
  /** Reused by the scan to fingerprint values. */
  private valueScratch = new Uint8Array(0);
  /** Entries of new keys the last scan found no room for in the index. */
  private surplusKeysFound = 0;
  private readonly stats = {
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
    const specs = options.formats ?? [{ magic: DEFAULT_MAGIC, checksum: 'crc16' }];
    this.formats = new EntryFormats(
      specs.map((spec) =>
        'checksum' in spec && typeof spec.checksum === 'object'
          ? (spec as EntryFormat)
          : entryFormat(spec as EntryFormatSpec),
      ),
    );
    this.redundancy = KeyValueStore.integerOption(
      'redundancy',
      options.redundancy ?? 1,
      1,
      MAX_REDUNDANCY,
    );
    this.maxEntries = KeyValueStore.integerOption(
      'maxEntries',
      options.maxEntries ?? 256,
      1,
      MAX_ENTRIES_LIMIT,
    );
    this.maxSectors = KeyValueStore.integerOption(
      'maxSectors',
      options.maxSectors ?? partition.sectorCount,
      1,
      Number.MAX_SAFE_INTEGER,
    );
    this.gcOnWrite = KeyValueStore.enumOption(
      'gcOnWrite',
      options.gcOnWrite ?? 'asManySectorsNeeded',
      ['asManySectorsNeeded', 'oneSector', 'disabled'],
    );
    this.recovery = KeyValueStore.enumOption('recovery', options.recovery ?? 'lazy', [
      'immediate',
      'lazy',
      'manual',
    ]);
    this.verifyOnRead = options.verifyOnRead ?? true;
    this.verifyOnWrite = options.verifyOnWrite ?? true;
    this.surplusKeys = KeyValueStore.enumOption('surplusKeys', options.surplusKeys ?? 'refuse', [
      'refuse',
      'treatAsCorrupt',
    ]);
    this.readStrategy = KeyValueStore.enumOption(
      'readStrategy',
      options.readStrategy ?? 'trusted',
      ['coalesced', 'pwKvs', 'trusted'],
    );
    this.io = new CoalescingReader(partition, this.readStrategy !== 'pwKvs');
    this.powerLossHardening = options.powerLossHardening ?? false;
    this.sectors = new Sectors(partition.sectorCount, partition.sectorSizeBytes);
    this.cache = new EntryCache(this.maxEntries, this.redundancy, this.readStrategy === 'trusted');
  }

  private static integerOption(name: string, value: number, min: number, max: number): number {
    if (!Number.isInteger(value) || value < min || value > max) {
      fail(
        'INVALID_ARGUMENT',
        `${name} must be an integer in ${min}..${max}, got ${String(value)}`,
      );
    }
    return value;
  }

  private static enumOption<T extends string>(name: string, value: T, allowed: readonly T[]): T {
    if (!allowed.includes(value)) {
      fail(
        'INVALID_ARGUMENT',
        `${name} must be one of ${allowed.join(', ')}, got ${String(value)}`,
      );
    }
    return value;
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
    if (!ok(status)) {
      fail(status as ErrorCode, this.describeInitFailure(status));
    }
  }

  /** {@link init} as a status, for callers that mirror pw_kvs. */
  initStatus(): StatusCode {
    this.io.invalidate();
    this.initState = 'notInitialized';
    this.errorFound = false;
    this.lastTransactionId = 0;
    const sectorCount = this.partition.sectorCount;
    if (sectorCount > this.maxSectors || sectorCount < 2) return 'FAILED_PRECONDITION';
    if (this.partition.sectorSizeBytes > MAX_SECTOR_SIZE_BYTES) return 'FAILED_PRECONDITION';

    const metadataStatus = this.initializeMetadata();
    if (this.surplusKeysFound > 0 && this.surplusKeys === 'refuse') {
      this.cache.reset();
      return 'RESOURCE_EXHAUSTED';
    }
    if (!this.errorFound) {
      this.initState = 'ready';
    } else {
      this.initState = 'needsMaintenance';
      if (this.recovery !== 'manual') {
        const restoredBefore = this.stats.missingRedundantEntriesRecovered;
        const recoveryStatus = this.fixErrors();
        if (ok(recoveryStatus)) {
          // A redundancy increase is a configuration change, not a repair.
          if (metadataStatus === 'OUT_OF_RANGE') {
            this.stats.missingRedundantEntriesRecovered = restoredBefore;
          }
          this.initState = 'ready';
        }
      }
    }
    return this.errorFound ? 'DATA_LOSS' : 'OK';
  }

  private describeInitFailure(status: StatusCode): string {
    if (status === 'DATA_LOSS') {
      return 'corruption found on flash and not repaired; reads work, writes need maintenance';
    }
    if (status === 'RESOURCE_EXHAUSTED') {
      return (
        `the flash holds more keys than maxEntries (${this.maxEntries}): at least ` +
        `${this.surplusKeysFound} more; open it with a larger maxEntries (nothing was changed)`
      );
    }
    const { sectorCount, sectorSizeBytes } = this.partition;
    if (sectorCount > this.maxSectors) {
      return `partition has ${sectorCount} sectors but the store manages at most ${this.maxSectors}`;
    }
    if (sectorCount < 2) {
      return `partition has ${sectorCount} sector(s); a store needs at least 2 (one is kept empty)`;
    }
    return `sector size ${sectorSizeBytes} B exceeds the ${MAX_SECTOR_SIZE_BYTES} B limit`;
  }

  /** Rebuilds the index and sector accounting from flash; records errors in `errorFound`. */
  private initializeMetadata(): StatusCode {
    const sectorSize = this.partition.sectorSizeBytes;
    this.sectors.reset();
    this.cache.reset();
    this.surplusKeysFound = 0;

    let emptySectorFound = false;
    for (const sector of this.sectors.descriptors) {
      const sectorAddress = this.sectors.baseAddress(sector);
      let entryAddress = sectorAddress;
      let corruptBytes = 0;
      // Every step moves forward by at least 16 bytes, so the scan of a sector ends.
      while (this.sectors.isAddressInSector(sector, entryAddress)) {
        let nextAddress: number;
        const loaded = this.loadEntry(entryAddress);
        if (loaded.status === 'NOT_FOUND') break;
        if (loaded.status !== 'OK') {
          this.errorFound = true;
          const found = this.scanForEntry(sector, entryAddress + MIN_ALIGNMENT_BYTES);
          if (found === undefined) {
            corruptBytes += sectorSize - (entryAddress - sectorAddress);
            break;
          }
          corruptBytes += found - entryAddress;
          nextAddress = found;
        } else {
          nextAddress = loaded.nextAddress;
        }
        entryAddress = nextAddress;
        sector.writableBytes = sectorSize - (entryAddress - sectorAddress);
      }
      if (corruptBytes > 0) {
        sector.markCorrupt();
        this.errorFound = true;
      }
      if (sector.isEmpty(sectorSize)) emptySectorFound = true;
    }

    // Second pass: count valid bytes per sector, drop unreadable copies, find the newest entry.
    // pw_kvs reads every copy's header again; only its read calls need that.
    const rereadHeaders = !this.io.enabled || this.cache.hasCopiesOfOtherSizes;
    let copiesMissing = 0;
    let newestAddress = 0;
    for (let index = 0; index < this.cache.totalEntries; index++) {
      if (this.cache.addressCount(index) < this.redundancy) copiesMissing++;
      let slot = 0;
      while (slot < this.cache.addressCount(index)) {
        const address = this.cache.address(index, slot);
        const sector = this.sectors.fromAddress(address);
        if (rereadHeaders === false) {
          // Every copy was read and verified by the scan just now; its size is known.
          sector.addValidBytes(this.cache.entrySize(index));
          slot++;
          continue;
        }
        const read = Entry.read(this.io, address, this.formats);
        if (read.status === 'OK') {
          sector.addValidBytes(read.entry.size);
          slot++;
        } else {
          this.errorFound = true;
          sector.markCorrupt();
          this.cache.removeAddress(index, address);
        }
      }
      const transactionId = this.cache.transactionId(index);
      if (transactionId > this.lastTransactionId) {
        this.lastTransactionId = transactionId;
        const count = this.cache.addressCount(index);
        if (count > 0) newestAddress = this.cache.address(index, count - 1);
      }
    }
    this.sectors.setLastNewSector(newestAddress);

    if (!emptySectorFound) this.errorFound = true;
    if (copiesMissing > 0) {
      const otherErrors = this.errorFound;
      this.errorFound = true;
      if (!otherErrors && copiesMissing === this.cache.totalEntries) return 'OUT_OF_RANGE';
    }
    return this.errorFound ? 'FAILED_PRECONDITION' : 'OK';
  }

  /** Reads and validates the entry at `address` and offers it to the index. */
  private loadEntry(
    address: number,
  ): { status: 'OK'; nextAddress: number } | { status: Exclude<StatusCode, 'OK'> } {
    const read = Entry.read(this.io, address, this.formats);
    if (read.status !== 'OK') return { status: read.status };
    const entry = read.entry;
    const key = entry.readKey();
    if (!ok(key.status)) return { status: key.status as ErrorCode };
    const verified = entry.verifyChecksumInFlash();
    if (!ok(verified)) return { status: verified as ErrorCode };
    const added = this.cache.addNewOrUpdateExisting(
      entry.descriptorForKey(key.key),
      address,
      this.partition.sectorSizeBytes,
      { contentSize: entry.contentSize, entrySize: entry.size },
    );
    if (added === 'RESOURCE_EXHAUSTED') this.surplusKeysFound++;
    if (added !== 'OK') return { status: added };
    if (this.cache.hasFingerprints) this.fingerprintScannedEntry(entry, key.key);
    return { status: 'OK', nextAddress: entry.nextAddress };
  }

  /** Records fingerprints for an entry the scan just made a key's current one. */
  private fingerprintScannedEntry(entry: Entry, key: Uint8Array): void {
    const index = this.cache.findIndex(hashKey(key));
    if (index === -1 || this.cache.transactionId(index) !== entry.transactionId) return;
    if (this.valueScratch.length < entry.valueSize)
      this.valueScratch = new Uint8Array(entry.valueSize);
    const value = this.valueScratch.subarray(0, entry.valueSize);
    // Served from the scan's read window: the checksum check just read these bytes.
    entry.readValue(value, 0);
    this.cache.setFingerprints(index, key, value);
  }

  /** The next address in the sector, in 16-byte steps from `start`, holding a known magic. */
  private scanForEntry(sector: SectorDescriptor, start: number): number | undefined {
    const magicBytes = new Uint8Array(4);
    const view = new DataView(magicBytes.buffer);
    for (
      let address = alignUp(start, MIN_ALIGNMENT_BYTES);
      this.sectors.isAddressInSector(sector, address);
      address += MIN_ALIGNMENT_BYTES
    ) {
      if (!ok(this.io.read(address, magicBytes).status)) continue;
      if (this.formats.isKnownMagic(view.getUint32(0, true))) return address;
    }
    return undefined;
  }

  // ---------------------------------------------------------------------------------------
  // Lookups and reads
  // ---------------------------------------------------------------------------------------

  /** Loads the first copy of a key's entry (`padded`: with its padding) in one read. */
  private prefetchKey(index: number, padded = false): void {
    if (this.cache.addressCount(index) === 0) return;
    const length = padded ? this.cache.entrySize(index) : this.cache.contentSize(index);
    this.io.prefetch(this.cache.address(index, 0), length);
  }

  /**
   * Finds the index slot of `key`. OK; NOT_FOUND (no key with this hash); ALREADY_EXISTS
   * (another key has the same hash); DATA_LOSS (no readable copy).
   */
  private findEntry(key: Uint8Array): { status: StatusCode; index: number } {
    const hash = hashKey(key);
    const index = this.cache.findIndex(hash);
    if (index === -1) return { status: 'NOT_FOUND', index };
    this.prefetchKey(index);

    let keyFound = false;
    let readKey: Uint8Array = new Uint8Array(0);
    let errorDetected = false;
    const copies = this.cache.addresses(index);
    for (const address of copies) {
      const read = Entry.readKeyAt(this.io, address, key.length);
      readKey = read.key;
      if (ok(read.status) && hashKey(read.key) === hash) {
        keyFound = true;
        break;
      }
      // A mismatch is either corruption or a colliding key of another length: validate.
      const entry = Entry.read(this.io, address, this.formats);
      if (entry.status === 'OK' && ok(entry.entry.verifyChecksumInFlash())) {
        keyFound = true;
        break;
      }
      errorDetected = true;
      this.sectors.fromAddress(address).markCorrupt();
    }
    if (errorDetected) this.errorFound = true;
    if (!keyFound) return { status: 'DATA_LOSS', index };
    return { status: bytesEqual(key, readKey) ? 'OK' : 'ALREADY_EXISTS', index };
  }

  /**
   * findEntry for a write. With the `trusted` read strategy, a key whose fingerprint matches
   * the index is taken as found without reading its entry.
   */
  private findForWrite(key: Uint8Array): { status: StatusCode; index: number } {
    if (this.cache.hasFingerprints) {
      const index = this.cache.findIndex(hashKey(key));
      if (
        index !== -1 &&
        this.cache.addressCount(index) > 0 &&
        this.cache.keyFingerprintMatches(index, key)
      ) {
        return { status: 'OK', index };
      }
    }
    return this.findEntry(key);
  }

  /** Like findEntry, but a collision or a deleted key is NOT_FOUND. */
  private findExisting(key: Uint8Array, forWrite = false): { status: StatusCode; index: number } {
    const found = forWrite ? this.findForWrite(key) : this.findEntry(key);
    if (
      found.status === 'ALREADY_EXISTS' ||
      (ok(found.status) && this.cache.state(found.index) === 'deleted')
    ) {
      return { status: 'NOT_FOUND', index: found.index };
    }
    return found;
  }

  /** Reads the first readable copy of a key's entry; unreadable copies mark their sector. */
  private readEntry(index: number): EntryReadResult {
    let result: EntryReadResult = { status: 'DATA_LOSS' };
    for (const address of this.cache.addresses(index)) {
      result = Entry.read(this.io, address, this.formats);
      if (result.status === 'OK') return result;
      this.errorFound = true;
      this.sectors.fromAddress(address).markCorrupt();
    }
    return result;
  }

  private checkKey(key: string | Uint8Array): Uint8Array {
    const bytes = toBytes(key);
    if (bytes.length === 0 || bytes.length > MAX_KEY_LENGTH) {
      fail('INVALID_ARGUMENT', `key must be 1..${MAX_KEY_LENGTH} bytes, got ${bytes.length}`);
    }
    return bytes;
  }

  private checkReadable(key: string | Uint8Array): Uint8Array {
    const bytes = this.checkKey(key);
    if (this.initState === 'notInitialized') {
      fail('FAILED_PRECONDITION', 'the store is not initialized: call init() first');
    }
    return bytes;
  }

  private checkWritable(key: string | Uint8Array): Uint8Array {
    const bytes = this.checkKey(key);
    if (this.initState !== 'ready') {
      fail(
        'FAILED_PRECONDITION',
        this.initState === 'notInitialized'
          ? 'the store is not initialized: call init() first'
          : 'the store needs maintenance before it accepts writes',
      );
    }
    return bytes;
  }

  /** Reads a value given the key's slot, as pw_kvs's Get with metadata does. */
  private readValueAt(
    key: Uint8Array,
    index: number,
    buffer: Uint8Array,
    offsetBytes: number,
  ): FlashResult {
    const read = this.readEntry(index);
    if (read.status !== 'OK') return { status: read.status, size: 0 };
    const result = read.entry.readValue(buffer, offsetBytes);
    if (ok(result.status) && this.verifyOnRead && offsetBytes === 0) {
      const verified = read.entry.verifyChecksum(key, buffer.subarray(0, result.size));
      if (!ok(verified)) {
        buffer.fill(0, 0, result.size);
        return { status: verified, size: 0 };
      }
    }
    return result;
  }

  private throwRead(result: FlashResult, key: Uint8Array): number {
    if (ok(result.status)) return result.size;
    return fail(
      result.status as ErrorCode,
      `reading key ${describeKey(key)}: ${result.status}`,
      result.size,
    );
  }

  /**
   * Reads the value of `key` into `buffer`, from `offsetBytes` of the value; returns the bytes
   * read. Throws:
   * - INVALID_ARGUMENT: the key is empty or longer than 63 bytes.
   * - FAILED_PRECONDITION: not initialized.
   * - NOT_FOUND: no such key (or it is deleted).
   * - OUT_OF_RANGE: `offsetBytes` is past the end of the value.
   * - RESOURCE_EXHAUSTED: the buffer holds only part of the rest of the value; `size` on the
   *   error says how many bytes were read into it.
   * - DATA_LOSS: no readable copy, or the checksum does not match (verify-on-read).
   * - any status the flash reports.
   */
  read(key: string | Uint8Array, buffer: Uint8Array, offsetBytes = 0): number {
    this.io.invalidate();
    const bytes = this.checkReadable(key);
    if (!(buffer instanceof Uint8Array)) {
      fail('INVALID_ARGUMENT', 'the buffer to read into must be a Uint8Array');
    }
    if (!Number.isInteger(offsetBytes) || offsetBytes < 0) {
      fail('INVALID_ARGUMENT', `offset must be a non-negative integer, got ${String(offsetBytes)}`);
    }
    const found = this.findExisting(bytes);
    if (!ok(found.status)) {
      fail(found.status as ErrorCode, `key ${describeKey(bytes)}: ${found.status}`);
    }
    return this.throwRead(this.readValueAt(bytes, found.index, buffer, offsetBytes), bytes);
  }

  /**
   * The value of `key`, or undefined when the key is absent or deleted. Throws as
   * {@link read} does for every other status.
   */
  get(key: string | Uint8Array): Uint8Array | undefined {
    this.io.invalidate();
    const bytes = this.checkReadable(key);
    const found = this.findExisting(bytes);
    if (found.status === 'NOT_FOUND') return undefined;
    if (!ok(found.status))
      fail(found.status as ErrorCode, `key ${describeKey(bytes)}: ${found.status}`);
    return this.readWholeValue(bytes, found.index);
  }

  /** Reads the whole value of the key at `index`, sizing the buffer from its header. */
  private readWholeValue(key: Uint8Array, index: number): Uint8Array {
    const read = this.readEntry(index);
    if (read.status !== 'OK') fail(read.status, `reading key ${describeKey(key)}: ${read.status}`);
    const buffer = new Uint8Array(read.entry.valueSize);
    const result = read.entry.readValue(buffer, 0);
    if (ok(result.status) && this.verifyOnRead) {
      const verified = read.entry.verifyChecksum(key, buffer);
      if (!ok(verified)) fail(verified as ErrorCode, `key ${describeKey(key)}: checksum mismatch`);
    }
    this.throwRead(result, key);
    return buffer;
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
    if (!ok(result.status))
      fail(
        result.status as ErrorCode,
        `value size of ${describeKey(toBytes(key))}: ${result.status}`,
      );
    return result.size;
  }

  /** {@link valueSize} as pw_kvs reports it: a status and a size. Throws only for bad input. */
  valueSizeStatus(key: string | Uint8Array): FlashResult {
    this.io.invalidate();
    const bytes = this.checkReadable(key);
    const found = this.findExisting(bytes);
    if (!ok(found.status)) return { status: found.status, size: 0 };
    const read = this.readEntry(found.index);
    if (read.status !== 'OK') return { status: read.status, size: 0 };
    return { status: 'OK', size: read.entry.valueSize };
  }

  // ---------------------------------------------------------------------------------------
  // Writes
  // ---------------------------------------------------------------------------------------

  /**
   * Stores `value` under `key` (strings are UTF-8 encoded). Writing the value already stored
   * writes nothing. Throws:
   * - INVALID_ARGUMENT: bad key, or key + value + 16-byte header do not fit in one sector.
   * - FAILED_PRECONDITION: not initialized, or errors await maintenance.
   * - ALREADY_EXISTS: another key has the same 32-bit hash.
   * - RESOURCE_EXHAUSTED: no room (after garbage collection, as `gcOnWrite` allows), or the
   *   index is full.
   * - DATA_LOSS: the key's entries are unreadable, or the written entry did not verify.
   * - any status the flash reports.
   */
  put(key: string | Uint8Array, value: string | Uint8Array): void {
    const status = this.putStatus(key, value);
    if (!ok(status)) fail(status as ErrorCode, `put ${describeKey(toBytes(key))}: ${status}`);
  }

  /** {@link put} as a status. Throws only for a value that is not bytes or text. */
  putStatus(key: string | Uint8Array, value: string | Uint8Array): StatusCode {
    this.io.invalidate();
    const valueBytes = toBytes(value);
    let keyBytes: Uint8Array;
    try {
      keyBytes = this.checkWritable(key);
    } catch (error) {
      if (KvsError.is(error)) return error.code;
      throw error;
    }
    if (
      entrySizeFor(keyBytes.length, valueBytes.length, this.partition.alignmentBytes) >
      this.partition.sectorSizeBytes
    ) {
      return 'INVALID_ARGUMENT';
    }
    const found = this.findForWrite(keyBytes);
    if (ok(found.status))
      return this.writeEntryForExistingKey(found.index, 'valid', keyBytes, valueBytes);
    if (found.status === 'NOT_FOUND') return this.writeEntryForNewKey(keyBytes, valueBytes);
    return found.status;
  }

  /**
   * Deletes `key` by writing a tombstone; returns false if there was no such key. Throws as
   * {@link put} does for the other statuses.
   */
  delete(key: string | Uint8Array): boolean {
    const status = this.deleteStatus(key);
    if (status === 'NOT_FOUND') return false;
    if (!ok(status)) fail(status as ErrorCode, `delete ${describeKey(toBytes(key))}: ${status}`);
    return true;
  }

  /** {@link delete} as a status. */
  deleteStatus(key: string | Uint8Array): StatusCode {
    this.io.invalidate();
    let keyBytes: Uint8Array;
    try {
      keyBytes = this.checkWritable(key);
    } catch (error) {
      if (KvsError.is(error)) return error.code;
      throw error;
    }
    const found = this.findExisting(keyBytes, true);
    if (!ok(found.status)) return found.status;
    return this.writeEntryForExistingKey(found.index, 'deleted', keyBytes, new Uint8Array(0));
  }

  private writeEntryForExistingKey(
    index: number,
    state: EntryState,
    key: Uint8Array,
    value: Uint8Array,
  ): StatusCode {
    if (this.cache.hasFingerprints) {
      // Trusted: the index knows the old entry's sizes, and its value's fingerprint says
      // whether the old value may equal the new one (only then is it read to compare).
      const keyLength = key.length;
      const trustedPrior: PriorEntry = {
        size: this.cache.entrySize(index),
        valueSize: this.cache.contentSize(index) - ENTRY_HEADER_SIZE - keyLength,
        valueMatches: (candidate) => {
          if (!this.cache.valueMayMatch(index, candidate)) return 'NOT_FOUND';
          this.prefetchKey(index);
          const read = this.readEntry(index);
          return read.status === 'OK' ? read.entry.valueMatches(candidate) : read.status;
        },
      };
      return this.writeEntry(key, value, state, index, trustedPrior);
    }
    const prior = this.readEntry(index);
    if (prior.status !== 'OK') return prior.status;
    return this.writeEntry(key, value, state, index, prior.entry);
  }

  private writeEntryForNewKey(key: Uint8Array, value: Uint8Array): StatusCode {
    // Deleted keys may be holding index slots; heavy maintenance frees them.
    if (this.gcOnWrite === 'asManySectorsNeeded' && this.cache.isFull) {
      const status = this.fullMaintenanceHelper('heavy');
      if (!ok(status)) return status;
    }
    if (this.cache.isFull) return 'RESOURCE_EXHAUSTED';
    return this.writeEntry(key, value, 'valid', -1, undefined);
  }

  private writeEntry(
    key: Uint8Array,
    value: Uint8Array,
    state: EntryState,
    priorIndex: number,
    priorEntry: PriorEntry | undefined,
  ): StatusCode {
    if (
      priorEntry !== undefined &&
      priorEntry.valueSize === value.length &&
      this.cache.state(priorIndex) === state &&
      ok(priorEntry.valueMatches(value))
    ) {
      return 'OK';
    }

    const size = entrySizeFor(key.length, value.length, this.partition.alignmentBytes);
    const reserved: number[] = [];
    const reservation = this.getAddressesForWrite(reserved, size);
    if (!ok(reservation)) return reservation;

    // Transaction ids are burned even if the write fails, so none is ever reused.
    this.lastTransactionId = (this.lastTransactionId + 1) >>> 0;
    const entry = Entry.create(
      this.io,
      reserved[0]!,
      this.formats.primary,
      key,
      state === 'deleted' ? null : value,
      this.lastTransactionId,
    );
    const first = this.appendEntry(entry, key, value);
    if (!ok(first)) return first;

    let index: number;
    if (priorEntry === undefined) {
      index = this.cache.addNew(entry.descriptorForKey(key), entry.address);
      this.cache.setSizes(index, entry.contentSize, entry.size);
    } else {
      index = priorIndex;
      this.updateKeyDescriptor(entry, entry.address, priorIndex, priorEntry.size);
    }
    this.cache.setFingerprints(index, key, state === 'deleted' ? EMPTY : value);
    for (let i = 1; i < this.redundancy; i++) {
      entry.address = reserved[i]!;
      const status = this.appendEntry(entry, key, value);
      if (!ok(status)) return status;
      this.cache.addAddress(index, reserved[i]!);
    }
    return 'OK';
  }

  private updateKeyDescriptor(
    entry: Entry,
    newAddress: number,
    index: number,
    priorSize: number,
  ): void {
    for (const address of this.cache.addresses(index)) {
      this.sectors.fromAddress(address).removeValidBytes(priorSize);
    }
    this.cache.resetKey(index, entry.descriptor(this.cache.hash(index)), newAddress);
    this.cache.setSizes(index, entry.contentSize, entry.size);
  }

  /** Reserves one address per copy, each in a different sector. */
  private getAddressesForWrite(reserved: number[], sizeBytes: number): StatusCode {
    for (let i = 0; i < this.redundancy; i++) {
      const found = this.getSectorForWrite(sizeBytes, reserved.slice(0, i));
      if (found.sector === undefined) return found.status;
      reserved[i] = this.sectors.nextWritableAddress(found.sector);
    }
    return 'OK';
  }

  /** A sector with room, garbage collecting as `gcOnWrite` allows. */
  private getSectorForWrite(
    sizeBytes: number,
    reserved: readonly number[],
  ): { status: StatusCode; sector?: SectorDescriptor } {
    let sector = this.sectors.findSpace(sizeBytes, reserved);
    let collected = 0;
    let mayCollect = this.gcOnWrite !== 'disabled';
    while (sector === undefined && mayCollect) {
      if (this.gcOnWrite === 'oneSector') mayCollect = false;
      const status = this.garbageCollect(reserved);
      if (!ok(status)) return { status: status === 'NOT_FOUND' ? 'RESOURCE_EXHAUSTED' : status };
      sector = this.sectors.findSpace(sizeBytes, reserved);
      collected++;
      // Bounded: collecting more sectors than exist (plus two) cannot make room.
      if (collected > this.partition.sectorCount + 2) return { status: 'RESOURCE_EXHAUSTED' };
    }
    if (sector === undefined) return { status: 'RESOURCE_EXHAUSTED' };
    return { status: 'OK', sector };
  }

  /**
   * Power-loss hardening: before the first write into a sector accounted empty, makes sure it
   * is erased, erasing it if a cut erase left old bytes behind its erased start.
   */
  private ensureReallyErased(sector: SectorDescriptor): StatusCode {
    const sectorSize = this.partition.sectorSizeBytes;
    if (!this.powerLossHardening || !sector.isEmpty(sectorSize)) return 'OK';
    const contents = new Uint8Array(sectorSize);
    const read = this.partition.read(this.sectors.baseAddress(sector), contents);
    if (!ok(read.status)) return read.status;
    if (this.partition.appearsErased(contents)) return 'OK';
    this.io.invalidate();
    this.stats.sectorEraseCount++;
    return this.partition.erase(this.sectors.baseAddress(sector), 1);
  }

  private markSectorCorruptIfNotOk(status: StatusCode, sector: SectorDescriptor): StatusCode {
    if (!ok(status)) {
      sector.markCorrupt();
      this.errorFound = true;
    }
    return status;
  }

  private appendEntry(entry: Entry, key: Uint8Array, value: Uint8Array): StatusCode {
    const sector = this.sectors.fromAddress(entry.address);
    const ready = this.ensureReallyErased(sector);
    if (!ok(ready)) return this.markSectorCorruptIfNotOk(ready, sector);
    const result = entry.write(key, value);
    if (!ok(result.status)) return this.markSectorCorruptIfNotOk(result.status, sector);
    if (this.verifyOnWrite) {
      this.io.prefetch(entry.address, entry.size);
      const verified = this.markSectorCorruptIfNotOk(entry.verifyChecksumInFlash(), sector);
      if (!ok(verified)) return verified;
    }
    sector.removeWritableBytes(result.size);
    sector.addValidBytes(result.size);
    return 'OK';
  }

  private copyEntryToSector(
    entry: Entry,
    newSector: SectorDescriptor,
    newAddress: number,
  ): FlashResult {
    const ready = this.ensureReallyErased(newSector);
    if (!ok(ready)) return { status: this.markSectorCorruptIfNotOk(ready, newSector), size: 0 };
    const result = entry.copy(newAddress);
    if (!ok(this.markSectorCorruptIfNotOk(result.status, newSector)))
      return { status: result.status, size: 0 };
    if (this.verifyOnWrite) {
      this.io.prefetch(newAddress, entry.size);
      const read = Entry.read(this.io, newAddress, this.formats);
      if (!ok(this.markSectorCorruptIfNotOk(read.status, newSector)))
        return { status: read.status, size: 0 };
      const verified = this.markSectorCorruptIfNotOk(
        read.entry!.verifyChecksumInFlash(),
        newSector,
      );
      if (!ok(verified)) return { status: verified, size: 0 };
    }
    newSector.removeWritableBytes(result.size);
    newSector.addValidBytes(result.size);
    return result;
  }

  // ---------------------------------------------------------------------------------------
  // Garbage collection
  // ---------------------------------------------------------------------------------------

  /** Moves copy `slot` of the key at `index` out of its sector. */
  private relocateEntry(index: number, slot: number, reserved: readonly number[]): StatusCode {
    this.prefetchKey(index);
    const read = this.readEntry(index);
    if (read.status !== 'OK') return read.status;
    const entry = read.entry;
    const newSector = this.sectors.findSpaceDuringGarbageCollection(
      entry.size,
      this.cache.addresses(index),
      reserved,
    );
    if (newSector === undefined) return 'RESOURCE_EXHAUSTED';
    const newAddress = this.sectors.nextWritableAddress(newSector);
    const copied = this.copyEntryToSector(entry, newSector, newAddress);
    if (!ok(copied.status)) return copied.status;
    this.sectors.fromAddress(this.cache.address(index, slot)).removeValidBytes(copied.size);
    this.cache.setAddress(index, slot, newAddress);
    return 'OK';
  }

  private garbageCollect(reserved: readonly number[]): StatusCode {
    const sector = this.sectors.findSectorToGarbageCollect(reserved);
    if (sector === undefined) return 'NOT_FOUND';
    return this.garbageCollectSector(sector, reserved);
  }

  private garbageCollectSector(sector: SectorDescriptor, reserved: readonly number[]): StatusCode {
    if (sector.validBytes !== 0) {
      for (let index = 0; index < this.cache.totalEntries; index++) {
        const count = this.cache.addressCount(index);
        for (let slot = 0; slot < count; slot++) {
          if (this.sectors.isAddressInSector(sector, this.cache.address(index, slot))) {
            const status = this.relocateEntry(index, slot, reserved);
            if (!ok(status)) return status;
          }
        }
      }
    }
    if (sector.validBytes !== 0) return 'INTERNAL';

    const sectorSize = this.partition.sectorSizeBytes;
    if (!sector.isEmpty(sectorSize)) {
      // Marked corrupt first: if the erase fails, nothing will be written there.
      sector.markCorrupt();
      this.stats.sectorEraseCount++;
      const erased = this.io.erase(this.sectors.baseAddress(sector), 1);
      if (!ok(erased)) return erased;
      sector.writableBytes = sectorSize;
    }
    return 'OK';
  }

  // ---------------------------------------------------------------------------------------
  // Repair and maintenance
  // ---------------------------------------------------------------------------------------

  /** Rewrites entries of legacy formats in the primary format; returns how many moved. */
  private updateEntriesToPrimaryFormat(): { status: StatusCode; updated: number } {
    let updated = 0;
    for (let index = 0; index < this.cache.totalEntries; index++) {
      this.prefetchKey(index);
      const read = this.readEntry(index);
      if (read.status !== 'OK') return { status: read.status, updated: 0 };
      const entry = read.entry;
      if (entry.magic === this.formats.primary.magic) continue;
      updated++;
      this.lastTransactionId = (this.lastTransactionId + 1) >>> 0;
      const status = entry.update(this.formats.primary, this.lastTransactionId);
      if (!ok(status)) return { status, updated: 0 };

      const reserved: number[] = [];
      const reservation = this.getAddressesForWrite(reserved, entry.size);
      if (!ok(reservation)) return { status: reservation, updated: 0 };
      const first = this.copyEntryToSector(
        entry,
        this.sectors.fromAddress(reserved[0]!),
        reserved[0]!,
      );
      if (!ok(first.status)) return { status: first.status, updated: 0 };
      // pw_kvs subtracts the new entry's size from the old copies' sectors; reproduced.
      this.updateKeyDescriptor(entry, reserved[0]!, index, entry.size);
      for (let i = 1; i < this.redundancy; i++) {
        const copy = this.copyEntryToSector(
          entry,
          this.sectors.fromAddress(reserved[i]!),
          reserved[i]!,
        );
        if (!ok(copy.status)) return { status: copy.status, updated: 0 };
        this.cache.addAddress(index, reserved[i]!);
      }
    }
    return { status: 'OK', updated };
  }

  private addRedundantEntries(index: number): StatusCode {
    this.prefetchKey(index, true);
    const read = this.readEntry(index);
    if (read.status !== 'OK') return read.status;
    const entry = read.entry;
    const verified = entry.verifyChecksumInFlash();
    if (!ok(verified)) return verified;
    while (this.cache.addressCount(index) < this.redundancy) {
      const found = this.getSectorForWrite(entry.size, this.cache.addresses(index));
      if (found.sector === undefined) return found.status;
      const newAddress = this.sectors.nextWritableAddress(found.sector);
      const copied = this.copyEntryToSector(entry, found.sector, newAddress);
      if (!ok(copied.status)) return copied.status;
      this.cache.addAddress(index, newAddress);
    }
    return 'OK';
  }

  private repairCorruptSectors(): StatusCode {
    // A sector that cannot be collected on the first pass may be after a later one makes room.
    let repairStatus: StatusCode = 'OK';
    for (let pass = 1; pass <= 2; pass++) {
      if (repairStatus === 'RESOURCE_EXHAUSTED') repairStatus = 'OK';
      for (const sector of this.sectors.descriptors) {
        if (!sector.isCorrupt) continue;
        const status = this.garbageCollectSector(sector, []);
        if (ok(status)) {
          this.stats.corruptSectorsRecovered++;
        } else if (ok(repairStatus) || repairStatus === 'RESOURCE_EXHAUSTED') {
          repairStatus = status;
        }
      }
      if (ok(repairStatus)) break;
    }
    return repairStatus;
  }

  private ensureFreeSectorExists(): StatusCode {
    const sectorSize = this.partition.sectorSizeBytes;
    if (this.sectors.descriptors.some((sector) => sector.isEmpty(sectorSize))) return 'OK';
    const status = this.garbageCollect([]);
    if (ok(status) || !this.powerLossHardening) return status;
    // Power-loss hardening: a cut during garbage collection can leave no sector empty and the
    // usual victim's entries with nowhere to go; another victim may still be movable.
    const candidates = this.sectors.descriptors
      .filter((sector) => !sector.isEmpty(sectorSize))
      .sort((a, b) => b.recoverableBytes(sectorSize) - a.recoverableBytes(sectorSize));
    for (const sector of candidates) {
      if (ok(this.garbageCollectSector(sector, []))) return 'OK';
    }
    return status;
  }

  private ensureEntryRedundancy(): StatusCode {
    if (this.redundancy === 1) return 'OK';
    let repairStatus: StatusCode = 'OK';
    for (let index = 0; index < this.cache.totalEntries; index++) {
      if (this.cache.addressCount(index) >= this.redundancy) continue;
      const status = this.addRedundantEntries(index);
      if (ok(status)) this.stats.missingRedundantEntriesRecovered++;
      else if (ok(repairStatus)) repairStatus = status;
    }
    return repairStatus;
  }

  private fixErrors(): StatusCode {
    let overall = this.repairCorruptSectors();
    const free = this.ensureFreeSectorExists();
    if (ok(overall)) overall = free;
    const redundancy = this.ensureEntryRedundancy();
    if (ok(overall)) overall = redundancy;
    if (ok(overall)) {
      this.errorFound = false;
      this.initState = 'ready';
    }
    return overall;
  }

  private repair(): StatusCode {
    this.initializeMetadata();
    return this.fixErrors();
  }

  private removeDeletedKeyEntries(): StatusCode {
    for (let index = 0; index < this.cache.totalEntries; index++) {
      // Removal moves the last key into this slot, so look at the slot again.
      while (index < this.cache.totalEntries && this.cache.state(index) === 'deleted') {
        const read = this.readEntry(index);
        if (read.status !== 'OK') return read.status;
        for (const address of this.cache.addresses(index)) {
          this.sectors.fromAddress(address).removeValidBytes(read.entry.size);
        }
        this.cache.removeEntry(index);
      }
    }
    return 'OK';
  }

  private fullMaintenanceHelper(type: MaintenanceType): StatusCode {
    this.io.invalidate();
    if (this.initState === 'notInitialized') return 'FAILED_PRECONDITION';
    this.checkForErrors();
    if (this.errorFound) {
      const status = this.repair();
      if (!ok(status)) return status;
    }

    const update = this.updateEntriesToPrimaryFormat();
    let overall = update.status;
    const sectorSize = this.partition.sectorSizeBytes;
    const thresholdBytes = Math.floor(
      (this.partition.sizeBytes * GC_USAGE_THRESHOLD_PERCENTAGE) / 100,
    );
    const overThreshold = this.storageStats().inUseBytes > thresholdBytes;
    const forceGc = type === 'heavy' || overThreshold || update.updated > 0;

    // One cursor for both passes: a pass that stops early leaves the next where it stopped.
    let cursor = this.sectors.lastNew.index;
    const count = this.sectors.size;
    const garbageCollectPass = (): void => {
      let gcStatus: StatusCode = 'OK';
      for (let j = 0; j < count; j++) {
        cursor = cursor + 1 === count ? 0 : cursor + 1;
        const sector = this.sectors.descriptors[cursor]!;
        if (sector.recoverableBytes(sectorSize) > 0 && (forceGc || sector.validBytes === 0)) {
          gcStatus = this.garbageCollectSector(sector, []);
          if (!ok(gcStatus)) break;
        }
      }
      if (ok(overall)) overall = gcStatus;
    };

    garbageCollectPass();
    if (type === 'heavy') {
      // Tombstones may only go right after a full pass, so no older entry can resurface.
      const removed = this.removeDeletedKeyEntries();
      if (ok(overall)) overall = removed;
      garbageCollectPass();
    }
    return overall;
  }

  private throwIfFailed(status: StatusCode, what: string): void {
    if (!ok(status)) fail(status as ErrorCode, `${what}: ${status}`);
  }

  /**
   * Repairs detected errors (unless `recovery` is manual) and garbage collects one sector.
   * Throws FAILED_PRECONDITION (not initialized), NOT_FOUND (nothing to collect), or the
   * status of a repair or collection that failed.
   */
  partialMaintenance(): void {
    this.throwIfFailed(this.partialMaintenanceStatus(), 'partial maintenance');
  }

  /** {@link partialMaintenance} as a status. */
  partialMaintenanceStatus(): StatusCode {
    this.io.invalidate();
    if (this.initState === 'notInitialized') return 'FAILED_PRECONDITION';
    this.checkForErrors();
    if (this.errorFound && this.recovery !== 'manual') {
      const status = this.repair();
      if (!ok(status)) return status;
    }
    return this.garbageCollect([]);
  }

  /**
   * Repairs every detected error, rewrites legacy-format entries in the primary format, and
   * collects sectors holding only stale data (every sector with reclaimable bytes once usage is
   * above 70 %). Throws FAILED_PRECONDITION (not initialized) or the first failure's status.
   */
  fullMaintenance(): void {
    this.throwIfFailed(this.fullMaintenanceHelper('regular'), 'full maintenance');
  }

  /** {@link fullMaintenance} as a status. */
  fullMaintenanceStatus(): StatusCode {
    return this.fullMaintenanceHelper('regular');
  }

  /**
   * Full maintenance that collects every sector with reclaimable bytes, then drops deleted keys
   * from the index and collects again, erasing their tombstones. Throws like
   * {@link fullMaintenance}.
   */
  heavyMaintenance(): void {
    this.throwIfFailed(this.fullMaintenanceHelper('heavy'), 'heavy maintenance');
  }

  /** {@link heavyMaintenance} as a status. */
  heavyMaintenanceStatus(): StatusCode {
    return this.fullMaintenanceHelper('heavy');
  }

  // ---------------------------------------------------------------------------------------
  // State and statistics
  // ---------------------------------------------------------------------------------------

  /**
   * Checks the RAM state for unrepaired errors (corrupt sectors, keys missing copies); returns
   * true if any is present. Cheap: reads no flash.
   */
  checkForErrors(): boolean {
    if (this.sectors.descriptors.some((sector) => sector.isCorrupt)) {
      this.errorFound = true;
      return true;
    }
    if (this.redundancy > 1) {
      for (let index = 0; index < this.cache.totalEntries; index++) {
        if (this.cache.addressCount(index) < this.redundancy) {
          this.errorFound = true;
          return true;
        }
      }
    }
    return this.errorFound;
  }

  /** Space and repair counters. */
  storageStats(): StorageStats {
    const sectorSize = this.partition.sectorSizeBytes;
    const stats: StorageStats = {
      writableBytes: 0,
      inUseBytes: 0,
      reclaimableBytes: 0,
      sectorEraseCount: this.stats.sectorEraseCount,
      corruptSectorsRecovered: this.stats.corruptSectorsRecovered,
      missingRedundantEntriesRecovered: this.stats.missingRedundantEntriesRecovered,
    };
    let foundEmpty = false;
    for (const sector of this.sectors.descriptors) {
      stats.inUseBytes += sector.validBytes;
      stats.reclaimableBytes += sector.recoverableBytes(sectorSize);
      if (!foundEmpty && sector.isEmpty(sectorSize)) {
        // The first empty sector is reserved for garbage collection: not writable space.
        foundEmpty = true;
        continue;
      }
      stats.writableBytes += sector.writableBytes;
    }
    return stats;
  }

  /** True once init succeeded and no error awaits maintenance (writes are accepted). */
  get isReady(): boolean {
    return this.initState === 'ready';
  }

  /** True after init, even if errors await maintenance (reads are accepted). */
  get isOpen(): boolean {
    return this.initState !== 'notInitialized';
  }

  /** True if an error was detected and not yet repaired. */
  get errorDetected(): boolean {
    return this.errorFound;
  }

  /** Number of live (not deleted) keys. */
  get size(): number {
    return this.cache.presentEntries();
  }

  /** Keys in the index, deleted keys not yet dropped by heavy maintenance included. */
  get totalEntriesWithDeleted(): number {
    return this.cache.totalEntries;
  }

  /** Capacity of the index (`maxEntries`). */
  get maxSize(): number {
    return this.cache.maxEntries;
  }

  /** The newest transaction id; survives re-init, reset only by erasing the flash. */
  get transactionCount(): number {
    return this.lastTransactionId;
  }

  /** Largest key + value byte count one entry can hold. */
  get maxKeyValueSizeBytes(): number {
    return this.partition.sectorSizeBytes - ENTRY_HEADER_SIZE;
  }

  /** Bytes of RAM held by the key index. */
  get indexMemoryBytes(): number {
    return this.cache.memoryBytes;
  }

  // ---------------------------------------------------------------------------------------
  // Iteration
  // ---------------------------------------------------------------------------------------

  /**
   * Live keys in index order (the order pw_kvs iterates). Each item reads from flash lazily.
   * An item whose key cannot be read has an empty key. Before init there are no items.
   */
  *items(): IterableIterator<KvsItem> {
    for (let index = 0; index < this.cache.totalEntries; index++) {
      if (this.cache.state(index) !== 'valid') continue;
      yield this.itemAt(index);
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

  private itemAt(index: number): KvsItem {
    this.io.invalidate();
    this.prefetchKey(index);
    const read = this.readEntry(index);
    let key: Uint8Array = new Uint8Array(0);
    if (read.status === 'OK') {
      const keyRead = read.entry.readKey();
      key = keyRead.key;
    }
    // Between items the caller's code runs: start every read afresh.
    const begin = (): void => {
      this.io.invalidate();
      this.prefetchKey(index);
    };
    const readInto = (buffer: Uint8Array, offsetBytes = 0): number => {
      begin();
      return this.throwRead(this.readValueAt(key, index, buffer, offsetBytes), key);
    };
    return {
      key,
      keyText: utf8Decode(key)!,
      read: readInto,
      value: (): Uint8Array => {
        begin();
        return this.readWholeValue(key, index);
      },
    };
  }
}

/** A key for messages: its text when printable, else hex. */
export function describeKey(key: Uint8Array): string {
  const printable = key.every((byte) => byte >= 0x20 && byte < 0x7f);
  if (printable) return JSON.stringify(utf8Decode(key)!);
  return `0x${Array.from(key, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
