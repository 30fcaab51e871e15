import { keyToText } from '../bytes.js';
import { fingerprintRange } from '../engine/entry-cache.js';
import { type ChecksumName, createChecksum } from '../format/checksum.js';
import { DecodedEntry, decodeEntryAt, entryChecksumMatches } from '../format/entry-codec.js';
import {
  ENTRY_HEADER_SIZE,
  MIN_ALIGNMENT_BYTES,
  TOMBSTONE_VALUE_SIZE,
  readU32,
} from '../format/entry-header.js';
import { KvsError, hex } from '../status.js';
import type { ImageConfig } from './config.js';
import { firstUnerased } from './_probe.js';

/**
 * What an entry is to the store: the current value of its key (`live`), the current
 * tombstone of a deleted key (`tombstone`), an older entry garbage collection will drop
 * (`stale`), or bytes that fail their checksum or belong to no listed format (`corrupt`).
 */
export type ScannedEntryState = 'live' | 'tombstone' | 'stale' | 'corrupt';

/** One entry found in an image, in flash order. */
export interface ScannedEntry {
  /** Address in the image. */
  readonly address: number;
  readonly sector: number;
  /** Bytes on flash, padding included. */
  readonly sizeBytes: number;
  readonly magic: number;
  /** Index of its format in the config (0 = primary); -1 for a magic the config does not list. */
  readonly formatIndex: number;
  readonly transactionId: number;
  readonly key: Uint8Array;
  /** The key as text when it is printable UTF-8, else its hex with 0x. */
  readonly keyText: string;
  /** Value bytes; null for a tombstone. */
  readonly valueSizeBytes: number | null;
  readonly state: ScannedEntryState;
  /** Why a corrupt entry is corrupt. */
  readonly reason?: string;
}

/** What a run of bytes in a sector is. */
export type SpanKind = 'live' | 'stale' | 'corrupt' | 'free';

/** A run of bytes of one kind, as the sector map draws it. */
export interface SectorSpan {
  readonly address: number;
  readonly sizeBytes: number;
  readonly kind: SpanKind;
}

/** Bytes that hold no readable entry where one should be. */
export interface CorruptRegion {
  readonly sector: number;
  readonly address: number;
  readonly sizeBytes: number;
  readonly reason: string;
}

/** Space accounting of one sector. */
export interface SectorReport {
  readonly index: number;
  readonly address: number;
  /** Bytes of live entries and current tombstones (kept by garbage collection). */
  readonly liveBytes: number;
  /** Bytes of stale entries (reclaimed by garbage collection). */
  readonly staleBytes: number;
  /** Bytes of corrupt entries and regions. */
  readonly corruptBytes: number;
  /** Erased bytes after the last entry, where new entries go. */
  readonly freeBytes: number;
  readonly entryCount: number;
  /** The sector's bytes in order, by kind. */
  readonly spans: readonly SectorSpan[];
}

/**
 * The kind of every byte of `sector` when there is only one (a full or an erased sector), else
 * undefined: such a sector is drawn from its byte counts, without making its spans.
 */
export function soleKind(sector: SectorReport): SpanKind | undefined {
  const bytes: readonly (readonly [SpanKind, number])[] = [
    ['live', sector.liveBytes],
    ['stale', sector.staleBytes],
    ['corrupt', sector.corruptBytes],
    ['free', sector.freeBytes],
  ];
  let sole: SpanKind | undefined;
  for (const [kind, count] of bytes) {
    if (count === 0) continue;
    if (sole !== undefined) return undefined;
    sole = kind;
  }
  return sole;
}

/** Kinds of problem a scan reports. */
export type ImageProblemKind =
  | 'corrupt-data'
  | 'damaged-padding'
  | 'unknown-format'
  | 'missing-copies'
  | 'no-empty-sector'
  | 'too-many-keys';

/** Something pw_kvs would treat as an error (and repair, or refuse to write until repaired). */
export interface ImageProblem {
  readonly kind: ImageProblemKind;
  readonly message: string;
  readonly sector?: number;
  readonly address?: number;
}

