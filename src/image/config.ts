import type { KeyValueStoreOptions } from '../engine/key-value-store.js';
import type { FlashPartitionOptions } from '../flash/flash-partition.js';
import type { KeyHashChar } from '../format/hash.js';
import { type ChecksumName, isChecksumName } from '../format/checksum.js';
import { DEFAULT_MAGIC, type EntryFormatSpec, entryFormat } from '../format/entry-format.js';
import { type FlashGeometry, validateGeometry } from '../flash/flash-memory.js';
import { KvsError, hex } from '../status.js';

/**
 * Everything needed to open a pw_kvs image: the flash geometry and the store's format options.
 * pw_kvs images carry none of it, so it comes from the firmware's configuration (or is inferred
 * from the bytes, see `detectImageConfig`).
 */
export interface ImageConfig {
  /** Bytes per sector (the erase unit). */
  readonly sectorSizeBytes: number;
  /** Sectors in the image. */
  readonly sectorCount: number;
  /** Flash write alignment in bytes. */
  readonly alignmentBytes: number;
  /** Readable entry formats, the primary first. */
  readonly formats: readonly Required<EntryFormatSpec>[];
  /** Copies of every entry. */
  readonly redundancy: number;
  /** Capacity of the key index (keys, deleted ones included). */
  readonly maxEntries: number;
  /**
   * The partition's alignment in bytes when larger than the flash's (entries pad to it), as
   * pw_kvs's FlashPartition allows: a multiple of `alignmentBytes` dividing the sector size.
   * Defaults to `alignmentBytes`.
   */
  readonly partitionAlignmentBytes?: number;
  /**
   * How the firmware's pw_kvs hashes key bytes: `signed` (x86 `char`) or `unsigned` (ARM, so
   * most Cortex-M firmware). Decides which keys collide. Defaults to `signed`.
   */
  readonly keyHashChar?: KeyHashChar;
}

/** pw_kvs's defaults as the reference cases use them: 4 × 4 KiB, alignment 16, CRC-16. */
export const DEFAULT_IMAGE_CONFIG: ImageConfig = Object.freeze({
  sectorSizeBytes: 4096,
  sectorCount: 4,
  alignmentBytes: 16,
  formats: Object.freeze([Object.freeze({ magic: DEFAULT_MAGIC, checksum: 'crc16' as const })]),
  redundancy: 1,
  maxEntries: 256,
});

/**
 * The largest image flashkv opens or makes: 1 GiB. pw_kvs partitions are KiB to a few MiB, and a
 * whole NOR chip a few hundred MiB at most; a config or a flag asking for more is a typo (an
 * extra digit), refused before anything is allocated.
 */
export const MAX_IMAGE_BYTES = 2 ** 30;

/** {@link MAX_IMAGE_BYTES} as messages name it. */
export const MAX_IMAGE_SIZE_TEXT = '1 GiB';

/** The fields of a config file, named as in scenario files. */
const CONFIG_FIELDS = [
  'sector_size',
  'sector_count',
  'alignment',
  'magic',
  'checksum',
  'extra_formats',
  'redundancy',
  'max_entries',
  'partition_alignment',
  'key_hash_char',
] as const;

type Json = Record<string, unknown>;

