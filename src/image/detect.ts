import { ERASED_BYTE } from '../flash/flash-memory.js';
import { type ChecksumAlgorithm, type ChecksumName, createChecksum } from '../format/checksum.js';
import { DecodedEntry, decodeEntryAt, entryChecksumMatches } from '../format/entry-codec.js';
import { MIN_ALIGNMENT_BYTES, alignmentUnitsToBytes } from '../format/entry-header.js';
import { KvsError } from '../status.js';
import { type ImageConfig, validateImageConfig } from './config.js';
import { firstUnerased, isErasedWord } from './_probe.js';

/** What {@link detectImageConfig} inferred, and how sure it is. */
export interface DetectedImageConfig {
  readonly config: ImageConfig;
  /** Entries that passed their format's checksum. */
  readonly entriesFound: number;
  /** Other sector sizes the bytes fit equally well; empty when the size is certain. */
  readonly otherSectorSizes: readonly number[];
  /** Sectors whose bytes do not fit the chosen geometry (damage, or a wrong guess). */
  readonly inconsistentSectors: number;
  /** What could not be inferred, in sentences. */
  readonly notes: readonly string[];
}

/** Options of {@link detectImageConfig}. */
export interface DetectOptions {
  /** The sector size, when known (`--sector-size`): only the rest is inferred. */
  readonly sectorSizeBytes?: number;
}

interface FormatEvidence {
  readonly magic: number;
  readonly checksum: ChecksumName;
  readonly entries: DecodedEntry[];
  readonly newestTransactionId: number;
}

/** Magics examined, most frequent first: real images use one to three. */
const MAX_MAGICS = 16;
/** Entries of a magic checked before its checksum algorithm is decided. */
const SAMPLE_ENTRIES = 32;
const TYPICAL_SECTOR_SIZE = 4096;
const DEFAULT_MAX_ENTRIES = 256;

/**
 * Infers the config of a raw pw_kvs dump: entry formats (a magic counts when its entries pass
 * CRC-16 or CRC-32, or carry zero checksums and chain back to back; the format of the newest
 * entries is primary), the alignment (from the entries' alignment units), the sector size (the
 * one under which every sector holds entries back to back from its start and then only erased
 * bytes), the redundancy (copies of the current entries) and max_entries (not on flash: pw_kvs's
 * 256 or the key count). Only sector sizes a flash can have are proposed: powers of two from
 * 16 B to 32 KiB, or exactly `options.sectorSizeBytes` when given. Pure; reads `image` only.
 * Throws NOT_FOUND when no entry is found (an erased or foreign image) and INVALID_ARGUMENT when
 * no sector size of at least 2 sectors fits.
 */