/** A magic the config does not list, whose entries pass a checksum check. */
export interface UnknownFormat {
  readonly magic: number;
  readonly checksum: ChecksumName;
  readonly entryCount: number;
}

/** Everything a scan of an image found. */
export interface ImageScan {
  readonly config: ImageConfig;
  readonly sectors: readonly SectorReport[];
  /** Every entry, in flash order (made on first use: a client that only counts never pays). */
  readonly entries: readonly ScannedEntry[];
  /** How many entries are in each state (`entries.length` is their sum). */
  readonly entryCounts: Readonly<Record<ScannedEntryState, number>>;
  readonly corruptRegions: readonly CorruptRegion[];
  /** Keys with a current value. */
  readonly liveKeys: number;
  /** Keys whose current entry is a tombstone (the index still holds them). */
  readonly deletedKeys: number;
  /** Current entries written in a format other than the primary (maintenance migrates them). */
  readonly legacyEntries: number;
  readonly unknownFormats: readonly UnknownFormat[];
  readonly problems: readonly ImageProblem[];
}

const CHECKSUMS_TO_TRY: readonly ChecksumName[] = ['crc16', 'crc32'];

/**
 * Why an entry with non-zero padding is corrupt: its checksum passes over zero padding (a
 * read) but not over the padding as stored (pw_kvs's init).
 */
export const PADDING_REASON = 'fails its checksum as stored (padding)';

/** The key as text when printable UTF-8, else 0x-prefixed hex (see src/bytes.ts). */
export { keyToText };

/**
 * Walks every sector of `image` as pw_kvs's init does (entries back to back from the sector
 * start; past damaged bytes, 16-byte steps to the next known magic) and classifies every entry
 * and byte. Pure: reads `image` only. Throws INVALID_ARGUMENT when `image` is not exactly the
 * config's size. Every loop advances by at least 16 bytes, so the scan ends on any bytes.
 */
export function scanImage(image: Uint8Array, config: ImageConfig): ImageScan {
  const { sectorSizeBytes, sectorCount } = config;
  if (image.length !== sectorSizeBytes * sectorCount) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `image is ${image.length} B, not ${sectorCount} sectors of ${sectorSizeBytes} B`,
    );
  }
  const magics = new Map(config.formats.map((format, index) => [format.magic, index]));
  const log = new EntryLog();
  const corruptRegions: CorruptRegion[] = [];
  const unknown = new Map<number, { checksum: ChecksumName; entryCount: number }>();
  const freeStart: number[] = [];

  // One algorithm object per listed format, and the ones tried on unlisted magics.
  const algorithms = config.formats.map((format) => createChecksum(format.checksum));
  const tried = CHECKSUMS_TO_TRY.map((name) => ({ name, algorithm: createChecksum(name) }));
  // One decoded entry, reused: the log copies what it keeps.
  const entry = new DecodedEntry();

  for (let sector = 0; sector < sectorCount; sector++) {
    const start = sector * sectorSizeBytes;
    const end = start + sectorSizeBytes;
    let address = start;
    while (address < end) {
      const status = decodeEntryAt(image, address, end, entry);
      if (status === 'ERASED') break;
      const formatIndex = status === 'OK' ? (magics.get(entry.header.magic) ?? -1) : -1;
      let reason: string;
      if (formatIndex >= 0) {
        // As pw_kvs's init checks it: over the padding as it lies on flash.
        const algorithm = algorithms[formatIndex]!;
        if (entryChecksumMatches(image, address, entry.header, algorithm, 'as-stored')) {
          log.add(image, entry, sector, formatIndex);
          address += entry.sizeBytes;
          continue;
        }
        const checksum = config.formats[formatIndex]!.checksum;
        const key = keyToText(image.subarray(entry.keyOffset, entry.valueOffset));
        // Damaged padding: a read (verify-on-read counts the padding as zeros) still passes,
        // so the running device reads the entry, but init drops it at the next boot.
        if (entryChecksumMatches(image, address, entry.header, algorithm)) {
          log.add(image, entry, sector, formatIndex, PADDING_REASON);
          log.paddingDamaged.push(log.count - 1);
          reason = `entry of key ${key} ${PADDING_REASON}`;
        } else {
          log.add(image, entry, sector, formatIndex, `checksum does not match (${checksum})`);
          reason = `entry of key ${key} fails its checksum`;
        }
      } else {
        reason = magics.has(readU32(image, address))
          ? 'a damaged entry header'
          : 'no entry of a listed format';
        const { header } = entry;
        const checksum =
          status === 'OK'
            ? tried.find(({ algorithm }) => entryChecksumMatches(image, address, header, algorithm))
                ?.name
            : undefined;
        if (checksum !== undefined) {
          const seen = unknown.get(header.magic) ?? { checksum, entryCount: 0 };
          seen.entryCount++;
          unknown.set(header.magic, seen);
          reason = `an entry of unlisted magic ${hex(header.magic)} (${checksum})`;
        }
      }
      let next = address + MIN_ALIGNMENT_BYTES;
      while (next < end && !magics.has(readU32(image, next))) next += MIN_ALIGNMENT_BYTES;
      corruptRegions.push({ sector, address, sizeBytes: next - address, reason });
      address = next;
    }
    // After the last entry the sector must be erased: pw_kvs appends there.
    const dirty = address < end ? firstUnerased(image, address, end) : -1;
    if (dirty >= 0) {
      corruptRegions.push({
        sector,
        address,
        sizeBytes: end - address,
        reason: `bytes after the last entry are not erased (first at ${hex(dirty)})`,
      });
      freeStart.push(end);
    } else {
      freeStart.push(address);
    }
  }
  return classify(config, log, corruptRegions, freeStart, unknown);
}

