import type { FlashPartition } from '../flash/flash-partition.js';
import {
  DEFAULT_MAGIC,
  type EntryFormat,
  type EntryFormatSpec,
  EntryFormats,
  entryFormat,
} from '../format/entry-format.js';
import type { KeyHashChar } from '../format/hash.js';
import { KvsError, checkInteger } from '../status.js';

export type { KeyHashChar } from '../format/hash.js';

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

/** What init does when the flash holds more keys than `maxEntries`. */
export type SurplusKeys = 'refuse' | 'treatAsCorrupt';

/**
 * Options of a store. Every field has pw_kvs's default except `powerLossHardening` (on) and the
 * flashkv extensions (`surplusKeys`, `readStrategy`).
 */
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
  surplusKeys?: SurplusKeys;
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
   * Survive power cuts that leave pw_kvs stuck. With true, before the first write into a
   * sector it believes empty the store checks that the sector really is erased (a cut erase
   * can leave old bytes behind an erased first header; pw_kvs then fails writes there with
   * UNKNOWN) and erases it if not; and when repair needs an empty sector and the sector
   * pw_kvs would collect cannot be moved, it tries the others. Neither changes a byte on flash
   * that was never cut or damaged; the check costs one read of each sector before its first
   * write. Defaults to true. False is pw_kvs's behaviour exactly, also on damaged flash: the
   * scenario runner and the image tools pass false.
   */
  powerLossHardening?: boolean;
  /**
   * Whether pw_kvs's key hash reads key bytes as signed or unsigned `char`: the hash of a key
   * with a byte ≥ 0x80 differs. `char` is signed on x86 and unsigned on ARM (most Cortex-M
   * firmware), so an image written on a device needs the device's choice; on a key of ASCII
   * bytes both agree. Defaults to `signed`.
   */
  keyHashChar?: KeyHashChar;
}

/** Every option with its default filled in and its range checked. */
export interface ResolvedOptions {
  readonly formats: EntryFormats;
  readonly maxEntries: number;
  readonly maxSectors: number;
  readonly redundancy: number;
  readonly gcOnWrite: GcOnWrite;
  readonly recovery: Recovery;
  readonly verifyOnRead: boolean;
  readonly verifyOnWrite: boolean;
  readonly surplusKeys: SurplusKeys;
  readonly readStrategy: ReadStrategy;
  readonly powerLossHardening: boolean;
  readonly keyHashChar: KeyHashChar;
}

const MAX_REDUNDANCY = 8;
const MAX_ENTRIES_LIMIT = 1_000_000;

function invalid(message: string): never {
  throw new KvsError('INVALID_ARGUMENT', message);
}

function enumOption<T extends string>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    invalid(`${name} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value;
}

function booleanOption(name: string, value: boolean): boolean {
  if (typeof value !== 'boolean') invalid(`${name} must be true or false, got ${String(value)}`);
  return value;
}

function toFormat(spec: EntryFormat | EntryFormatSpec): EntryFormat {
  return 'checksum' in spec && typeof spec.checksum === 'object'
    ? (spec as EntryFormat)
    : entryFormat(spec as EntryFormatSpec);
}

/**
 * Fills in the defaults of `options` for a store on `partition` and checks every range.
 * Throws INVALID_ARGUMENT naming the first option that is out of range.
 */
export function resolveOptions(
  partition: FlashPartition,
  options: KeyValueStoreOptions,
): ResolvedOptions {
  const specs = options.formats ?? [{ magic: DEFAULT_MAGIC, checksum: 'crc16' }];
  return {
    formats: new EntryFormats(specs.map(toFormat)),
    redundancy: checkInteger('redundancy', options.redundancy ?? 1, 1, MAX_REDUNDANCY),
    maxEntries: checkInteger('maxEntries', options.maxEntries ?? 256, 1, MAX_ENTRIES_LIMIT),
    maxSectors: checkInteger('maxSectors', options.maxSectors ?? partition.sectorCount, 1),
    gcOnWrite: enumOption('gcOnWrite', options.gcOnWrite ?? 'asManySectorsNeeded', [
      'asManySectorsNeeded',
      'oneSector',
      'disabled',
    ]),
    recovery: enumOption('recovery', options.recovery ?? 'lazy', ['immediate', 'lazy', 'manual']),
    verifyOnRead: booleanOption('verifyOnRead', options.verifyOnRead ?? true),
    verifyOnWrite: booleanOption('verifyOnWrite', options.verifyOnWrite ?? true),
    surplusKeys: enumOption('surplusKeys', options.surplusKeys ?? 'refuse', [
      'refuse',
      'treatAsCorrupt',
    ]),
    readStrategy: enumOption('readStrategy', options.readStrategy ?? 'trusted', [
      'coalesced',
      'pwKvs',
      'trusted',
    ]),
    powerLossHardening: booleanOption('powerLossHardening', options.powerLossHardening ?? true),
    keyHashChar: enumOption('keyHashChar', options.keyHashChar ?? 'signed', ['signed', 'unsigned']),
  };
}