export function detectImageConfig(
  image: Uint8Array,
  options: DetectOptions = {},
): DetectedImageConfig {
  const formats = findFormats(image);
  if (formats.length === 0) {
    const erased = firstUnerased(image, 0, image.length) === -1;
    throw new KvsError(
      'NOT_FOUND',
      erased
        ? 'the image is erased: there are no entries to infer a config from'
        : 'no pw_kvs entries found (no magic whose entries pass a checksum)',
    );
  }
  formats.sort((a, b) => b.newestTransactionId - a.newestTransactionId);
  const valid = new Map<number, DecodedEntry>();
  for (const format of formats) for (const entry of format.entries) valid.set(entry.address, entry);

  const unitCounts = new Map<number, number>();
  for (const entry of valid.values()) {
    const units = entry.header.alignmentUnits;
    unitCounts.set(units, (unitCounts.get(units) ?? 0) + 1);
  }
  const units = [...unitCounts].sort((a, b) => b[1] - a[1])[0]![0];
  const alignmentBytes = alignmentUnitsToBytes(units);

  let largestEntry = alignmentBytes;
  for (const entry of valid.values()) largestEntry = Math.max(largestEntry, entry.sizeBytes);
  const copies = copyIds(image, formats);
  // A dump no candidate splits exactly is read as truncated: its last sector is cut short and
  // its missing bytes read as erased (pw_kvs's sizes never leave a partial sector).
  let candidates =
    options.sectorSizeBytes === undefined
      ? sectorSizeCandidates(image.length, largestEntry)
      : image.length % options.sectorSizeBytes === 0 && image.length >= 2 * options.sectorSizeBytes
        ? [options.sectorSizeBytes]
        : [];
  let isTruncated = false;
  if (candidates.length === 0) {
    candidates =
      options.sectorSizeBytes === undefined
        ? sectorSizeCandidates(image.length, largestEntry, true)
        : image.length > options.sectorSizeBytes
          ? [options.sectorSizeBytes]
          : [];
    isTruncated = candidates.length > 0;
  }
  const sectorsOf = (size: number): number => Math.ceil(image.length / size);
  const scored = candidates.map((size) => ({
    size,
    ...fitSectorSize(isTruncated ? padded(image, size) : image, size, valid, copies),
  }));
  if (scored.length === 0) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      options.sectorSizeBytes === undefined
        ? `no power-of-two sector size splits ${image.length} B into 2 or more sectors that hold its entries`
        : `${options.sectorSizeBytes} B sectors do not split ${image.length} B into 2 or more sectors`,
    );
  }
  // Best first: no entry straddling a sector boundary, every sector consistent, copies of a key in different sectors (pw_kvs never
  // puts two in one), a power of two, then the size closest to the common 4 KiB (measured on
  // the 220 reference images, this beats preferring the largest or smallest fitting size).
  const distance = (size: number): number => Math.abs(Math.log2(size / TYPICAL_SECTOR_SIZE));
  const rank = (fit: (typeof scored)[number]): number[] => [
    fit.straddling,
    -fit.consistent / sectorsOf(fit.size),
    fit.copiesApart ? 0 : 1,
    distance(fit.size),
  ];
  const compare = (a: (typeof scored)[number], b: (typeof scored)[number]): number => {
    const ra = rank(a);
    const rb = rank(b);
    for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
    return a.size - b.size;
  };
  scored.sort(compare);
  const chosen = scored[0]!;
  const ties = scored
    .filter((fit) => rank(fit).slice(0, 3).join() === rank(chosen).slice(0, 3).join())
    .map((fit) => fit.size);
  const sectorSizeBytes = chosen.size;
  const sectorCount = sectorsOf(sectorSizeBytes);
  const inconsistent = sectorCount - chosen.consistent;

  const { mostCopies, keys } = countCopies(image, formats);
  const redundancy = Math.min(Math.max(1, mostCopies), 8, sectorCount - 1);
  const maxEntries = Math.max(DEFAULT_MAX_ENTRIES, keys);
  const notes: string[] = [];
  if (isTruncated) {
    notes.push(
      `${image.length} B is not a whole number of ${sectorSizeBytes} B sectors: read as a truncated dump of ${sectorCount} sectors (${sectorCount * sectorSizeBytes - image.length} B missing)`,
    );
  }
  if (ties.length > 1) {
    notes.push(
      `sector sizes ${ties.join(', ')} B fit the bytes equally well; chose ${sectorSizeBytes} B (pass --sector-size if you know it)`,
    );
  }
  if (inconsistent > 0) {
    notes.push(`${inconsistent} sectors do not fit this geometry: damaged, or the guess is wrong`);
  }
  if (alignmentBytes === MIN_ALIGNMENT_BYTES) {
    notes.push(
      'entries are aligned to 16 B; a flash write alignment of 1, 2, 4, 8 or 16 B writes the same bytes',
    );
  }
  if (formats.some((format) => format.checksum === 'none')) {
    notes.push("checksum fields are zero: 'none' and 'ignore' formats write the same bytes");
  }
  if (formats.length > 1) {
    notes.push(
      'the primary format is the one of the newest entry; if the firmware moved to another, pass --magic and --extra-formats',
    );
  }
  notes.push(`max_entries is not stored on flash: ${maxEntries} holds the ${keys} keys found`);
  const config = validateImageConfig(
    {
      sectorSizeBytes,
      sectorCount,
      alignmentBytes,
      formats: formats.map(({ magic, checksum }) => ({ magic, checksum })),
      redundancy,
      maxEntries,
    },
    'detected config',
  );
  return {
    config,
    entriesFound: valid.size,
    otherSectorSizes: ties.filter((size) => size !== sectorSizeBytes),
    inconsistentSectors: inconsistent,
    notes,
  };
}