// ---- The entry log: what the sector loop found, one column per field ----

/** Entries the log has room for before its first growth. */
const INITIAL_LOG_CAPACITY = 1024;

/**
 * The entries a scan found, in flash order, as typed arrays (one per field) and one buffer of
 * key bytes: 100 000 entries are a few MiB in a dozen objects, not several hundred thousand.
 * {@link ScannedEntry} objects are made from it only when asked for.
 */
class EntryLog {
  count = 0;
  address = new Float64Array(INITIAL_LOG_CAPACITY);
  sector = new Uint32Array(INITIAL_LOG_CAPACITY);
  sizeBytes = new Uint32Array(INITIAL_LOG_CAPACITY);
  magic = new Uint32Array(INITIAL_LOG_CAPACITY);
  formatIndex = new Int32Array(INITIAL_LOG_CAPACITY);
  transactionId = new Uint32Array(INITIAL_LOG_CAPACITY);
  valueSize = new Uint32Array(INITIAL_LOG_CAPACITY);
  keyStart = new Uint32Array(INITIAL_LOG_CAPACITY);
  keyLength = new Uint8Array(INITIAL_LOG_CAPACITY);
  /** The key bytes of every entry, back to back (copied: the scan never aliases the image). */
  keyBytes = new Uint8Array(INITIAL_LOG_CAPACITY * 16);
  keyBytesUsed = 0;
  /** Why each corrupt entry is corrupt, by index. */
  readonly reasons = new Map<number, string>();
  /** Indices of the corrupt entries that fail their checksum only in their padding. */
  readonly paddingDamaged: number[] = [];

