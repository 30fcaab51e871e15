import { assert } from './_assert.js';

/** Writable-bytes value that marks a sector corrupt (no bytes may be written to it). */
const CORRUPT_SECTOR = 0xffff;

/** Told when a sector's writable count may have changed. */
export interface WritableListener {
  writableChanged(sector: SectorDescriptor): void;
}

/**
 * Per-sector bookkeeping (pw_kvs's SectorDescriptor): the free bytes at the sector's tail and
 * the bytes of entries still valid. Both are 16-bit counters on the device; they wrap the same
 * way here so that damaged images are accounted exactly as pw_kvs accounts them.
 */
export class SectorDescriptor {
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly index: number;
  #tailFreeBytes: number;
  #validBytesCount = 0;

  readonly #listener: WritableListener | undefined;

  /** `listener` is told whenever the writable count may have changed. */
  constructor(index: number, sectorSizeBytes: number, listener?: WritableListener) {
    this.index = index;
    this.#tailFreeBytes = sectorSizeBytes;
    this.#listener = listener;
  }

  /** Bytes that can still be appended; 0 for a corrupt sector. */
  get writableBytes(): number {
    return this.#tailFreeBytes === CORRUPT_SECTOR ? 0 : this.#tailFreeBytes;
  }

  set writableBytes(bytes: number) {
    this.#tailFreeBytes = bytes & 0xffff;
    this.#listener?.writableChanged(this);
  }

  /** Bytes of valid (current) entries in the sector. */
  get validBytes(): number {
    return this.#validBytesCount;
  }

  get isCorrupt(): boolean {
    return this.#tailFreeBytes === CORRUPT_SECTOR;
  }

  markCorrupt(): void {
    this.#tailFreeBytes = CORRUPT_SECTOR;
    this.#listener?.writableChanged(this);
  }

  addValidBytes(bytes: number): void {
    this.#validBytesCount = (this.#validBytesCount + bytes) & 0xffff;
  }

  removeValidBytes(bytes: number): void {
    this.#validBytesCount = bytes > this.#validBytesCount ? 0 : this.#validBytesCount - bytes;
  }

  removeWritableBytes(bytes: number): void {
    const writable = this.writableBytes;
    this.#tailFreeBytes = bytes > writable ? 0 : writable - bytes;
    this.#listener?.writableChanged(this);
  }

  isEmpty(sectorSizeBytes: number): boolean {
    return this.writableBytes === sectorSizeBytes;
  }

  /**
   * Bytes garbage collection would reclaim, exactly as pw_kvs computes them: a `size_t`
   * difference of the sector size and the two counters, so a sector whose counters overlap
   * (possible only on damaged flash) reports a value that wrapped modulo 2^64.
   */
  recoverableBytes(sectorSizeBytes: number): bigint {
    return BigInt.asUintN(64, BigInt(this.signedRecoverableBytes(sectorSizeBytes)));
  }

  /** True if garbage collection would reclaim anything (the u64 value is not 0). */
  hasRecoverableBytes(sectorSizeBytes: number): boolean {
    return this.signedRecoverableBytes(sectorSizeBytes) !== 0;
  }

  /**
   * A number that orders sectors exactly as their u64 {@link recoverableBytes} do, for
   * comparisons on the hot paths. The signed difference lies in (-2^17, 2^16), so a wrapped
   * (negative) one moved above 2^32 stays above every unwrapped one and exact.
   */
  recoverableBytesOrder(sectorSizeBytes: number): number {
    const recoverable = this.signedRecoverableBytes(sectorSizeBytes);
    return recoverable < 0 ? recoverable + 2 ** 32 : recoverable;
  }

  /** Sector size minus both counters, before pw_kvs's unsigned wrap. */
  signedRecoverableBytes(sectorSizeBytes: number): number {
    return sectorSizeBytes - this.#validBytesCount - this.writableBytes;
  }
}