/** The checksum names tried on each magic, in order, and their algorithms. */
type Checksums = ReadonlyMap<ChecksumName, ChecksumAlgorithm | null>;

/** Magics whose entries validate, with the checksum algorithm they validate under. */
function findFormats(image: Uint8Array): FormatEvidence[] {
  const byMagic = new Map<number, DecodedEntry[]>();
  let entry = new DecodedEntry();
  for (
    let address = 0;
    address + MIN_ALIGNMENT_BYTES <= image.length;
    address += MIN_ALIGNMENT_BYTES
  ) {
    if (decodeEntryAt(image, address, image.length, entry) !== 'OK') continue;
    const { magic } = entry.header;
    if (magic === 0) continue;
    const list = byMagic.get(magic);
    if (list === undefined) byMagic.set(magic, [entry]);
    else list.push(entry);
    entry = new DecodedEntry();
  }
  const checksums: Checksums = new Map(
    (['crc16', 'crc32', 'none'] as const).map((name) => [name, createChecksum(name)]),
  );
  const magics = [...byMagic].sort((a, b) => b[1].length - a[1].length).slice(0, MAX_MAGICS);
  const formats: FormatEvidence[] = [];
  for (const [magic, probes] of magics) {
    const sample = probes.slice(0, SAMPLE_ENTRIES);
    const checksum: ChecksumName | undefined = (['crc16', 'crc32'] as const).find((name) =>
      sample.some((entry) => isChecksumValid(image, entry, checksums, name)),
    );
    if (checksum === undefined) continue;
    formats.push(evidence(image, magic, checksums, checksum, probes));
  }
  if (formats.length > 0) return formats;
  // No checksum validates: a format without checksums (field 0) whose entries are followed
  // by another of them or by erased flash, as entries written back to back are.
  for (const [magic, probes] of magics) {
    const zero = probes.filter((entry) => entry.header.checksum === 0);
    const starts = new Set(zero.map((entry) => entry.address));
    const chained = zero.filter(
      (entry) =>
        starts.has(entry.address + entry.sizeBytes) ||
        entry.address + entry.sizeBytes === image.length ||
        isErasedWord(image, entry.address + entry.sizeBytes),
    );
    if (chained.length > 0 && chained.length * 2 >= zero.length) {
      formats.push(evidence(image, magic, checksums, 'none', probes));
    }
  }
  return formats;
}

/** True if `entry` passes the checksum `name`, computed by its algorithm in `checksums`. */
function isChecksumValid(
  image: Uint8Array,
  entry: DecodedEntry,
  checksums: Checksums,
  name: ChecksumName,
): boolean {
  return entryChecksumMatches(image, entry.address, entry.header, checksums.get(name)!);
}

function evidence(
  image: Uint8Array,
  magic: number,
  checksums: Checksums,
  checksum: ChecksumName,
  probes: readonly DecodedEntry[],
): FormatEvidence {
  const entries = probes.filter((entry) => isChecksumValid(image, entry, checksums, checksum));
  // Loops, not Math.max(...list), here and above: a dump can hold more entries than a call
  // takes arguments.
  let newestTransactionId = -Infinity;
  for (const entry of entries) {
    if (entry.header.transactionId > newestTransactionId) {
      newestTransactionId = entry.header.transactionId;
    }
  }
  return { magic, checksum, entries, newestTransactionId };
}

/**
 * Sector sizes to try: the powers of two (flash erase blocks are) from 16 B to 32 KiB (pw_kvs
 * sizes fit 16 bits) that divide the image into at least 2 sectors and hold its largest entry.
 * `isTruncated`: the image's last sector may be cut short (sizes need not divide it).
 */
function sectorSizeCandidates(imageBytes: number, smallest: number, isTruncated = false): number[] {
  const sizes: number[] = [];
  for (let size = MIN_ALIGNMENT_BYTES; size <= 0x8000; size *= 2) {
    const splits = isTruncated
      ? imageBytes > size
      : imageBytes % size === 0 && imageBytes / size >= 2;
    if (size >= smallest && splits) sizes.push(size);
  }
  return sizes;
}

/** `image` with erased bytes up to a whole number of `sectorSizeBytes` sectors. */
function padded(image: Uint8Array, sectorSizeBytes: number): Uint8Array {
  const whole = new Uint8Array(Math.ceil(image.length / sectorSizeBytes) * sectorSizeBytes);
  whole.fill(ERASED_BYTE, image.length);
  whole.set(image);
  return whole;
}