function invalid(where: string, problem: string): never {
  throw new KvsError('INVALID_ARGUMENT', `${where}: ${problem}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a magic given as a number or as text (decimal, or hex with 0x). */
export function parseMagic(where: string, value: unknown): number {
  let magic = value;
  if (typeof value === 'string') {
    const text = value.trim();
    magic = /^0x[0-9a-f]{1,8}$/i.test(text)
      ? parseInt(text, 16)
      : /^[0-9]{1,10}$/.test(text)
        ? Number(text)
        : NaN;
  }
  if (
    typeof magic !== 'number' ||
    !Number.isSafeInteger(magic) ||
    magic < 0 ||
    magic > 0xffffffff
  ) {
    invalid(where, `magic must be a u32 (decimal or 0x hex), got ${JSON.stringify(value)}`);
  }
  // Validates the magic the way a store will (0xffffffff reads as erased flash).
  entryFormat({ magic });
  return magic;
}

function formatSpec(where: string, magic: unknown, checksum: unknown): Required<EntryFormatSpec> {
  const name = checksum ?? 'crc16';
  if (!isChecksumName(name)) {
    invalid(where, `checksum must be crc16, crc32, none or ignore, got ${JSON.stringify(name)}`);
  }
  return { magic: parseMagic(where, magic), checksum: name };
}

function integerField(where: string, json: Json, field: string, fallback: number): number {
  const value = json[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    invalid(where, `'${field}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Checks a config as a whole: the geometry must be one pw_kvs runs on (≥ 2 sectors, a supported
 * alignment dividing the sector size), redundancy 1..8 and below the sector count, maxEntries
 * 1..1 000 000, at most {@link MAX_IMAGE_BYTES} in all, and no magic listed twice. Throws
 * INVALID_ARGUMENT prefixed with `where`.
 */
export function validateImageConfig(config: ImageConfig, where = 'config'): ImageConfig {
  try {
    validateGeometry(geometryOf(config));
  } catch (error) {
    if (KvsError.is(error)) invalid(where, error.message);
    throw error;
  }
  if (config.sectorCount < 2) {
    invalid(where, `pw_kvs needs at least 2 sectors, got ${config.sectorCount}`);
  }
  const sizeBytes = config.sectorSizeBytes * config.sectorCount;
  if (sizeBytes > MAX_IMAGE_BYTES) {
    invalid(
      where,
      `${config.sectorCount} sectors of ${config.sectorSizeBytes} B are ${sizeBytes} B, more than ` +
        `the ${MAX_IMAGE_SIZE_TEXT} (${MAX_IMAGE_BYTES} B) flashkv opens`,
    );
  }
  if (config.redundancy < 1 || config.redundancy > 8) {
    invalid(where, `redundancy must be 1..8, got ${config.redundancy}`);
  }
  if (config.redundancy >= config.sectorCount) {
    invalid(
      where,
      `redundancy ${config.redundancy} needs more than ${config.redundancy} sectors, got ${config.sectorCount}`,
    );
  }
  if (config.maxEntries < 1 || config.maxEntries > 1_000_000) {
    invalid(where, `max_entries must be 1..1000000, got ${config.maxEntries}`);
  }
  const partitionAlignment = config.partitionAlignmentBytes ?? config.alignmentBytes;
  if (
    partitionAlignment % config.alignmentBytes !== 0 ||
    config.sectorSizeBytes % partitionAlignment !== 0
  ) {
    invalid(
      where,
      `partition_alignment ${partitionAlignment} must be a multiple of the alignment ` +
        `(${config.alignmentBytes}) dividing the sector size (${config.sectorSizeBytes})`,
    );
  }
  if (config.keyHashChar !== undefined && !['signed', 'unsigned'].includes(config.keyHashChar)) {
    invalid(where, `key_hash_char must be signed or unsigned, got ${String(config.keyHashChar)}`);
  }
  if (config.formats.length === 0) invalid(where, 'at least one entry format is required');
  const magics = new Set<number>();
  for (const format of config.formats) {
    if (magics.has(format.magic)) invalid(where, `magic ${hex(format.magic)} is listed twice`);
    magics.add(format.magic);
  }
  return config;
}

/**
 * Reads a config object (a config file's JSON, the same field names as scenario files:
 * `sector_size`, `sector_count`, `alignment`, `magic`, `checksum`, `extra_formats`,
 * `redundancy`, `max_entries`). Missing fields come from `base`. Throws INVALID_ARGUMENT naming
 * `source` and the field for an unknown field, a value of the wrong type, or a config that
 * cannot work (see {@link validateImageConfig}).
 */
export function parseImageConfig(
  json: unknown,
  source: string,
  base: ImageConfig = DEFAULT_IMAGE_CONFIG,
): ImageConfig {
  if (!isObject(json)) invalid(source, 'a config must be a JSON object');
  for (const field of Object.keys(json)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(field)) {
      invalid(source, `unknown field '${field}' (fields: ${CONFIG_FIELDS.join(', ')})`);
    }
  }
  const primary = base.formats[0]!;
  const formats = [
    formatSpec(source, json.magic ?? primary.magic, json.checksum ?? primary.checksum),
  ];
  if (json.extra_formats !== undefined) {
    if (!Array.isArray(json.extra_formats)) invalid(source, "'extra_formats' must be an array");
    json.extra_formats.forEach((format: unknown, i) => {
      const where = `${source} extra_formats[${i}]`;
      if (!isObject(format)) invalid(where, 'must be an object {magic, checksum}');
      formats.push(formatSpec(where, format.magic, format.checksum));
    });
  } else {
    formats.push(...base.formats.slice(1));
  }
  const keyHashChar = json.key_hash_char ?? base.keyHashChar;
  if (keyHashChar !== undefined && keyHashChar !== 'signed' && keyHashChar !== 'unsigned') {
    invalid(
      source,
      `'key_hash_char' must be signed or unsigned, got ${JSON.stringify(keyHashChar)}`,
    );
  }
  const partitionAlignment =
    json.partition_alignment === undefined
      ? base.partitionAlignmentBytes
      : integerField(source, json, 'partition_alignment', 1);
  return validateImageConfig(
    {
      ...(partitionAlignment === undefined ? {} : { partitionAlignmentBytes: partitionAlignment }),
      ...(keyHashChar === undefined ? {} : { keyHashChar }),
      sectorSizeBytes: integerField(source, json, 'sector_size', base.sectorSizeBytes),
      sectorCount: integerField(source, json, 'sector_count', base.sectorCount),
      alignmentBytes: integerField(source, json, 'alignment', base.alignmentBytes),
      formats,
      redundancy: integerField(source, json, 'redundancy', base.redundancy),
      maxEntries: integerField(source, json, 'max_entries', base.maxEntries),
    },
    source,
  );
}

