import type { EntryFormats } from '../format/entry-format.js';
import { ENTRY_HEADER_SIZE, MAX_KEY_LENGTH } from '../format/entry-header.js';
import { type KeyHashChar, hashKeyRange } from '../format/hash.js';
import type { StatusCode } from '../status.js';
import { assert } from './_assert.js';
import type { CoalescingReader } from './_coalescing-reader.js';
import { Entry } from './entry.js';
import type { Sectors } from './sectors.js';

/** Marks an unused address slot. */
export const NO_ADDRESS = 0xffffffff;

/** Whether a key holds a value or has been deleted (its newest entry is a tombstone). */
export type EntryState = 'valid' | 'deleted';

/** Outcome of offering an entry found on flash to the index during a scan. */
export type AddResult = 'OK' | 'RESOURCE_EXHAUSTED' | 'DATA_LOSS';

/** What a lookup needs of the store: the flash, its sectors (to mark) and its formats. */
export interface LookupContext {
  readonly io: CoalescingReader;
  readonly sectors: Sectors;
  readonly formats: EntryFormats;
}

/**
 * The outcome of a key lookup (pw_kvs's EntryCache::Find). The index hands out one object,
 * refilled by each lookup: read it before the next.
 */
export interface FindResult {
  /**
   * OK; NOT_FOUND (no key with this hash); ALREADY_EXISTS (another key has the same hash);
   * DATA_LOSS (no readable copy).
   */
  readonly status: StatusCode;
  /** The key's slot in the index; -1 when no key has its hash. */
  readonly index: number;
  /** True if an unreadable copy was met; its sector is marked corrupt. */
  readonly errorDetected: boolean;
}

/** Options of an index beyond its capacity. */
export interface EntryCacheOptions {
  /**
   * Keep a fingerprint of every key and value (9 bytes a key) so that a write can take a key
   * as found without reading it. Defaults to false.
   */
  readonly fingerprints?: boolean;
  /** How key bytes are hashed; see {@link KeyHashChar}. Defaults to `signed`. */
  readonly keyHashChar?: KeyHashChar;
}

const EMPTY_SLOT = -1;
/** A size slot holding this looks its sizes up in the oversized map. */
const OVERSIZED = 0xffff;

/**
 * The RAM index of keys (pw_kvs's entry cache): per key its hash, transaction id, state and the
 * addresses of its copies. Keys keep their insertion order (iteration order); removing a key
 * moves the last key into its slot, as pw_kvs does. Storage is a set of typed arrays sized by
 * `maxEntries` up front, plus an open-addressing hash table, so a lookup by hash is O(1) and
 * the index costs a few dozen bytes per key.
 */