  /** Appends the entry `probed` found in `sector`; with a `reason`, it is corrupt. */
  add(
    image: Uint8Array,
    probed: DecodedEntry,
    sector: number,
    formatIndex: number,
    reason?: string,
  ): void {
    if (this.count === this.address.length) this.grow();
    const i = this.count++;
    const { header } = probed;
    this.address[i] = probed.address;
    this.sector[i] = sector;
    this.sizeBytes[i] = probed.sizeBytes;
    this.magic[i] = header.magic;
    this.formatIndex[i] = formatIndex;
    this.transactionId[i] = header.transactionId;
    this.valueSize[i] = header.valueSize;
    const key = image.subarray(probed.keyOffset, probed.valueOffset);
    if (this.keyBytesUsed + key.length > this.keyBytes.length) {
      const bigger = new Uint8Array(
        Math.max(this.keyBytes.length * 2, this.keyBytesUsed + key.length),
      );
      bigger.set(this.keyBytes.subarray(0, this.keyBytesUsed));
      this.keyBytes = bigger;
    }
    this.keyBytes.set(key, this.keyBytesUsed);
    this.keyStart[i] = this.keyBytesUsed;
    this.keyLength[i] = key.length;
    this.keyBytesUsed += key.length;
    if (reason !== undefined) this.reasons.set(i, reason);
  }

  /** The key of entry `i`: a view of the log's own copy. */
  key(i: number): Uint8Array {
    const start = this.keyStart[i]!;
    return this.keyBytes.subarray(start, start + this.keyLength[i]!);
  }

  private grow(): void {
    const capacity = this.address.length * 2;
    const grown = <T extends Float64Array | Uint32Array | Int32Array | Uint8Array>(
      array: T,
      make: new (length: number) => T,
    ): T => {
      const bigger = new make(capacity);
      bigger.set(array);
      return bigger;
    };
    this.address = grown(this.address, Float64Array);
    this.sector = grown(this.sector, Uint32Array);
    this.sizeBytes = grown(this.sizeBytes, Uint32Array);
    this.magic = grown(this.magic, Uint32Array);
    this.formatIndex = grown(this.formatIndex, Int32Array);
    this.transactionId = grown(this.transactionId, Uint32Array);
    this.valueSize = grown(this.valueSize, Uint32Array);
    this.keyStart = grown(this.keyStart, Uint32Array);
    this.keyLength = grown(this.keyLength, Uint8Array);
  }
}

/**
 * Numbers each entry's key (0, 1, … in order of first appearance) by its bytes, with an
 * open-addressing hash table over the log's key buffer: no string and no object per key.
 * Returns the number of each entry and the count of distinct keys.
 */
function numberKeys(log: EntryLog): { keyOf: Int32Array; keyCount: number } {
  const { count, keyBytes, keyStart, keyLength } = log;
  const keyOf = new Int32Array(count);
  let size = 16;
  while (size < count * 2) size *= 2;
  const mask = size - 1;
  // Slot → first entry of its key, plus one (0: empty).
  const slots = new Int32Array(size);
  let keyCount = 0;
  for (let i = 0; i < count; i++) {
    const start = keyStart[i]!;
    const length = keyLength[i]!;
    let slot = fingerprintRange(keyBytes, start, start + length) & mask;
    for (;;) {
      const first = slots[slot]! - 1;
      if (first < 0) {
        slots[slot] = i + 1;
        keyOf[i] = keyCount++;
        break;
      }
      if (keyLength[first] === length) {
        const other = keyStart[first]!;
        let same = true;
        for (let b = 0; b < length; b++) {
          if (keyBytes[start + b] !== keyBytes[other + b]) {
            same = false;
            break;
          }
        }
        if (same) {
          keyOf[i] = keyOf[first]!;
          break;
        }
      }
      slot = (slot + 1) & mask;
    }
  }
  return { keyOf, keyCount };
}

/** The state of each log entry, as {@link ScannedEntryState} codes. */
const STATES: readonly ScannedEntryState[] = ['live', 'tombstone', 'stale', 'corrupt'];
const LIVE = 0;
const TOMBSTONE_STATE = 1;
const STALE = 2;
const CORRUPT = 3;