/**
 * Config settings as a command line gives them: text as typed, each optional. Error messages
 * name them as flags (`--sector-size`).
 */
export interface ImageConfigFlags {
  /** Bytes per sector. */
  readonly 'sector-size'?: string;
  /** Sector count. */
  readonly sectors?: string;
  /** Flash write alignment in bytes. */
  readonly alignment?: string;
  /** Primary format's magic, decimal or 0x hex. */
  readonly magic?: string;
  /** Primary format's checksum name. */
  readonly checksum?: string;
  /** Legacy formats, `MAGIC:CHECKSUM[,MAGIC:CHECKSUM…]` (checksum defaults to crc16). */
  readonly 'extra-formats'?: string;
  readonly redundancy?: string;
  readonly 'max-entries'?: string;
  /** The firmware's CPU for key hashes: `x86` (signed char) or `arm` (unsigned). */
  readonly 'target-arch'?: string;
}

/** Where the settings of {@link mergeImageConfig} come from, lowest priority first. */
export interface ImageConfigSources {
  /**
   * The config to start from: a detected one, or defaults. Defaults to
   * {@link DEFAULT_IMAGE_CONFIG}.
   */
  readonly base?: ImageConfig;
  /**
   * True if `base`'s sector count is the image's (a detected config); else, without a file
   * that gives `sector_count`, the count follows from the image's size. Defaults to false.
   */
  readonly baseSectorCountKnown?: boolean;
  /**
   * A config file's JSON (see {@link parseImageConfig}; its missing fields come from `base`) and
   * the file's name, for messages.
   */
  readonly file?: { readonly json: unknown; readonly name: string };
  /** Flags as typed, on top of everything else. */
  readonly flags?: ImageConfigFlags;
  /** The flags already parsed ({@link parseImageConfigFlags}); replaces `flags` when given. */
  readonly overrides?: ImageConfigOverrides;
  /** The image's size in bytes, when there is an image. */
  readonly imageSizeBytes?: number;
  /** How messages name the image. Defaults to `the image`. */
  readonly imageName?: string;
}