export class EntryCache {
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly maxEntries: number;
  declare readonly redundancy: number;
  declare readonly keyHashChar: KeyHashChar;
  #count = 0;
  /**
   * The slot of the key the last {@link addNewOrUpdateExisting} was offered (-1 when it did
   * not fit).
   */
  offeredIndex = -1;
  /** Set when a scan met redundant copies of a key whose sizes differ. */
  hasCopiesOfOtherSizes = false;
  readonly #hashes: Uint32Array;
  readonly #transactionIds: Uint32Array;
  readonly #deleted: Uint8Array;
  readonly #addressCounts: Uint8Array;
  readonly #addressSlots: Uint32Array;
  /** Header + key + value bytes of the key's current entry (what a read of it needs). */
  readonly #contentSizes: Uint16Array;
  /** Bytes the key's current entry occupies, padding included. */
  readonly #entrySizes: Uint16Array;
  /** Sizes of 2^16 - 1 bytes or more ([content, entry]), by slot; see {@link OVERSIZED}. */
  readonly #oversized = new Map<number, [number, number]>();
  /** Fingerprints of the key and of the value, kept only when fingerprints are enabled. */
  readonly #keyFingerprints: Int32Array;
  readonly #valueFingerprints: Int32Array;
  readonly #keyLengths: Uint8Array;
  readonly #table: Int32Array;
  readonly #tableMask: number;
  /** Returned by every lookup, so a lookup allocates nothing; read it before the next one. */
  readonly #lastFound: { -readonly [K in keyof FindResult]: FindResult[K] } = {
    status: 'OK',
    index: -1,
    errorDetected: false,
  };

  constructor(maxEntries: number, redundancy: number, options: EntryCacheOptions = {}) {
    const fingerprints = options.fingerprints ?? false;
    this.maxEntries = maxEntries;
    this.redundancy = redundancy;
    this.keyHashChar = options.keyHashChar ?? 'signed';
    this.#hashes = new Uint32Array(maxEntries);
    this.#transactionIds = new Uint32Array(maxEntries);
    this.#deleted = new Uint8Array(maxEntries);
    this.#addressCounts = new Uint8Array(maxEntries);
    this.#addressSlots = new Uint32Array(maxEntries * redundancy).fill(NO_ADDRESS);
    // An entry lies within one sector, and sectors are at most 65 534 bytes: 16 bits hold it.
    this.#contentSizes = new Uint16Array(maxEntries);
    this.#entrySizes = new Uint16Array(maxEntries);
    const fingerprintSlots = fingerprints ? maxEntries : 0;
    this.#keyFingerprints = new Int32Array(fingerprintSlots);
    this.#valueFingerprints = new Int32Array(fingerprintSlots);
    this.#keyLengths = new Uint8Array(fingerprintSlots);
    let tableSize = 8;
    while (tableSize < maxEntries * 2) tableSize *= 2;
    this.#table = new Int32Array(tableSize).fill(EMPTY_SLOT);
    this.#tableMask = tableSize - 1;
  }

  /** Forgets every key. */
  reset(): void {
    this.#count = 0;
    this.#oversized.clear();
    this.hasCopiesOfOtherSizes = false;
    this.#table.fill(EMPTY_SLOT);
  }

  /** Keys in the index, deleted ones included. */
  get totalEntries(): number {
    return this.#count;
  }

  /** Keys whose newest entry is not a tombstone. */
  presentEntries(): number {
    let present = 0;
    for (let i = 0; i < this.#count; i++) if (this.#deleted[i] === 0) present++;
    return present;
  }

  /** True if no more keys fit. */
  get isFull(): boolean {
    return this.#count >= this.maxEntries;
  }

  /** Index of the key with this hash, or -1. */
  findIndex(hash: number): number {
    let slot = this.#hashSlot(hash);
    for (;;) {
      const index = this.#table[slot]!;
      if (index === EMPTY_SLOT) return -1;
      if (this.#hashes[index] === hash) return index;
      slot = (slot + 1) & this.#tableMask;
    }
  }

  /** The hash of `key` as this index computes it. */
  hashOf(key: Uint8Array): number {
    return hashKeyRange(key, 0, key.length, this.keyHashChar);
  }

  /**
   * Finds `key` (pw_kvs's EntryCache::Find): the slot with its hash, confirmed by reading the
   * key from the first readable copy. A copy whose key does not match is checked in full: a
   * valid entry there is a colliding key of another length, an invalid one is corruption (its
   * sector is marked corrupt, and the next copy is tried).
   */
  find(context: LookupContext, key: Uint8Array): FindResult {
    const hash = this.hashOf(key);
    const index = this.findIndex(hash);
    if (index === -1) return this.#result('NOT_FOUND', index, false);
    const io = context.io;
    this.prefetch(io, index);

    const keyLength = key.length;
    let errorDetected = false;
    const base = index * this.redundancy;
    for (let slot = 0; slot < this.#addressCounts[index]!; slot++) {
      const address = this.#addressSlots[base + slot]!;
      // The key as Entry.readKeyAt reads it, compared where it was loaded.
      let keyRead = false;
      let sameKey = false;
      if (keyLength > 0 && keyLength <= MAX_KEY_LENGTH) {
        const status = io.load(address + ENTRY_HEADER_SIZE, keyLength);
        const bytes = io.loadedBytes;
        const at = io.loadedOffset;
        sameKey = equalAt(key, bytes, at);
        // Equal bytes hash equally; only other bytes need hashing.
        keyRead =
          status === 'OK' &&
          (sameKey || hashKeyRange(bytes, at, at + keyLength, this.keyHashChar) === hash);
      }
      if (keyRead) return this.#result(sameKey ? 'OK' : 'ALREADY_EXISTS', index, errorDetected);
      // A mismatch is either corruption or a colliding key of another length: validate.
      const entry = Entry.read(io, address, context.formats);
      if (entry.status === 'OK' && entry.entry.verifyChecksumInFlash() === 'OK') {
        return this.#result(sameKey ? 'OK' : 'ALREADY_EXISTS', index, errorDetected);
      }
      errorDetected = true;
      context.sectors.fromAddress(address).markCorrupt();
    }
    return this.#result('DATA_LOSS', index, errorDetected);
  }

  /** The one lookup result this index hands out, refilled by every lookup. */
  #result(status: StatusCode, index: number, errorDetected: boolean): FindResult {
    const found = this.#lastFound;
    found.status = status;
    found.index = index;
    found.errorDetected = errorDetected;
    return found;
  }

  /**
   * {@link find} for a write. With fingerprints, a key whose fingerprint matches its slot is
   * taken as found without reading flash (the `trusted` read strategy's shortcut).
   */
  findForWrite(context: LookupContext, key: Uint8Array): FindResult {
    if (this.hasFingerprints) {
      const index = this.findIndex(this.hashOf(key));
      if (
        index !== -1 &&
        this.#addressCounts[index]! > 0 &&
        this.keyFingerprintMatches(index, key)
      ) {
        return this.#result('OK', index, false);
      }
    }
    return this.find(context, key);
  }

  /**
   * {@link find} (or {@link findForWrite}) for a key that must hold a value: a hash collision
   * or a deleted key is NOT_FOUND (pw_kvs's FindExisting).
   */
  findExisting(context: LookupContext, key: Uint8Array, forWrite = false): FindResult {
    const found = forWrite ? this.findForWrite(context, key) : this.find(context, key);
    if (
      found.status === 'ALREADY_EXISTS' ||
      (found.status === 'OK' && this.#deleted[found.index] !== 0)
    ) {
      return this.#result('NOT_FOUND', found.index, found.errorDetected);
    }
    return found;
  }

  /**
   * Announces to `io` that the first copy of the key at `index` is about to be read: its header,
   * key and value (`padded`: with the padding too) are loaded in one read.
   */
  prefetch(io: CoalescingReader, index: number, padded = false): void {
    if (this.#addressCounts[index] === 0) return;
    const length = padded ? this.entrySize(index) : this.contentSize(index);
    io.prefetch(this.#addressSlots[index * this.redundancy]!, length);
  }

  hash(index: number): number {
    return this.#hashes[index]!;
  }

  transactionId(index: number): number {
    return this.#transactionIds[index]!;
  }

  state(index: number): EntryState {
    return this.#deleted[index] === 0 ? 'valid' : 'deleted';
  }

  /** Number of known copies of the key at `index`. */
  addressCount(index: number): number {
    return this.#addressCounts[index]!;
  }

  /** Address of copy `slot` of the key at `index`. */
  address(index: number, slot: number): number {
    return this.#addressSlots[index * this.redundancy + slot]!;
  }

  /** A copy of the addresses of the key at `index`. */
  addresses(index: number): number[] {
    const result: number[] = [];
    const base = index * this.redundancy;
    for (let i = 0; i < this.#addressCounts[index]!; i++)
      result.push(this.#addressSlots[base + i]!);
    return result;
  }

  /** Header + key + value bytes of the key's current entry. */
  contentSize(index: number): number {
    const size = this.#contentSizes[index]!;
    return size === OVERSIZED ? this.#oversized.get(index)![0] : size;
  }

  /** Bytes on flash of the key's current entry. */
  entrySize(index: number): number {
    const size = this.#entrySizes[index]!;
    return size === OVERSIZED ? this.#oversized.get(index)![1] : size;
  }

  /** Records the sizes of the key's current entry. */
  setSizes(index: number, contentSize: number, entrySize: number): void {
    if (contentSize < OVERSIZED && entrySize < OVERSIZED) {
      this.#contentSizes[index] = contentSize;
      this.#entrySizes[index] = entrySize;
      if (this.#oversized.size > 0) this.#oversized.delete(index);
      return;
    }
    // Only a damaged header that a weak checksum let through describes more than 16 bits.
    this.#contentSizes[index] = OVERSIZED;
    this.#entrySizes[index] = OVERSIZED;
    this.#oversized.set(index, [contentSize, entrySize]);
  }

  /** True if this cache keeps key and value fingerprints. */
  get hasFingerprints(): boolean {
    return this.#keyLengths.length > 0;
  }

  /**
   * Records fingerprints computed by the caller: {@link fingerprint} of the key and of the value
   * (no-op unless enabled).
   */
  setFingerprintValues(
    index: number,
    keyFingerprint: number,
    keyLength: number,
    valueFingerprint: number,
  ): void {
    if (!this.hasFingerprints) return;
    this.#keyFingerprints[index] = keyFingerprint;
    this.#valueFingerprints[index] = valueFingerprint;
    this.#keyLengths[index] = keyLength;
  }

  /** True if `key` has the fingerprint recorded for the key at `index`. */
  keyFingerprintMatches(index: number, key: Uint8Array): boolean {
    return (
      this.hasFingerprints &&
      this.#keyLengths[index] === key.length &&
      this.#keyFingerprints[index] === fingerprint(key)
    );
  }

  /**
   * False if a value whose {@link fingerprint} is `valueFingerprint` certainly differs from the key's
   * current value; true if it may match.
   */
  valueMayMatch(index: number, valueFingerprint: number): boolean {
    return !this.hasFingerprints || this.#valueFingerprints[index] === valueFingerprint;
  }

  /** Moves copy `slot` of the key at `index` to a new address. */
  setAddress(index: number, slot: number, address: number): void {
    this.#addressSlots[index * this.redundancy + slot] = address;
  }

  /** Adds a copy address; the caller guarantees there is room. */
  addAddress(index: number, address: number): void {
    const count = this.#addressCounts[index]!;
    assert(count < this.redundancy, `key ${index} has all ${count} copies`);
    this.#addressSlots[index * this.redundancy + count] = address;
    this.#addressCounts[index] = count + 1;
  }

  /** Drops one copy address; the last copy takes its place (pw_kvs's order). */
  removeAddress(index: number, address: number): void {
    const base = index * this.redundancy;
    const count = this.#addressCounts[index]!;
    for (let i = 0; i < count; i++) {
      if (this.#addressSlots[base + i] === address) {
        this.#addressSlots[base + i] = this.#addressSlots[base + count - 1]!;
        this.#addressSlots[base + count - 1] = NO_ADDRESS;
        this.#addressCounts[index] = count - 1;
        return;
      }
    }
  }

  /**
   * Replaces the key's transaction id and state (`deleted`: its newest entry is a tombstone)
   * and its copies with a single address; `hash` must be the key's.
   */
  resetKey(
    index: number,
    hash: number,
    transactionId: number,
    deleted: boolean,
    address: number,
  ): void {
    assert(this.#hashes[index] === hash, 'resetKey with another hash');
    this.#transactionIds[index] = transactionId;
    this.#deleted[index] = deleted ? 1 : 0;
    const base = index * this.redundancy;
    this.#addressSlots[base] = address;
    for (let i = 1; i < this.redundancy; i++) this.#addressSlots[base + i] = NO_ADDRESS;
    this.#addressCounts[index] = 1;
  }

  /** Appends a new key; the caller guarantees it is not full and the hash is new. */
  addNew(hash: number, transactionId: number, deleted: boolean, address: number): number {
    assert(!this.isFull, 'addNew on a full cache');
    const index = this.#count++;
    this.#hashes[index] = hash;
    this.resetKey(index, hash, transactionId, deleted, address);
    this.#insertIntoTable(hash, index);
    return index;
  }

  /**
   * Offers an entry found on flash during a scan: a new key is added, a newer transaction
   * replaces the key's copies, an equal one adds a redundant copy (two copies in one sector, or
   * an equal id with another hash, is DATA_LOSS), an older one is ignored. RESOURCE_EXHAUSTED
   * when a new key does not fit.
   */
  addNewOrUpdateExisting(
    hash: number,
    transactionId: number,
    deleted: boolean,
    address: number,
    sectorSizeBytes: number,
    contentSize: number,
    entrySize: number,
  ): AddResult {
    const index = this.findIndex(hash);
    this.offeredIndex = index;
    if (index === -1) {
      if (this.isFull) return 'RESOURCE_EXHAUSTED';
      const added = this.addNew(hash, transactionId, deleted, address);
      this.setSizes(added, contentSize, entrySize);
      this.offeredIndex = added;
      return 'OK';
    }
    const existingId = this.#transactionIds[index]!;
    if (transactionId > existingId) {
      this.resetKey(index, hash, transactionId, deleted, address);
      this.setSizes(index, contentSize, entrySize);
      return 'OK';
    }
    if (transactionId === existingId) {
      const sector = Math.floor(address / sectorSizeBytes);
      const base = index * this.redundancy;
      for (let i = 0; i < this.#addressCounts[index]!; i++) {
        if (Math.floor(this.#addressSlots[base + i]! / sectorSizeBytes) === sector)
          return 'DATA_LOSS';
      }
      if (this.#addressCounts[index]! < this.redundancy) this.addAddress(index, address);
      // Copies are byte-identical entries; one of another size can only come from damage
      // that a weak checksum let through, and then the recorded size is not every copy's.
      if (entrySize !== this.entrySize(index)) this.hasCopiesOfOtherSizes = true;
    }
    return 'OK';
  }

  /**
   * Removes the key at `index`: the last key moves into its slot (so the caller re-examines
   * `index`, as pw_kvs's iteration does).
   */
  removeEntry(index: number): void {
    const last = this.#count - 1;
    this.#removeFromTable(this.#hashes[index]!);
    if (index < last) {
      const lastHash = this.#hashes[last]!;
      this.#removeFromTable(lastHash);
      this.#hashes[index] = lastHash;
      this.#transactionIds[index] = this.#transactionIds[last]!;
      this.#deleted[index] = this.#deleted[last]!;
      this.#addressCounts[index] = this.#addressCounts[last]!;
      this.setSizes(index, this.contentSize(last), this.entrySize(last));
      if (this.hasFingerprints) {
        this.#keyFingerprints[index] = this.#keyFingerprints[last]!;
        this.#valueFingerprints[index] = this.#valueFingerprints[last]!;
        this.#keyLengths[index] = this.#keyLengths[last]!;
      }
      this.#addressSlots.copyWithin(
        index * this.redundancy,
        last * this.redundancy,
        (last + 1) * this.redundancy,
      );
      this.#insertIntoTable(lastHash, index);
    }
    this.#oversized.delete(last);
    this.#addressSlots.fill(NO_ADDRESS, last * this.redundancy, (last + 1) * this.redundancy);
    this.#addressCounts[last] = 0;
    this.#count = last;
  }

  /** Approximate bytes of RAM the index holds. */
  get memoryBytes(): number {
    return (
      this.#hashes.byteLength +
      this.#transactionIds.byteLength +
      this.#deleted.byteLength +
      this.#addressCounts.byteLength +
      this.#addressSlots.byteLength +
      this.#contentSizes.byteLength +
      this.#entrySizes.byteLength +
      this.#keyFingerprints.byteLength +
      this.#valueFingerprints.byteLength +
      this.#keyLengths.byteLength +
      this.#table.byteLength
    );
  }

  #hashSlot(hash: number): number {
    // Fibonacci hashing spreads the (already mixed) key hash over the table.
    return (Math.imul(hash, 0x9e3779b1) >>> 0) & this.#tableMask;
  }

  #insertIntoTable(hash: number, index: number): void {
    let slot = this.#hashSlot(hash);
    while (this.#table[slot] !== EMPTY_SLOT) slot = (slot + 1) & this.#tableMask;
    this.#table[slot] = index;
  }

  #removeFromTable(hash: number): void {
    let slot = this.#hashSlot(hash);
    for (;;) {
      const index = this.#table[slot]!;
      if (index === EMPTY_SLOT) return;
      if (this.#hashes[index] === hash) break;
      slot = (slot + 1) & this.#tableMask;
    }
    // Backward-shift deletion keeps every probe chain unbroken without tombstones.
    let hole = slot;
    let next = (hole + 1) & this.#tableMask;
    for (;;) {
      const index = this.#table[next]!;
      if (index === EMPTY_SLOT) break;
      const home = this.#hashSlot(this.#hashes[index]!);
      const distanceFromHome = (next - home) & this.#tableMask;
      const distanceToHole = (next - hole) & this.#tableMask;
      if (distanceFromHome >= distanceToHole) {
        this.#table[hole] = index;
        hole = next;
      }
      next = (next + 1) & this.#tableMask;
    }
    this.#table[hole] = EMPTY_SLOT;
  }
}

/** True if `bytes` holds `key` from `offset`. */
function equalAt(key: Uint8Array, bytes: Uint8Array, offset: number): boolean {
  if (offset + key.length > bytes.length) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== bytes[offset + i]) return false;
  return true;
}

/** A 32-bit fingerprint of a key or value: a second hash, independent of the key hash. */
export function fingerprint(bytes: Uint8Array): number {
  return fingerprintRange(bytes, 0, bytes.length);
}

/**
 * {@link fingerprint} of `bytes[start..end)`: MurmurHash3 (x86, 32-bit, seed 0) as a signed
 * int32. It takes four bytes a step, so the scan fingerprints what it loads at a fraction of
 * a byte-wise hash's cost.
 */
export function fingerprintRange(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    const word = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    hash ^= mixWord(word);
    hash = (hash << 13) | (hash >>> 19);
    hash = (Math.imul(hash, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  for (let shift = 0; i < end; i++, shift += 8) tail |= bytes[i]! << shift;
  if (((end - start) & 3) !== 0) hash ^= mixWord(tail);
  hash ^= end - start;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return hash ^ (hash >>> 16);
}

function mixWord(word: number): number {
  const k = Math.imul(word, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}