/** Space accounting over every sector, as pw_kvs's GetStorageStats sums it. */
export interface SectorSpace {
  /** Writable bytes of every sector but the first empty one (kept for garbage collection). */
  readonly writableBytes: number;
  /** Valid bytes of every sector. */
  readonly inUseBytes: number;
  /** Recoverable bytes of every sector, summed as u64 values modulo 2^64. */
  readonly reclaimableBytes: bigint;
}

const NOTHING_TO_SKIP: SectorDescriptor[] = [];

/** Why a sector is being searched for: a new entry keeps one sector empty, GC need not. */
type FindMode = 'append' | 'garbageCollect';

/**
 * The sectors of the partition and the policies that choose among them: where a new entry
 * goes (rotating from the last sector that received a new empty-sector write, which levels
 * wear) and which sector garbage collection reclaims.
 */
export class Sectors implements WritableListener {
  // `declare` fields are set in the constructor: no field definitions are emitted.
  declare readonly sectorSizeBytes: number;
  declare readonly sectorCount: number;
  /**
   * One descriptor per sector once {@link reset} ran (init does), none before: a store that
   * was never initialized accounts no space, as pw_kvs's empty sector vector does.
   */
  readonly descriptors: SectorDescriptor[] = [];
  #lastNewSector: SectorDescriptor | undefined;
  /**
   * Sectors that are partly written and can take more (neither empty, full, corrupt nor
   * inconsistent): the only candidates of an append's first tier. Kept up to date by the
   * descriptors, so an append need not visit every sector of a large partition.
   */
  readonly #partlyWritten = new Set<SectorDescriptor>();

  constructor(sectorCount: number, sectorSizeBytes: number) {
    this.sectorSizeBytes = sectorSizeBytes;
    this.sectorCount = sectorCount;
  }

  /**
   * Keeps the partly written set up to date; every descriptor reports here. A method, not a
   * closure made per instance, so the descriptors' calls to it have one target in every store
   * (a new target per store would throw away the optimized code that calls it).
   */
  writableChanged(sector: SectorDescriptor): void {
    const writable = sector.writableBytes;
    if (writable > 0 && writable < this.sectorSizeBytes) this.#partlyWritten.add(sector);
    else this.#partlyWritten.delete(sector);
  }

  /** Every sector erased and unused; the rotation starts at sector 0. */
  reset(): void {
    this.#partlyWritten.clear();
    for (let i = 0; i < this.sectorCount; i++) {
      this.descriptors[i] = new SectorDescriptor(i, this.sectorSizeBytes, this);
    }
    this.#lastNewSector = this.descriptors[0];
  }

