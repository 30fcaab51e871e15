import { ERASED_BYTE } from '../flash/flash-memory.js';
import { type ChecksumName, createChecksum } from '../format/checksum.js';
import { DecodedEntry, decodeEntryAt, entryChecksumMatches } from '../format/entry-codec.js';
import {
  ENTRY_HEADER_SIZE,
  MAX_KEY_LENGTH,
  MIN_ALIGNMENT_BYTES,
  TOMBSTONE_VALUE_SIZE,
  readU32,
} from '../format/entry-header.js';
import { KvsError } from '../status.js';
import type { ImageConfig } from './config.js';
import { type DetectedImageConfig, detectImageConfig } from './detect.js';
import { scanImage } from './scan.js';

// Finding pw_kvs partitions inside a whole-chip dump: where each starts, how long it is, and
// its config. Bytes in, partitions out; no I/O.
//
// 1. Formats. Every byte position is tried as an entry header (a partition may start at any
//    offset of the chip, so its entries may lie at any residue mod 16). A header is plausible
//    when its alignment is one pw_kvs writes (16..256 B) and its key 1..63 B long; a magic is a
//    format when two plausible entries of it lie back to back (pw_kvs writes a sector's entries
//    one after the other) and they pass CRC-16 or CRC-32 (or carry zero checksums), or, alone,
//    an entry followed by erased flash passes CRC-32 (or two such pass CRC-16).
// 2. Entries. Every plausible header of a format's magic that passes its checksum.
// 3. Partitions. Entries at one residue mod 16 are grouped into runs separated only by erased
//    flash (or a little damage); a run spreads over the erased flash around it up to the bytes
//    that are neither erased nor entries (other data) or the chip's ends. Its sector size comes
//    from where sectors start (entries not right after another entry start a sector): the sizes
//    under which those starts line up, no entry straddles a sector boundary and the sectors
//    tile the run exactly, closest to 4 KiB. The partition's config is then detected on its
//    bytes (detectImageConfig) and checked with the real scan.

/** How sure {@link locatePartitions} is of a partition's bounds and config. */
export type LocateConfidence = 'high' | 'medium' | 'low';

/** A pw_kvs partition found inside a chip dump. */
export interface LocatedPartition {
  /** Offset of the partition's first byte in the chip dump. */
  readonly offset: number;
  /** The partition's size in bytes (`config.sectorSizeBytes * config.sectorCount`). */
  readonly sizeBytes: number;
  /** The config detected on the partition's bytes. */
  readonly config: ImageConfig;
  /** What detection said about it. */
  readonly detected: DetectedImageConfig;
  /** Entries that pass their checksum under the config. */
  readonly validEntries: number;
  /** Keys with a live value. */
  readonly liveKeys: number;
  /** Entries the scan finds corrupt. */
  readonly corruptEntries: number;
  /**
   * `high`: other data (or the chip's ends) bound the partition exactly, every sector fits the
   * config and nothing is corrupt. `medium`: bounded exactly, but some sectors do not fit or hold
   * corrupt entries. `low`: erased flash beside it makes where it starts or ends a guess.
   */
  readonly confidence: LocateConfidence;
  /** Why the confidence is not high, and what to check, in sentences. */
  readonly notes: readonly string[];
}

/** The widest sector a partition may have (pw_kvs sizes fit 16 bits; detection's limit). */
const MAX_SECTOR_BYTES = 0x8000;
/** Largest alignment units pw_kvs writes ((15 + 1) × 16 = 256 B). */
const MAX_ALIGNMENT_UNITS = 15;
/** Entries of a magic tried before its checksum algorithm is decided. */
const SAMPLE_ENTRIES = 32;
/** A lone entry (no neighbour of its magic) is tried only with a value up to this size. */
const MAX_LONE_VALUE_BYTES = 4096;
/** Bytes that are neither erased nor entries inside a run of entries: damage, not a boundary. */
const MAX_DAMAGE_BYTES = 4096;
/**
 * Erased flash beyond a partition's outermost used sectors taken in as its empty sectors: up
 * to this, or 8 times the span of its used sectors when that is more.
 */
const MAX_ERASED_MARGIN_BYTES = 1 << 20;
const TYPICAL_SECTOR_SIZE = 4096;

// ---- Headers and formats ----

/** The size on flash of a plausible entry header at `p`, or 0 when pw_kvs never writes it. */
function plausibleSize(chip: Uint8Array, p: number): number {
  const units = chip[p + 8]!;
  if (units > MAX_ALIGNMENT_UNITS) return 0;
  const keyLength = chip[p + 9]!;
  if (keyLength === 0 || keyLength > MAX_KEY_LENGTH) return 0;
  const stored = chip[p + 10]! | (chip[p + 11]! << 8);
  const value = stored === TOMBSTONE_VALUE_SIZE ? 0 : stored;
  const alignment = (units + 1) * MIN_ALIGNMENT_BYTES;
  const size = Math.ceil((ENTRY_HEADER_SIZE + keyLength + value) / alignment) * alignment;
  return size <= MAX_SECTOR_BYTES ? size : 0;
}