function classify(
  config: ImageConfig,
  log: EntryLog,
  corruptRegions: readonly CorruptRegion[],
  freeStart: readonly number[],
  unknown: ReadonlyMap<number, { checksum: ChecksumName; entryCount: number }>,
): ImageScan {
  const { count } = log;
  // Corrupt entries by index (the reasons map is sparse; a flag per entry is a cheap test).
  const isCorrupt = new Uint8Array(count);
  for (const i of log.reasons.keys()) isCorrupt[i] = 1;
  // Per-key facts live in typed arrays indexed by the key's number.
  const { keyOf, keyCount } = numberKeys(log);

  // The newest transaction of each key decides which of its entries are current (-1: none).
  const newest = new Float64Array(keyCount).fill(-1);
  for (let i = 0; i < count; i++) {
    if (isCorrupt[i] === 1) continue;
    const number = keyOf[i]!;
    const transactionId = log.transactionId[i]!;
    if (newest[number]! < transactionId) newest[number] = transactionId;
  }

  const copies = new Uint32Array(keyCount);
  const states = new Uint8Array(count);
  let legacyEntries = 0;
  for (let i = 0; i < count; i++) {
    if (isCorrupt[i] === 1) {
      states[i] = CORRUPT;
      continue;
    }
    const number = keyOf[i]!;
    if (newest[number] === log.transactionId[i]) {
      states[i] = log.valueSize[i] === TOMBSTONE_VALUE_SIZE ? TOMBSTONE_STATE : LIVE;
      copies[number]!++;
      if (log.formatIndex[i]! > 0) legacyEntries++;
    } else {
      states[i] = STALE;
    }
  }

  const sectors = sectorReports(config, log, states, corruptRegions, freeStart);
  const problems: ImageProblem[] = corruptRegions.map((region) => ({
    kind: 'corrupt-data',
    message: `sector ${region.sector}: ${region.sizeBytes} B at ${hex(region.address)}: ${region.reason}`,
    sector: region.sector,
    address: region.address,
  }));
  for (const [magic, format] of unknown) {
    problems.push({
      kind: 'unknown-format',
      message: `${format.entryCount} ${format.entryCount === 1 ? 'entry' : 'entries'} of magic ${hex(magic)} (${format.checksum}) that the config does not list: pw_kvs would treat them as corruption and erase them (pass --magic ${hex(magic)}, or --detect)`,
    });
  }
  // One pass over the current entries, in flash order: each key is counted (live or deleted)
  // and, when short of copies, reported once, at its first current entry.
  const seen = new Uint8Array(keyCount);
  const stateCounts = [0, 0, 0, 0];
  let liveKeys = 0;
  let deletedKeys = 0;
  for (let i = 0; i < count; i++) {
    const state = states[i]!;
    stateCounts[state]!++;
    if (state !== LIVE && state !== TOMBSTONE_STATE) continue;
    const number = keyOf[i]!;
    if (seen[number] === 1) continue;
    seen[number] = 1;
    if (state === LIVE) liveKeys++;
    else deletedKeys++;
    const copiesFound = copies[number]!;
    if (copiesFound < config.redundancy) {
      problems.push({
        kind: 'missing-copies',
        message: `key ${keyToText(log.key(i))}: ${copiesFound} of ${config.redundancy} copies`,
        sector: log.sector[i]!,
        address: log.address[i]!,
      });
    }
  }
  problems.push(...paddingProblems(log, keyOf, newest, states));
  if (!sectors.some((sector) => sector.freeBytes === config.sectorSizeBytes)) {
    problems.push({
      kind: 'no-empty-sector',
      message: 'no sector is empty: garbage collection needs one (maintenance makes one)',
    });
  }
  if (liveKeys + deletedKeys > config.maxEntries) {
    problems.push({
      kind: 'too-many-keys',
      message: `${liveKeys + deletedKeys} keys (${deletedKeys} deleted) are more than max_entries ${config.maxEntries}: pw_kvs would drop the surplus`,
    });
  }
  // Entry objects only when a client asks for them (ls, export and check never do).
  let entries: ScannedEntry[] | undefined;
  return {
    config,
    sectors,
    get entries(): readonly ScannedEntry[] {
      return (entries ??= scannedEntries(log, states));
    },
    entryCounts: {
      live: stateCounts[LIVE]!,
      tombstone: stateCounts[TOMBSTONE_STATE]!,
      stale: stateCounts[STALE]!,
      corrupt: stateCounts[CORRUPT]!,
    },
    corruptRegions,
    liveKeys,
    deletedKeys,
    legacyEntries,
    unknownFormats: [...unknown].map(([magic, format]) => ({ magic, ...format })),
    problems,
  };
}