  /** The sector most recently chosen as a fresh empty sector; searches start after it. */
  get lastNew(): SectorDescriptor {
    assert(this.#lastNewSector !== undefined, 'sectors used before reset()');
    return this.#lastNewSector;
  }

  get size(): number {
    return this.descriptors.length;
  }

  fromAddress(address: number): SectorDescriptor {
    return this.descriptors[Math.floor(address / this.sectorSizeBytes)]!;
  }

  baseAddress(sector: SectorDescriptor): number {
    return sector.index * this.sectorSizeBytes;
  }

  isAddressInSector(sector: SectorDescriptor, address: number): boolean {
    const base = this.baseAddress(sector);
    return address >= base && address < base + this.sectorSizeBytes;
  }

  nextWritableAddress(sector: SectorDescriptor): number {
    return this.baseAddress(sector) + this.sectorSizeBytes - sector.writableBytes;
  }

  setLastNewSector(address: number): void {
    this.#lastNewSector = this.fromAddress(address);
  }

  /**
   * A sector with room for a new entry of `sizeBytes`, avoiding the sectors of
   * `reservedAddresses`. Keeps at least one sector empty. Undefined if none has room.
   */
  findSpace(sizeBytes: number, reservedAddresses: readonly number[]): SectorDescriptor | undefined {
    // The first tier picks the first partly written sector with room in rotation order; only
    // when there is none does the full search (for an empty sector) run.
    let best: SectorDescriptor | undefined;
    let bestDistance = Infinity;
    const count = this.descriptors.length;
    const start = this.lastNew.index;
    for (const sector of this.#partlyWritten) {
      if (sector.writableBytes < sizeBytes) continue;
      const distance = (sector.index - start - 1 + 2 * count) % count;
      if (distance >= bestDistance) continue;
      if (this.#holdsAny(sector, reservedAddresses)) continue;
      best = sector;
      bestDistance = distance;
    }
    return best ?? this.#find('append', sizeBytes, [], reservedAddresses);
  }

  /** True if one of `addresses` lies in `sector`. */
  #holdsAny(sector: SectorDescriptor, addresses: readonly number[]): boolean {
    for (let i = 0; i < addresses.length; i++) {
      if (this.fromAddress(addresses[i]!) === sector) return true;
    }
    return false;
  }

  /**
   * A sector to relocate an entry of `sizeBytes` into during garbage collection, avoiding the
   * sectors of the key's other copies and of reserved addresses; may use the empty sector.
   */
  findSpaceDuringGarbageCollection(
    sizeBytes: number,
    addressesToSkip: readonly number[],
    reservedAddresses: readonly number[],
  ): SectorDescriptor | undefined {
    return this.#find('garbageCollect', sizeBytes, addressesToSkip, reservedAddresses);
  }

  #find(
    mode: FindMode,
    sizeBytes: number,
    addressesToSkip: readonly number[],
    reservedAddresses: readonly number[],
  ): SectorDescriptor | undefined {
    // At most 2 × redundancy - 1 sectors to avoid: a small array beats a set here.
    const skip: SectorDescriptor[] =
      addressesToSkip.length + reservedAddresses.length === 0 ? NOTHING_TO_SKIP : [];
    for (const address of addressesToSkip) skip.push(this.fromAddress(address));
    for (const address of reservedAddresses) skip.push(this.fromAddress(address));

    let firstEmpty: SectorDescriptor | undefined;
    let atLeastTwoEmpty = mode === 'garbageCollect';
    let fallback: SectorDescriptor | undefined;
    const sectorSize = this.sectorSizeBytes;
    const descriptors = this.descriptors;
    const count = descriptors.length;

    // Tier 1: a partly written sector with room (during GC, one with nothing to reclaim).
    // Searching starts after the last new sector so writes rotate through the partition.
    let position = this.lastNew.index;
    for (let i = 0; i < count; i++) {
      position = position + 1 === count ? 0 : position + 1;
      const sector = descriptors[position]!;
      if (skip.length !== 0 && skip.includes(sector)) continue;

      const writable = sector.writableBytes;
      const isEmpty = writable === sectorSize;
      // A sector whose writable count exceeds its size was accounted from a damaged entry
      // that runs past the sector's end; pw_kvs would write before the partition start.
      if (!isEmpty && writable >= sizeBytes && writable <= sectorSize) {
        if (mode === 'append' || !sector.hasRecoverableBytes(sectorSize)) return sector;
        // pw_kvs keeps the candidate with the MOST reclaimable bytes here (its comparison is
        // inverted relative to its comment); reproduced so relocations land where pw_kvs's do.
        if (
          fallback === undefined ||
          fallback.recoverableBytesOrder(sectorSize) < sector.recoverableBytesOrder(sectorSize)
        ) {
          fallback = sector;
        }
      }
      if (isEmpty) {
        if (firstEmpty === undefined) firstEmpty = sector;
        else atLeastTwoEmpty = true;
      }
    }

    // Tier 2: an empty sector, as long as another stays empty (not required during GC).
    if (firstEmpty !== undefined && atLeastTwoEmpty) {
      this.#lastNewSector = firstEmpty;
      return firstEmpty;
    }
    // Tier 3 (GC only): a partly written sector that still has reclaimable bytes.
    return fallback;
  }

