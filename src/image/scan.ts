import type { ChecksumName } from '../format/checksum.js';
import { MIN_ALIGNMENT_BYTES, TOMBSTONE_VALUE_SIZE, readU32 } from '../format/entry-header.js';
import { KvsError, hex } from '../status.js';
import { utf8Decode } from '../utf8.js';
import type { ImageConfig } from './config.js';
import {
  type ProbedEntry,
  firstUnerased,
  isChecksumValid,
  isErasedWord,
  probeEntry,
  probedKey,
} from './_probe.js';

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

/** Kinds of problem a scan reports. */
export type ImageProblemKind =
  'corrupt-data' | 'unknown-format' | 'missing-copies' | 'no-empty-sector' | 'too-many-keys';

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
  /** Every entry, in flash order. */
  readonly entries: readonly ScannedEntry[];
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

interface RawEntry {
  readonly probed: ProbedEntry;
  readonly sector: number;
  readonly formatIndex: number;
  readonly key: Uint8Array;
  readonly reason?: string;
}

const CHECKSUMS_TO_TRY: readonly ChecksumName[] = ['crc16', 'crc32'];

/** The key as text when printable UTF-8, else 0x-prefixed hex. */
export function keyToText(key: Uint8Array): string {
  const text = utf8Decode(key, true);
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && text.length > 0 && !/[\u0000-\u001f\u007f]/.test(text)) return text;
  return `0x${Array.from(key, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

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
  const raw: RawEntry[] = [];
  const corruptRegions: CorruptRegion[] = [];
  const unknown = new Map<number, { checksum: ChecksumName; entryCount: number }>();
  const freeStart: number[] = [];

  for (let sector = 0; sector < sectorCount; sector++) {
    const start = sector * sectorSizeBytes;
    const end = start + sectorSizeBytes;
    let address = start;
    while (address < end) {
      if (isErasedWord(image, address)) break;
      const probed = probeEntry(image, address, end);
      const formatIndex = probed === null ? -1 : (magics.get(probed.header.magic) ?? -1);
      if (probed !== null && formatIndex >= 0) {
        const checksum = config.formats[formatIndex]!.checksum;
        if (isChecksumValid(image, probed, checksum)) {
          raw.push({ probed, sector, formatIndex, key: probedKey(image, probed).slice() });
          address += probed.sizeBytes;
          continue;
        }
        raw.push({
          probed,
          sector,
          formatIndex,
          key: probedKey(image, probed).slice(),
          reason: `checksum does not match (${checksum})`,
        });
      }
      let reason = magics.has(readU32(image, address))
        ? 'a damaged entry header'
        : 'no entry of a listed format';
      if (probed !== null && formatIndex < 0) {
        const checksum = CHECKSUMS_TO_TRY.find((name) => isChecksumValid(image, probed, name));
        if (checksum !== undefined) {
          const seen = unknown.get(probed.header.magic) ?? { checksum, entryCount: 0 };
          seen.entryCount++;
          unknown.set(probed.header.magic, seen);
          reason = `an entry of unlisted magic ${hex(probed.header.magic)} (${checksum})`;
        }
      } else if (probed !== null) {
        reason = `entry of key ${keyToText(probedKey(image, probed))} fails its checksum`;
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
  return classify(config, raw, corruptRegions, freeStart, unknown);
}

/**
 * The key's bytes as one char per byte (Latin-1): a cheap, exact map key. For printable ASCII
 * it is also the key's text, so most keys cost one string. `apply` on the bytes is several
 * times cheaper than a spread over 100 000 keys.
 */
function keyIdOf(key: Uint8Array): string {
  return String.fromCharCode.apply(null, key as unknown as number[]);
}

/** Whether every byte is printable ASCII (0x20..0x7e): then the Latin-1 id is the key's text. */
function isPrintableAscii(key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) {
    const byte = key[i]!;
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}

function classify(
  config: ImageConfig,
  raw: readonly RawEntry[],
  corruptRegions: readonly CorruptRegion[],
  freeStart: readonly number[],
  unknown: ReadonlyMap<number, { checksum: ChecksumName; entryCount: number }>,
): ImageScan {
  // Keys numbered in order of first appearance; per-key facts live in typed arrays indexed by
  // that number, so 100 000 entries cost one map and one string each.
  const keyNumbers = new Map<string, number>();
  const keyOf = new Int32Array(raw.length);
  const keyTexts: string[] = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const key = raw[i]!.key;
    const id = keyIdOf(key);
    let number = keyNumbers.get(id);
    if (number === undefined) {
      number = keyNumbers.size;
      keyNumbers.set(id, number);
    }
    keyOf[i] = number;
    keyTexts[i] = key.length > 0 && isPrintableAscii(key) ? id : keyToText(key);
  }
  const keyCount = keyNumbers.size;

  // The newest transaction of each key decides which of its entries are current (-1: none).
  const newest = new Float64Array(keyCount).fill(-1);
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i]!;
    if (entry.reason !== undefined) continue;
    const number = keyOf[i]!;
    const transactionId = entry.probed.header.transactionId;
    if (newest[number]! < transactionId) newest[number] = transactionId;
  }

  const copies = new Uint32Array(keyCount);
  let legacyEntries = 0;
  const entries: ScannedEntry[] = new Array<ScannedEntry>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i]!;
    const { header, address, sizeBytes } = entry.probed;
    const isTombstone = header.valueSize === TOMBSTONE_VALUE_SIZE;
    const valueSizeBytes = isTombstone ? null : header.valueSize;
    if (entry.reason !== undefined) {
      entries[i] = {
        address,
        sector: entry.sector,
        sizeBytes,
        magic: header.magic,
        formatIndex: entry.formatIndex,
        transactionId: header.transactionId,
        key: entry.key,
        keyText: keyTexts[i]!,
        valueSizeBytes,
        state: 'corrupt',
        reason: entry.reason,
      };
      continue;
    }
    const number = keyOf[i]!;
    let state: ScannedEntryState = 'stale';
    if (newest[number] === header.transactionId) {
      state = isTombstone ? 'tombstone' : 'live';
      copies[number]!++;
      if (entry.formatIndex > 0) legacyEntries++;
    }
    // A plain literal (no spread): 100 000 entries build in a few milliseconds.
    entries[i] = {
      address,
      sector: entry.sector,
      sizeBytes,
      magic: header.magic,
      formatIndex: entry.formatIndex,
      transactionId: header.transactionId,
      key: entry.key,
      keyText: keyTexts[i]!,
      valueSizeBytes,
      state,
    };
  }

  const sectors = sectorReports(config, entries, corruptRegions, freeStart);
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
  const SEEN = 1;
  const seen = new Uint8Array(keyCount);
  let liveKeys = 0;
  let deletedKeys = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.state !== 'live' && entry.state !== 'tombstone') continue;
    const number = keyOf[i]!;
    if (seen[number] === SEEN) continue;
    seen[number] = SEEN;
    if (entry.state === 'live') liveKeys++;
    else deletedKeys++;
    const count = copies[number]!;
    if (count < config.redundancy) {
      problems.push({
        kind: 'missing-copies',
        message: `key ${entry.keyText}: ${count} of ${config.redundancy} copies`,
        sector: entry.sector,
        address: entry.address,
      });
    }
  }
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
  return {
    config,
    sectors,
    entries,
    corruptRegions,
    liveKeys,
    deletedKeys,
    legacyEntries,
    unknownFormats: [...unknown].map(([magic, format]) => ({ magic, ...format })),
    problems,
  };
}

function sectorReports(
  config: ImageConfig,
  entries: readonly ScannedEntry[],
  corruptRegions: readonly CorruptRegion[],
  freeStart: readonly number[],
): SectorReport[] {
  const { sectorSizeBytes } = config;
  // Entries and regions come in flash order: one cursor each walks them sector by sector, and
  // merging the two runs keeps each sector's spans in address order without a sort.
  const reports: SectorReport[] = new Array<SectorReport>(freeStart.length);
  let nextEntry = 0;
  let nextRegion = 0;
  for (let index = 0; index < freeStart.length; index++) {
    const address = index * sectorSizeBytes;
    const end = address + sectorSizeBytes;
    const free = freeStart[index]!;
    const spans: SectorSpan[] = [];
    let liveBytes = 0;
    let staleBytes = 0;
    let corruptBytes = 0;
    let entryCount = 0;
    while (nextEntry < entries.length && entries[nextEntry]!.sector === index) {
      const entry = entries[nextEntry++]!;
      entryCount++;
      if (entry.state === 'corrupt') continue;
      while (
        nextRegion < corruptRegions.length &&
        corruptRegions[nextRegion]!.sector === index &&
        corruptRegions[nextRegion]!.address < entry.address
      ) {
        const region = corruptRegions[nextRegion++]!;
        spans.push({ address: region.address, sizeBytes: region.sizeBytes, kind: 'corrupt' });
        corruptBytes += region.sizeBytes;
      }
      if (entry.state === 'stale') {
        spans.push({ address: entry.address, sizeBytes: entry.sizeBytes, kind: 'stale' });
        staleBytes += entry.sizeBytes;
      } else {
        spans.push({ address: entry.address, sizeBytes: entry.sizeBytes, kind: 'live' });
        liveBytes += entry.sizeBytes;
      }
    }
    while (nextRegion < corruptRegions.length && corruptRegions[nextRegion]!.sector === index) {
      const region = corruptRegions[nextRegion++]!;
      spans.push({ address: region.address, sizeBytes: region.sizeBytes, kind: 'corrupt' });
      corruptBytes += region.sizeBytes;
    }
    const freeBytes = free < end ? end - free : 0;
    if (freeBytes > 0) spans.push({ address: free, sizeBytes: freeBytes, kind: 'free' });
    reports[index] = {
      index,
      address,
      liveBytes,
      staleBytes,
      corruptBytes,
      freeBytes,
      entryCount,
      spans,
    };
  }
  return reports;
}