/** Parses a flag's positive integer; throws INVALID_ARGUMENT naming `--flag`. */
export function positiveIntegerFlag(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    invalid(`--${flag}`, `expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function checksumFlag(flag: string, text: string): ChecksumName {
  if (!isChecksumName(text)) {
    invalid(`--${flag}`, `expected crc16, crc32, none or ignore, got ${JSON.stringify(text)}`);
  }
  return text;
}

/**
 * Config flags parsed: numbers and names, each present only when its flag was given. What
 * {@link parseImageConfigFlags} makes of {@link ImageConfigFlags}, so a caller that needs one
 * of them early (detection bound to `--sector-size`) parses the text once.
 */
export interface ImageConfigOverrides {
  readonly sectorSizeBytes?: number;
  readonly sectorCount?: number;
  /** The primary format's magic. */
  readonly magic?: number;
  /** The primary format's checksum. */
  readonly checksum?: ChecksumName;
  /** The legacy formats, replacing the base's. */
  readonly extraFormats?: readonly Required<EntryFormatSpec>[];
  readonly alignmentBytes?: number;
  readonly redundancy?: number;
  readonly maxEntries?: number;
  readonly keyHashChar?: KeyHashChar;
}

/**
 * Parses config flags (text as typed) into their values. Pure. Throws INVALID_ARGUMENT naming
 * the first bad flag, in the order `--sector-size`, `--sectors`, `--magic`, `--checksum`,
 * `--extra-formats`, `--alignment`, `--redundancy`, `--max-entries`, `--target-arch`.
 */
export function parseImageConfigFlags(flags: ImageConfigFlags): ImageConfigOverrides {
  const integer = (flag: keyof ImageConfigFlags): number | undefined => {
    const text = flags[flag];
    return text === undefined ? undefined : positiveIntegerFlag(flag, text);
  };
  const sectorSizeBytes = integer('sector-size');
  const sectorCount = integer('sectors');
  const magic = flags.magic === undefined ? undefined : parseMagic('--magic', flags.magic);
  const checksum =
    flags.checksum === undefined ? undefined : checksumFlag('checksum', flags.checksum);
  let extraFormats: Required<EntryFormatSpec>[] | undefined;
  if (flags['extra-formats'] !== undefined) {
    extraFormats = [];
    for (const spec of flags['extra-formats'].split(',').filter((part) => part.trim() !== '')) {
      const [specMagic, specChecksum = 'crc16', rest] = spec.split(':');
      if (rest !== undefined || specMagic === undefined) {
        invalid('--extra-formats', `expected MAGIC:CHECKSUM, got ${JSON.stringify(spec)}`);
      }
      extraFormats.push({
        magic: parseMagic('--extra-formats', specMagic),
        checksum: checksumFlag('extra-formats', specChecksum.trim()),
      });
    }
  }
  const alignmentBytes = integer('alignment');
  const redundancy = integer('redundancy');
  const maxEntries = integer('max-entries');
  const arch = flags['target-arch'];
  let keyHashChar: KeyHashChar | undefined;
  if (arch === 'x86') keyHashChar = 'signed';
  else if (arch === 'arm') keyHashChar = 'unsigned';
  else if (arch !== undefined) {
    invalid('--target-arch', `expected x86 or arm, got ${JSON.stringify(arch)}`);
  }
  const values = {
    sectorSizeBytes,
    sectorCount,
    magic,
    checksum,
    extraFormats,
    alignmentBytes,
    redundancy,
    maxEntries,
    keyHashChar,
  };
  return Object.fromEntries(
    Object.entries(values).filter(([, value]) => value !== undefined),
  ) as ImageConfigOverrides;
}

/**
 * The config of an image from its sources: `base`, then the config file's fields, then the
 * flags (`flags` as typed, or `overrides` already parsed). Without `--sectors` or a
 * `sector_count` the base or file vouches for, the sector count is the image's size over the
 * sector size, rounded up (a truncated dump's missing tail reads as erased). `--magic` /
 * `--checksum` replace the primary format's fields; `--extra-formats` replaces the legacy
 * formats. Pure. Throws INVALID_ARGUMENT, naming the file or the flag, for a bad file field
 * (see {@link parseImageConfig}), a bad flag, an empty image whose sector count is needed, or
 * a config that cannot work (see {@link validateImageConfig}); OUT_OF_RANGE when `--sectors`
 * asks for more bytes than the image has.
 */
export function mergeImageConfig(sources: ImageConfigSources): ImageConfig {
  const { file, imageSizeBytes } = sources;
  let base = sources.base ?? DEFAULT_IMAGE_CONFIG;
  let sectorCountKnown = sources.baseSectorCountKnown ?? false;
  if (file !== undefined) {
    base = parseImageConfig(file.json, `config file ${file.name}`, base);
    // A config without sector_count fits any size: the count follows from the image.
    sectorCountKnown = isObject(file.json) && 'sector_count' in file.json;
  }
  const flags = sources.overrides ?? parseImageConfigFlags(sources.flags ?? {});
  const sectorSizeBytes = flags.sectorSizeBytes ?? base.sectorSizeBytes;
  let sectorCount = base.sectorCount;
  if (flags.sectorCount !== undefined) {
    sectorCount = flags.sectorCount;
    // Flags describe the image at hand: asking for more than it holds is a typo, refused before
    // a byte is allocated (a truncated dump is described by its config file instead).
    const askedBytes = sectorSizeBytes * sectorCount;
    if (imageSizeBytes !== undefined && askedBytes > imageSizeBytes) {
      throw new KvsError(
        'OUT_OF_RANGE',
        `--sectors ${sectorCount}: ${sectorCount} sectors of ${sectorSizeBytes} B are ${askedBytes} B, but ` +
          `${sources.imageName ?? 'the image'} has ${imageSizeBytes} B (at most ` +
          `${Math.floor(imageSizeBytes / sectorSizeBytes)} sectors); a truncated dump is described by its config file`,
      );
    }
  } else if (
    imageSizeBytes !== undefined &&
    (!sectorCountKnown || flags.sectorSizeBytes !== undefined)
  ) {
    if (imageSizeBytes === 0) {
      throw new KvsError('INVALID_ARGUMENT', `${sources.imageName ?? 'the image'} is empty`);
    }
    sectorCount = Math.ceil(imageSizeBytes / sectorSizeBytes);
  }
  const primary = base.formats[0]!;
  const formats = [
    { magic: flags.magic ?? primary.magic, checksum: flags.checksum ?? primary.checksum },
    ...(flags.extraFormats ?? base.formats.slice(1)),
  ];
  const keyHashChar = flags.keyHashChar ?? base.keyHashChar;
  const config: ImageConfig = {
    sectorSizeBytes,
    sectorCount,
    alignmentBytes: flags.alignmentBytes ?? base.alignmentBytes,
    formats,
    redundancy: flags.redundancy ?? base.redundancy,
    maxEntries: flags.maxEntries ?? base.maxEntries,
    ...(base.partitionAlignmentBytes === undefined
      ? {}
      : { partitionAlignmentBytes: base.partitionAlignmentBytes }),
    ...(keyHashChar === undefined ? {} : { keyHashChar }),
  };
  return validateImageConfig(config, file === undefined ? 'config' : `config (with ${file.name})`);
}

/** A config as a config file's JSON object (the inverse of {@link parseImageConfig}). */
export function imageConfigToJson(config: ImageConfig): Json {
  const [primary, ...extra] = config.formats;
  return {
    sector_size: config.sectorSizeBytes,
    sector_count: config.sectorCount,
    alignment: config.alignmentBytes,
    magic: primary!.magic,
    checksum: primary!.checksum,
    extra_formats: extra.map((format) => ({ magic: format.magic, checksum: format.checksum })),
    redundancy: config.redundancy,
    max_entries: config.maxEntries,
    // Written only when set, so configs without them read as before.
    ...(config.partitionAlignmentBytes === undefined
      ? {}
      : { partition_alignment: config.partitionAlignmentBytes }),
    ...(config.keyHashChar === undefined ? {} : { key_hash_char: config.keyHashChar }),
  };
}

/** The flash geometry of a config. */
export function geometryOf(config: ImageConfig): FlashGeometry {
  return {
    sectorSizeBytes: config.sectorSizeBytes,
    sectorCount: config.sectorCount,
    alignmentBytes: config.alignmentBytes,
  };
}

/**
 * The store options of a config. Everything else is pw_kvs's behaviour, stated where the
 * library's default differs: power-loss hardening is off, so the tools write the bytes the
 * firmware's pw_kvs would.
 */
export function storeOptionsOf(config: ImageConfig): KeyValueStoreOptions {
  return {
    formats: config.formats,
    redundancy: config.redundancy,
    maxEntries: config.maxEntries,
    keyHashChar: config.keyHashChar ?? 'signed',
    powerLossHardening: false,
  };
}

/** The partition options of a config: its partition alignment, when it has one. */
export function partitionOptionsOf(config: ImageConfig): FlashPartitionOptions {
  return config.partitionAlignmentBytes === undefined
    ? {}
    : { alignmentBytes: config.partitionAlignmentBytes };
}

/** One line describing a config, for reports. */
export function describeImageConfig(config: ImageConfig): string {
  const formats = config.formats
    .map((format) => `magic ${hex(format.magic)} ${format.checksum}`)
    .join(', legacy ');
  return (
    `${config.sectorCount} × ${config.sectorSizeBytes} B sectors, alignment ${config.alignmentBytes} B, ` +
    `${formats}, redundancy ${config.redundancy}, max ${config.maxEntries} entries`
  );
}

export type { ChecksumName };