/** Candidate headers found in one pass over the chip. */
interface HeaderCandidates {
  /** Every plausible header's position (a superset of every valid entry). */
  readonly plausible: Int32Array;
  /** By magic: positions of headers followed by another header of the same magic. */
  readonly chained: Map<number, number[]>;
  /** By magic: positions of headers followed by erased flash or the chip's end. */
  readonly lone: Map<number, number[]>;
}

function push(map: Map<number, number[]>, key: number, value: number): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** One pass over every byte position: the plausible headers, chained or alone. */
function findHeaders(chip: Uint8Array): HeaderCandidates {
  let plausible = new Int32Array(1024);
  let count = 0;
  const chained = new Map<number, number[]>();
  const lone = new Map<number, number[]>();
  const last = chip.length - ENTRY_HEADER_SIZE;
  for (let p = 0; p <= last; p++) {
    // The alignment byte first: one load rejects erased flash and 15 of 16 random positions.
    if (chip[p + 8]! > MAX_ALIGNMENT_UNITS) continue;
    const size = plausibleSize(chip, p);
    if (size === 0) continue;
    const magic = readU32(chip, p);
    if (magic === 0xffffffff || magic === 0) continue;
    if (count === plausible.length) {
      const grown = new Int32Array(count * 2);
      grown.set(plausible);
      plausible = grown;
    }
    plausible[count++] = p;
    const next = p + size;
    if (next + 4 <= chip.length) {
      const after = readU32(chip, next);
      if (after === magic) push(chained, magic, p);
      else if (after === 0xffffffff) push(lone, magic, p);
    } else if (next === chip.length) {
      push(lone, magic, p);
    }
  }
  return { plausible: plausible.subarray(0, count), chained, lone };
}

/** A magic and the checksum its entries pass. */
interface Format {
  readonly magic: number;
  readonly checksum: ChecksumName;
}

const CHECKSUMS = new Map<ChecksumName, ReturnType<typeof createChecksum>>(
  (['crc16', 'crc32', 'none'] as const).map((name) => [name, createChecksum(name)]),
);

/** Whether the entry at `p` decodes and passes checksum `name`. */
function isValidAt(chip: Uint8Array, p: number, name: ChecksumName, entry: DecodedEntry): boolean {
  if (decodeEntryAt(chip, p, chip.length, entry) !== 'OK') return false;
  return entryChecksumMatches(chip, p, entry.header, CHECKSUMS.get(name)!);
}

/** The magics that are pw_kvs formats, with their checksums (see the notes at the top). */
function findFormats(chip: Uint8Array, candidates: HeaderCandidates): Format[] {
  const entry = new DecodedEntry();
  const formats: Format[] = [];
  const passing = (positions: readonly number[], name: ChecksumName): number =>
    positions.filter((p) => isValidAt(chip, p, name, entry)).length;
  for (const [magic, positions] of candidates.chained) {
    const sample = positions.slice(0, SAMPLE_ENTRIES);
    const checksum = (['crc16', 'crc32'] as const).find((name) => passing(sample, name) > 0);
    if (checksum !== undefined) formats.push({ magic, checksum });
    else if (passing(sample, 'none') * 2 >= sample.length)
      formats.push({ magic, checksum: 'none' });
  }
  for (const [magic, positions] of candidates.lone) {
    if (candidates.chained.has(magic)) continue;
    const small = positions.filter((p) => {
      const stored = chip[p + 10]! | (chip[p + 11]! << 8);
      return stored === TOMBSTONE_VALUE_SIZE || stored <= MAX_LONE_VALUE_BYTES;
    });
    // A CRC-16 passes by chance once in 65 536 tries: alone, one entry is not enough.
    if (passing(small, 'crc32') >= 1) formats.push({ magic, checksum: 'crc32' });
    else if (passing(small, 'crc16') >= 2) formats.push({ magic, checksum: 'crc16' });
  }
  return formats;
}

// ---- Entries and runs ----

/** A valid entry of the chip: where it starts and ends. */
interface ChipEntry {
  readonly address: number;
  readonly end: number;
}

/** Every plausible header of a format's magic that passes the format's checksum. */
function findEntries(chip: Uint8Array, plausible: Int32Array, formats: Format[]): ChipEntry[] {
  const byMagic = new Map(formats.map((format) => [format.magic, format.checksum]));
  const entry = new DecodedEntry();
  const entries: ChipEntry[] = [];
  for (const p of plausible) {
    const checksum = byMagic.get(readU32(chip, p));
    if (checksum === undefined || !isValidAt(chip, p, checksum, entry)) continue;
    entries.push({ address: p, end: p + entry.sizeBytes });
  }
  return entries;
}