/** How well a sector size fits the bytes. */
interface SectorSizeFit {
  /** Sectors holding valid entries back to back from their start, then only erased bytes. */
  readonly consistent: number;
  /** No two copies of a key's entry share a sector. */
  readonly copiesApart: boolean;
  /** Valid entries that would straddle a sector boundary (pw_kvs never writes one). */
  readonly straddling: number;
}

function fitSectorSize(
  image: Uint8Array,
  sectorSizeBytes: number,
  valid: ReadonlyMap<number, DecodedEntry>,
  copies: CopyIds,
): SectorSizeFit {
  // The sector each copy was last seen in: two copies of an entry in one sector share it.
  const lastSector = new Float64Array(copies.count).fill(-1);
  let consistent = 0;
  let copiesApart = true;
  let straddling = 0;
  for (const entry of valid.values()) {
    const offset = entry.address % sectorSizeBytes;
    if (offset + entry.sizeBytes > sectorSizeBytes) straddling++;
  }
  for (let start = 0; start < image.length; start += sectorSizeBytes) {
    const end = start + sectorSizeBytes;
    let address = start;
    for (;;) {
      let entry = valid.get(address);
      // Damaged bytes (neither an entry nor erased) are skipped to the next entry, as pw_kvs's
      // init does: damage says nothing about the sector size.
      if (entry === undefined && address < end && !isErasedWord(image, address)) {
        let next = address + MIN_ALIGNMENT_BYTES;
        while (next < end && !valid.has(next)) next += MIN_ALIGNMENT_BYTES;
        if (next >= end) {
          address = end;
          break;
        }
        address = next;
        entry = valid.get(address);
      }
      if (entry === undefined || address + entry.sizeBytes > end) break;
      const copy = copies.byAddress.get(address)!;
      if (lastSector[copy] === start) copiesApart = false;
      lastSector[copy] = start;
      address += entry.sizeBytes;
    }
    if (address === end || firstUnerased(image, address, end) === -1) consistent++;
  }
  return { consistent, copiesApart, straddling };
}

/** Which copy each valid entry is: entries of one key and transaction id share a number. */
interface CopyIds {
  /** The copy number (0 .. count - 1) of the valid entry at each address. */
  readonly byAddress: ReadonlyMap<number, number>;
  readonly count: number;
}

/** An exact, cheap map key for an entry's key: one char per byte. */
function keyId(image: Uint8Array, entry: DecodedEntry): string {
  return String.fromCharCode(...image.subarray(entry.keyOffset, entry.valueOffset));
}

/**
 * The copy number of every valid entry, by address: computed once, so that each sector size
 * tried compares numbers rather than building a string per entry.
 */
function copyIds(image: Uint8Array, formats: readonly FormatEvidence[]): CopyIds {
  const numbers = new Map<string, number>();
  const byAddress = new Map<number, number>();
  for (const format of formats) {
    for (const entry of format.entries) {
      // The transaction id is digits after the last '@': the text is unique per copy.
      const copy = `${keyId(image, entry)}@${entry.header.transactionId}`;
      let number = numbers.get(copy);
      if (number === undefined) {
        number = numbers.size;
        numbers.set(copy, number);
      }
      byAddress.set(entry.address, number);
    }
  }
  return { byAddress, count: numbers.size };
}

/** The most copies any key's newest entry has, and the number of keys. */
function countCopies(
  image: Uint8Array,
  formats: readonly FormatEvidence[],
): { mostCopies: number; keys: number } {
  const newest = new Map<string, { transactionId: number; copies: number }>();
  for (const format of formats) {
    for (const entry of format.entries) {
      const id = keyId(image, entry);
      const transactionId = entry.header.transactionId;
      const seen = newest.get(id);
      if (seen === undefined || seen.transactionId < transactionId) {
        newest.set(id, { transactionId, copies: 1 });
      } else if (seen.transactionId === transactionId) {
        seen.copies++;
      }
    }
  }
  let mostCopies = 0;
  for (const seen of newest.values()) mostCopies = Math.max(mostCopies, seen.copies);
  return { mostCopies, keys: newest.size };
}