/**
 * What each entry with damaged padding costs its key at the next boot, when it costs anything:
 * it is the key's newest entry, which a running device reads (verify-on-read counts padding as
 * zeros) but pw_kvs's init drops (it checks the padding as stored), so the key is lost or goes
 * back to an older entry. `newest` is each key's newest intact transaction (-1: none).
 */
function paddingProblems(
  log: EntryLog,
  keyOf: Int32Array,
  newest: Float64Array,
  states: Uint8Array,
): ImageProblem[] {
  if (log.paddingDamaged.length === 0) return [];
  // The state of each key's current intact entry (live or tombstone), by key number.
  const current = new Map<number, number>();
  for (let i = 0; i < log.count; i++) {
    if (states[i] === LIVE || states[i] === TOMBSTONE_STATE) current.set(keyOf[i]!, states[i]!);
  }
  const problems: ImageProblem[] = [];
  for (const i of log.paddingDamaged) {
    const number = keyOf[i]!;
    // An intact entry as new or newer (another copy, or a later write) keeps the key as it is.
    if (newest[number]! >= log.transactionId[i]!) continue;
    const isTombstone = log.valueSize[i] === TOMBSTONE_VALUE_SIZE;
    const older = current.get(number);
    // A deleted key without an older entry stays gone: nothing changes at the boot.
    if (isTombstone && older !== LIVE) continue;
    const key = keyToText(log.key(i));
    const at = `at ${hex(log.address[i]!)} (sector ${log.sector[i]!})`;
    const effect = isTombstone
      ? `deleted key ${key} will come back with an older value at the next boot: its tombstone ${at}`
      : older === LIVE
        ? `key ${key} will go back to an older value at the next boot: its newest entry ${at}`
        : `key ${key} will be lost at the next boot: its entry ${at}`;
    problems.push({
      kind: 'damaged-padding',
      message: `${effect} ${PADDING_REASON}; a running device still reads it, but pw_kvs's init drops it`,
      sector: log.sector[i]!,
      address: log.address[i]!,
    });
  }
  return problems;
}

/** The log's entries as objects, in flash order. */
function scannedEntries(log: EntryLog, states: Uint8Array): ScannedEntry[] {
  const entries = new Array<ScannedEntry>(log.count);
  for (let i = 0; i < log.count; i++) entries[i] = scannedEntry(log, states, i);
  return entries;
}

function scannedEntry(log: EntryLog, states: Uint8Array, i: number): ScannedEntry {
  const valueSize = log.valueSize[i]!;
  const key = log.key(i);
  // A plain literal (no spread): 100 000 entries build in a few milliseconds. Only the few
  // corrupt entries get a reason added.
  const entry: { -readonly [field in keyof ScannedEntry]: ScannedEntry[field] } = {
    address: log.address[i]!,
    sector: log.sector[i]!,
    sizeBytes: log.sizeBytes[i]!,
    magic: log.magic[i]!,
    formatIndex: log.formatIndex[i]!,
    transactionId: log.transactionId[i]!,
    key,
    keyText: keyToText(key),
    valueSizeBytes: valueSize === TOMBSTONE_VALUE_SIZE ? null : valueSize,
    state: STATES[states[i]!]!,
  };
  const reason = log.reasons.get(i);
  if (reason !== undefined) entry.reason = reason;
  return entry;
}