/** The span from the first to the last non-erased byte of [start, end), or 0 if all erased. */
function unerasedSpan(chip: Uint8Array, start: number, end: number): number {
  let first = -1;
  let last = -1;
  for (let i = start; i < end; i++) {
    if (chip[i] === ERASED_BYTE) continue;
    if (first === -1) first = i;
    last = i;
  }
  return first === -1 ? 0 : last - first + 1;
}

/**
 * Entries (sorted by address) split into runs: entries of one residue mod 16 with only erased
 * flash, or a little damage, between them. Entries overlapping an earlier one (an entry's
 * bytes inside another's value) are dropped.
 */
function runsOf(chip: Uint8Array, entries: readonly ChipEntry[]): ChipEntry[][] {
  const byResidue = new Map<number, ChipEntry[]>();
  for (const entry of entries) {
    const residue = entry.address % MIN_ALIGNMENT_BYTES;
    const list = byResidue.get(residue);
    if (list === undefined) byResidue.set(residue, [entry]);
    else list.push(entry);
  }
  const runs: ChipEntry[][] = [];
  for (const list of byResidue.values()) {
    let run: ChipEntry[] = [];
    let end = -1;
    for (const entry of list) {
      if (entry.address < end) continue;
      if (run.length > 0 && unerasedSpan(chip, end, entry.address) > MAX_DAMAGE_BYTES) {
        runs.push(run);
        run = [];
      }
      run.push(entry);
      end = entry.end;
    }
    if (run.length > 0) runs.push(run);
  }
  return runs;
}

// ---- Bounds and sector size ----

/** Where a run may lie: the erased flash around it up to other data or the chip's ends. */
interface RunBounds {
  /** The first byte after the other data before the run (or 0). */
  readonly low: number;
  /** The first byte of the other data after the run (or the chip's length). */
  readonly high: number;
  readonly first: number;
  readonly lastEnd: number;
}

function boundsOf(chip: Uint8Array, run: readonly ChipEntry[]): RunBounds {
  const first = run[0]!.address;
  let lastEnd = 0;
  for (const entry of run) lastEnd = Math.max(lastEnd, entry.end);
  let low = first;
  while (low > 0 && chip[low - 1] === ERASED_BYTE) low--;
  let high = lastEnd;
  while (high < chip.length && chip[high] === ERASED_BYTE) high++;
  return { low, high, first, lastEnd };
}

/** A window on the sector grid of one size. */
interface GridWindow {
  readonly sectorSizeBytes: number;
  readonly start: number;
  readonly end: number;
  /** Other data's bytes reach the window on both sides (or the chip's ends): no guess. */
  readonly isExact: boolean;
}

/**
 * The window of a run on each sector size its entries allow: sector starts (the first entry,
 * and entries after erased flash) on one grid, no entry across a sector boundary, at least two
 * sectors, and the window the largest the bounds allow on that grid.
 */
function gridWindows(chip: Uint8Array, run: readonly ChipEntry[], bounds: RunBounds): GridWindow[] {
  const ends = new Set(run.map((entry) => entry.end));
  const starts = run
    .filter(
      (entry, i) =>
        i === 0 || (!ends.has(entry.address) && chip[entry.address - 1] === ERASED_BYTE),
    )
    .map((entry) => entry.address);
  let largest = 0;
  for (const entry of run) largest = Math.max(largest, entry.end - entry.address);
  const windows: GridWindow[] = [];
  for (let size = MIN_ALIGNMENT_BYTES; size <= MAX_SECTOR_BYTES; size *= 2) {
    if (size < largest) continue;
    const residue = starts[0]! % size;
    if (starts.some((start) => start % size !== residue)) continue;
    const straddles = run.some(
      (entry) => ((entry.address - residue) % size) + (entry.end - entry.address) > size,
    );
    if (straddles) continue;
    const start = bounds.low + ((((residue - bounds.low) % size) + size) % size);
    const end = bounds.high - ((((bounds.high - residue) % size) + size) % size);
    if (start > bounds.first || end < bounds.lastEnd || end - start < 2 * size) continue;
    // A few erased bytes at the end of the other data are not a sector of their own.
    const isExact =
      start - bounds.low < MIN_ALIGNMENT_BYTES && bounds.high - end < MIN_ALIGNMENT_BYTES;
    windows.push({ sectorSizeBytes: size, start, end, isExact });
  }
  return windows;
}

