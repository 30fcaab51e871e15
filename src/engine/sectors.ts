/** Writable-bytes value that marks a sector corrupt (no bytes may be written to it). */
const CORRUPT_SECTOR = 0xffff;

/**
 * Per-sector bookkeeping (pw_kvs's SectorDescriptor): the free bytes at the sector's tail and
 * the bytes of entries still valid. Both are 16-bit counters on the device; they wrap the same
 * way here so that damaged images are accounted exactly as pw_kvs accounts them.
 */
export class SectorDescriptor {
  readonly index: number;
  private tailFreeBytes: number;
  private validBytesCount = 0;

  /** `onWritableChange` is told whenever the writable count may have changed. */
  constructor(
    index: number,
    sectorSizeBytes: number,
    private readonly onWritableChange?: (sector: SectorDescriptor) => void,
  ) {
    this.index = index;
    this.tailFreeBytes = sectorSizeBytes;
  }

  /** Bytes that can still be appended; 0 for a corrupt sector. */
  get writableBytes(): number {
    return this.tailFreeBytes === CORRUPT_SECTOR ? 0 : this.tailFreeBytes;
  }

  set writableBytes(bytes: number) {
    this.tailFreeBytes = bytes & 0xffff;
    this.onWritableChange?.(this);
  }

  /** Bytes of valid (current) entries in the sector. */
  get validBytes(): number {
    return this.validBytesCount;
  }

  get isCorrupt(): boolean {
    return this.tailFreeBytes === CORRUPT_SECTOR;
  }

  markCorrupt(): void {
    this.tailFreeBytes = CORRUPT_SECTOR;
    this.onWritableChange?.(this);
  }

  addValidBytes(bytes: number): void {
    this.validBytesCount = (this.validBytesCount + bytes) & 0xffff;
  }

  removeValidBytes(bytes: number): void {
    this.validBytesCount = bytes > this.validBytesCount ? 0 : this.validBytesCount - bytes;
  }

  removeWritableBytes(bytes: number): void {
    const writable = this.writableBytes;
    this.tailFreeBytes = bytes > writable ? 0 : writable - bytes;
    this.onWritableChange?.(this);
  }

  hasSpace(bytes: number): boolean {
    return this.writableBytes >= bytes;
  }

  isEmpty(sectorSizeBytes: number): boolean {
    return this.writableBytes === sectorSizeBytes;
  }

  /**
   * Bytes garbage collection would reclaim. Computed as pw_kvs does, in unsigned arithmetic: a
   * sector whose counters overlap (possible only on damaged flash) reports a huge value.
   */
  recoverableBytes(sectorSizeBytes: number): number {
    const recoverable = sectorSizeBytes - this.validBytesCount - this.writableBytes;
    return recoverable < 0 ? recoverable + 2 ** 64 : recoverable;
  }
}

const NOTHING_TO_SKIP: SectorDescriptor[] = [];

/** Why a sector is being searched for: a new entry keeps one sector empty, GC need not. */
type FindMode = 'append' | 'garbageCollect';

/**
 * The sectors of the partition and the policies that choose among them: where a new entry
 * goes (rotating from the last sector that received a new empty-sector write, which levels
 * wear) and which sector garbage collection reclaims.
 */
export class Sectors {
  readonly sectorSizeBytes: number;
  readonly descriptors: SectorDescriptor[] = [];
  /** The sector most recently chosen as a fresh empty sector; searches start after it. */
  lastNew: SectorDescriptor;
  /**
   * Sectors that are partly written and can take more (neither empty, full, corrupt nor
   * inconsistent): the only candidates of an append's first tier. Kept up to date by the
   * descriptors, so an append need not visit every sector of a large partition.
   */
  private readonly partlyWritten = new Set<SectorDescriptor>();
  private readonly trackWritable = (sector: SectorDescriptor): void => {
    const writable = sector.writableBytes;
    if (writable > 0 && writable < this.sectorSizeBytes) this.partlyWritten.add(sector);
    else this.partlyWritten.delete(sector);
  };

  constructor(sectorCount: number, sectorSizeBytes: number) {
    this.sectorSizeBytes = sectorSizeBytes;
    for (let i = 0; i < sectorCount; i++) {
      this.descriptors.push(new SectorDescriptor(i, sectorSizeBytes, this.trackWritable));
    }
    this.lastNew = this.descriptors[0]!;
  }

  /** Every sector erased and unused; the rotation starts at sector 0. */
  reset(): void {
    this.partlyWritten.clear();
    for (let i = 0; i < this.descriptors.length; i++) {
      this.descriptors[i] = new SectorDescriptor(i, this.sectorSizeBytes, this.trackWritable);
    }
    this.lastNew = this.descriptors[0]!;
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
    this.lastNew = this.fromAddress(address);
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
    for (const sector of this.partlyWritten) {
      if (sector.writableBytes < sizeBytes) continue;
      const distance = (sector.index - start - 1 + 2 * count) % count;
      if (distance >= bestDistance) continue;
      if (reservedAddresses.some((address) => this.fromAddress(address) === sector)) continue;
      best = sector;
      bestDistance = distance;
    }
    return best ?? this.find('append', sizeBytes, [], reservedAddresses);
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
    return this.find('garbageCollect', sizeBytes, addressesToSkip, reservedAddresses);
  }

  private find(
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
        if (mode === 'append' || sector.recoverableBytes(sectorSize) === 0) return sector;
        // pw_kvs keeps the candidate with the MOST reclaimable bytes here (its comparison is
        // inverted relative to its comment); reproduced so relocations land where pw_kvs's do.
        if (
          fallback === undefined ||
          fallback.recoverableBytes(sectorSize) < sector.recoverableBytes(sectorSize)
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
      this.lastNew = firstEmpty;
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
      if (sector.validBytes === 0 && sector.recoverableBytes(sectorSize) > 0 && !skip.has(sector)) {
        return sector;
      }
    }

    let candidate: SectorDescriptor | undefined;
    let candidateBytes = 0;
    for (let i = 0; i < count; i++) {
      const sector = wearLeveled(i);
      const recoverable = sector.recoverableBytes(sectorSize);
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
}