  /**
   * The sector garbage collection should reclaim, avoiding `reservedAddresses`' sectors:
   * first a sector with only stale data (in rotation order), else the one with the most
   * reclaimable bytes, else the one with the most valid bytes. Undefined if none qualifies.
   */
  findSectorToGarbageCollect(reservedAddresses: readonly number[]): SectorDescriptor | undefined {
    const sectorSize = this.sectorSizeBytes;
    const skip = new Set<SectorDescriptor>();
    for (const address of reservedAddresses) skip.add(this.fromAddress(address));
    const count = this.descriptors.length;
    const start = this.lastNew.index + 1;
    const wearLeveled = (i: number): SectorDescriptor => this.descriptors[(start + i) % count]!;

    for (let i = 0; i < count; i++) {
      const sector = wearLeveled(i);
      if (sector.validBytes === 0 && sector.hasRecoverableBytes(sectorSize) && !skip.has(sector)) {
        return sector;
      }
    }

    let candidate: SectorDescriptor | undefined;
    let candidateBytes = 0;
    for (let i = 0; i < count; i++) {
      const sector = wearLeveled(i);
      const recoverable = sector.recoverableBytesOrder(sectorSize);
      if (recoverable > candidateBytes && !skip.has(sector)) {
        candidate = sector;
        candidateBytes = recoverable;
      }
    }
    if (candidate !== undefined) return candidate;

    for (let i = 0; i < count; i++) {
      const sector = wearLeveled(i);
      if (sector.validBytes > candidateBytes && !skip.has(sector)) {
        candidate = sector;
        candidateBytes = sector.validBytes;
      }
    }
    return candidate;
  }

  /**
   * Power-loss hardening's victims, for when repair needs an empty sector and the sector
   * {@link findSectorToGarbageCollect} chose cannot be moved (a cut during garbage collection
   * can leave no sector empty and that sector's entries with nowhere to go): every sector
   * that is not empty, most reclaimable bytes first (ties in sector order).
   */
  hardeningVictims(): SectorDescriptor[] {
    const sectorSize = this.sectorSizeBytes;
    return this.descriptors
      .filter((sector) => !sector.isEmpty(sectorSize))
      .sort((a, b) => b.recoverableBytesOrder(sectorSize) - a.recoverableBytesOrder(sectorSize));
  }

  /**
   * The sectors full maintenance collects, in rotation order from the one after
   * `cursor.position`: those with reclaimable bytes and, unless `force`, no valid bytes.
   * Each sector is judged when it is reached (collecting one changes the others), and
   * `cursor` follows, so a pass that stops early leaves the next one where it stopped.
   */
  *maintenanceVictims(cursor: { position: number }, force: boolean): Generator<SectorDescriptor> {
    const sectorSize = this.sectorSizeBytes;
    const count = this.descriptors.length;
    for (let i = 0; i < count; i++) {
      cursor.position = cursor.position + 1 === count ? 0 : cursor.position + 1;
      const sector = this.descriptors[cursor.position]!;
      if (sector.hasRecoverableBytes(sectorSize) && (force || sector.validBytes === 0)) {
        yield sector;
      }
    }
  }

  /** Space accounting over every sector (zero before the first {@link reset}). */
  space(): SectorSpace {
    const sectorSize = this.sectorSizeBytes;
    let writableBytes = 0;
    let inUseBytes = 0;
    // Each signed difference is exact; their sum wraps to pw_kvs's u64 sum once, at the end.
    let reclaimable = 0;
    let foundEmpty = false;
    for (const sector of this.descriptors) {
      inUseBytes += sector.validBytes;
      reclaimable += sector.signedRecoverableBytes(sectorSize);
      if (!foundEmpty && sector.isEmpty(sectorSize)) {
        // The first empty sector is reserved for garbage collection: not writable space.
        foundEmpty = true;
        continue;
      }
      writableBytes += sector.writableBytes;
    }
    return { writableBytes, inUseBytes, reclaimableBytes: BigInt.asUintN(64, BigInt(reclaimable)) };
  }
}