function sectorReports(
  config: ImageConfig,
  log: EntryLog,
  states: Uint8Array,
  corruptRegions: readonly CorruptRegion[],
  freeStart: readonly number[],
): SectorReport[] {
  const { sectorSizeBytes } = config;
  // Entries and regions come in flash order: one cursor each walks them sector by sector.
  // Byte counts are summed here; the spans are made when a client reads them.
  const reports: SectorReport[] = new Array<SectorReport>(freeStart.length);
  let nextEntry = 0;
  let nextRegion = 0;
  for (let index = 0; index < freeStart.length; index++) {
    const address = index * sectorSizeBytes;
    const end = address + sectorSizeBytes;
    const firstEntry = nextEntry;
    const firstRegion = nextRegion;
    let liveBytes = 0;
    let staleBytes = 0;
    let corruptBytes = 0;
    while (nextEntry < log.count && log.sector[nextEntry] === index) {
      const state = states[nextEntry]!;
      if (state === STALE) staleBytes += log.sizeBytes[nextEntry]!;
      else if (state !== CORRUPT) liveBytes += log.sizeBytes[nextEntry]!;
      nextEntry++;
    }
    while (nextRegion < corruptRegions.length && corruptRegions[nextRegion]!.sector === index) {
      corruptBytes += corruptRegions[nextRegion++]!.sizeBytes;
    }
    const free = freeStart[index]!;
    const freeBytes = free < end ? end - free : 0;
    const lastEntry = nextEntry;
    const lastRegion = nextRegion;
    let spans: SectorSpan[] | undefined;
    reports[index] = {
      index,
      address,
      liveBytes,
      staleBytes,
      corruptBytes,
      freeBytes,
      entryCount: lastEntry - firstEntry,
      get spans(): readonly SectorSpan[] {
        return (spans ??= sectorSpans(
          log,
          states,
          corruptRegions,
          [firstEntry, lastEntry, firstRegion, lastRegion],
          free,
          freeBytes,
        ));
      },
    };
  }
  return reports;
}

/**
 * One sector's spans in address order: its entries `[firstEntry, lastEntry)` of the log (not
 * the corrupt ones, which its corrupt regions cover) merged with its regions
 * `[firstRegion, lastRegion)`, then the free bytes from `free`.
 */
function sectorSpans(
  log: EntryLog,
  states: Uint8Array,
  corruptRegions: readonly CorruptRegion[],
  [firstEntry, lastEntry, firstRegion, lastRegion]: readonly [number, number, number, number],
  free: number,
  freeBytes: number,
): SectorSpan[] {
  const spans: SectorSpan[] = [];
  let region = firstRegion;
  for (let i = firstEntry; i < lastEntry; i++) {
    const state = states[i]!;
    if (state === CORRUPT) continue;
    const address = log.address[i]!;
    while (region < lastRegion && corruptRegions[region]!.address < address) {
      const { address: at, sizeBytes } = corruptRegions[region++]!;
      spans.push({ address: at, sizeBytes, kind: 'corrupt' });
    }
    spans.push({ address, sizeBytes: log.sizeBytes[i]!, kind: state === STALE ? 'stale' : 'live' });
  }
  for (; region < lastRegion; region++) {
    const { address, sizeBytes } = corruptRegions[region]!;
    spans.push({ address, sizeBytes, kind: 'corrupt' });
  }
  if (freeBytes > 0) spans.push({ address: free, sizeBytes: freeBytes, kind: 'free' });
  return spans;
}

/**
 * The value a running device still reads for `key` when the key's newest entry has damaged
 * padding and pw_kvs's init will drop it at the next boot (a `damaged-padding` problem); else
 * undefined (also for a tombstone). `image` is the bytes `scan` was made of.
 */
export function valueBeforeBoot(
  image: Uint8Array,
  scan: ImageScan,
  key: Uint8Array,
): Uint8Array | undefined {
  const addresses = new Set(
    scan.problems
      .filter((problem) => problem.kind === 'damaged-padding')
      .map((problem) => problem.address),
  );
  if (addresses.size === 0) return undefined;
  const entry = scan.entries.find(
    (found) => addresses.has(found.address) && equalBytes(found.key, key),
  );
  if (entry === undefined || entry.valueSizeBytes === null) return undefined;
  const start = entry.address + ENTRY_HEADER_SIZE + entry.key.length;
  return image.slice(start, start + entry.valueSizeBytes);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