/** The window most likely the partition's, and what makes it a guess. */
function chooseWindow(
  windows: readonly GridWindow[],
  bounds: RunBounds,
): { window: GridWindow; notes: string[] } | undefined {
  const distance = (size: number): number => Math.abs(Math.log2(size / TYPICAL_SECTOR_SIZE));
  const exact = windows.filter((window) => window.isExact);
  const pool = exact.length > 0 ? exact : windows;
  const best = [...pool].sort(
    (a, b) =>
      distance(a.sectorSizeBytes) - distance(b.sectorSizeBytes) ||
      b.sectorSizeBytes - a.sectorSizeBytes,
  )[0];
  if (best === undefined) return undefined;
  const notes: string[] = [];
  const size = best.sectorSizeBytes;
  let { start, end } = best;
  // Erased flash far beyond the used sectors is more likely unused chip than empty sectors.
  const usedStart = bounds.first - ((bounds.first - start) % size);
  const usedEnd = bounds.lastEnd + ((end - bounds.lastEnd) % size);
  const margin = Math.max(MAX_ERASED_MARGIN_BYTES, 8 * (usedEnd - usedStart));
  if (usedStart - start > margin) {
    notes.push(
      `${usedStart - start} B of erased flash before it may be empty sectors of it (the partition may start as early as 0x${start.toString(16)})`,
    );
    start = usedStart;
  }
  if (end - usedEnd > margin) {
    notes.push(
      `${end - usedEnd} B of erased flash after it may be empty sectors of it (it may end as late as 0x${end.toString(16)})`,
    );
    end = usedEnd;
  }
  // Two sectors at least, as pw_kvs needs: an empty one next to the used ones.
  if (end - start < 2 * size) {
    if (end < best.end) end = Math.min(best.end, start + 2 * size);
    else start = Math.max(best.start, end - 2 * size);
  }
  if (exact.length === 0 && notes.length === 0) {
    notes.push(
      'erased flash lies next to it: where it starts and ends is a guess on its sector grid; pass --offset and --size if you know them',
    );
  }
  return {
    window: { ...best, start, end, isExact: exact.length > 0 && notes.length === 0 },
    notes,
  };
}

// ---- Partitions ----

/** A partition from a run of entries, or undefined when no config fits its bytes. */
function partitionOf(chip: Uint8Array, run: readonly ChipEntry[]): LocatedPartition | undefined {
  const bounds = boundsOf(chip, run);
  const chosen = chooseWindow(gridWindows(chip, run, bounds), bounds);
  if (chosen === undefined) return undefined;
  const { window } = chosen;
  const bytes = chip.subarray(window.start, window.end);
  let detected: DetectedImageConfig;
  try {
    detected = detectImageConfig(bytes);
  } catch (error) {
    if (KvsError.is(error)) return undefined;
    throw error;
  }
  const { config } = detected;
  const scan = scanImage(bytes, config);
  const counts = scan.entryCounts;
  const validEntries = counts.live + counts.tombstone + counts.stale;
  if (validEntries === 0) return undefined;
  const notes = [...chosen.notes];
  if (detected.inconsistentSectors > 0) {
    notes.push(`${detected.inconsistentSectors} sectors do not fit the detected config`);
  }
  if (counts.corrupt > 0) notes.push(`${counts.corrupt} entries are corrupt (see flashkv check)`);
  const confidence: LocateConfidence = !window.isExact
    ? 'low'
    : detected.inconsistentSectors > 0 || counts.corrupt > 0
      ? 'medium'
      : 'high';
  return {
    offset: window.start,
    sizeBytes: bytes.length,
    config,
    detected,
    validEntries,
    liveKeys: scan.liveKeys,
    corruptEntries: counts.corrupt,
    confidence,
    notes,
  };
}

/**
 * Finds the pw_kvs partitions inside a whole-chip dump (see the notes at the top of this
 * file): each one's offset, size and detected config, how many entries and keys it holds, and
 * how sure the bounds are. Partitions are in chip order and never overlap (of two that would,
 * the one with more entries is kept). Pure; reads `chip` only. A 16 MiB dump takes a fraction
 * of a second: one pass over its bytes, then work in proportion to the entries found.
 */
export function locatePartitions(chip: Uint8Array): LocatedPartition[] {
  const candidates = findHeaders(chip);
  const formats = findFormats(chip, candidates);
  if (formats.length === 0) return [];
  const entries = findEntries(chip, candidates.plausible, formats);
  const found: LocatedPartition[] = [];
  for (const run of runsOf(chip, entries)) {
    const partition = partitionOf(chip, run);
    if (partition !== undefined) found.push(partition);
  }
  found.sort((a, b) => b.validEntries - a.validEntries || a.offset - b.offset);
  const kept: LocatedPartition[] = [];
  for (const partition of found) {
    const overlaps = kept.some(
      (other) =>
        partition.offset < other.offset + other.sizeBytes &&
        other.offset < partition.offset + partition.sizeBytes,
    );
    if (!overlaps) kept.push(partition);
  }
  return kept.sort((a, b) => a.offset - b.offset);
}
