import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { KeyValueStore, type KeyValueStoreOptions } from '../engine/key-value-store.js';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { isChecksumName } from '../format/checksum.js';
import {
  DEFAULT_IMAGE_CONFIG,
  type ImageConfig,
  geometryOf,
  parseImageConfig,
  parseMagic,
  partitionOptionsOf,
  storeOptionsOf,
  validateImageConfig,
} from '../image/config.js';
import { type DetectedImageConfig, detectImageConfig } from '../image/detect.js';
import { type ImageScan, scanImage } from '../image/scan.js';
import { readImageFile, writeFileAtomic } from '../node/image-file.js';
import { KvsError, type StatusCode } from '../status.js';
import { cliFail } from './_errors.js';
import { readJsonFile } from './_io.js';

/** Flags every command on an image accepts: where its config comes from. */
export const CONFIG_ARGS = {
  config: {
    type: 'string',
    description: 'Config JSON file (default: IMAGE.json beside the image, when present)',
  },
  detect: {
    type: 'boolean',
    description: 'Infer the config from the image bytes instead of the defaults',
  },
  'sector-size': { type: 'string', description: 'Bytes per sector (default 4096)' },
  sectors: { type: 'string', description: 'Sector count (default: image size / sector size)' },
  alignment: { type: 'string', description: 'Flash write alignment in bytes (default 16)' },
  magic: { type: 'string', description: 'Primary entry format magic, decimal or 0x hex' },
  checksum: {
    type: 'string',
    description: 'Primary checksum: crc16 (default), crc32, none, ignore',
  },
  'extra-formats': {
    type: 'string',
    description: 'Legacy formats, MAGIC:CHECKSUM[,MAGIC:CHECKSUM…]',
  },
  redundancy: { type: 'string', description: 'Copies of every entry (default 1)' },
  'max-entries': { type: 'string', description: 'Key index capacity (default 256)' },
  'target-arch': {
    type: 'string',
    description: "Firmware's CPU, for key hashes: x86 (signed char, default) or arm (unsigned)",
  },
} as const;

/** The `--json` flag. */
export const JSON_ARG = {
  json: { type: 'boolean', description: 'Print the result as JSON' },
} as const;

/** The `--force` flag of commands that change an image. */
export const FORCE_ARG = {
  force: {
    type: 'boolean',
    description: 'Go ahead even when pw_kvs would drop entries (surplus keys, unlisted magics)',
  },
} as const;

/** Parsed values of {@link CONFIG_ARGS}. */
export interface ConfigArgs {
  config?: string;
  detect?: boolean;
  'sector-size'?: string;
  sectors?: string;
  alignment?: string;
  magic?: string;
  checksum?: string;
  'extra-formats'?: string;
  redundancy?: string;
  'max-entries'?: string;
  'target-arch'?: string;
}

/** Where a config came from, for messages and `info`. */
export interface ResolvedConfig {
  readonly config: ImageConfig;
  /** The config file read, if any. */
  readonly file?: string;
  /** What detection found, with `--detect`. */
  readonly detected?: DetectedImageConfig;
}

function positiveInteger(flag: string, text: string): number {
  if (!/^[0-9]+$/.test(text.trim()) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    cliFail(`--${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function checksumFlag(flag: string, text: string): 'crc16' | 'crc32' | 'none' | 'ignore' {
  if (!isChecksumName(text)) {
    cliFail(`--${flag}: expected crc16, crc32, none or ignore, got ${JSON.stringify(text)}`);
  }
  return text;
}

function magicFlag(flag: string, text: string): number {
  try {
    return parseMagic(`--${flag}`, text);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
}

/** The config file picked up beside an image: IMAGE.json, else IMAGE with .json for its extension. */
export function configFileBeside(imagePath: string): string | undefined {
  const candidates = [`${imagePath}.json`];
  const extension = extname(imagePath);
  if (extension !== '' && extension !== '.json') {
    candidates.push(`${imagePath.slice(0, -extension.length)}.json`);
  }
  return candidates.find((path) => existsSync(path));
}

/**
 * Works out an image's config: `--detect` (from `image`) or a config file (`--config`, else
 * one beside the image, unless not `lookBeside`) or `fallback` (pw_kvs's defaults), then the
 * flags on top. Without
 * `--sectors` or a `sector_count` in the file, the sector count follows from the image's size.
 * Fails with one line naming the problem.
 */
export function resolveConfig(
  imagePath: string,
  args: ConfigArgs,
  image: Uint8Array | undefined,
  fallback: ImageConfig = DEFAULT_IMAGE_CONFIG,
  lookBeside = true,
): ResolvedConfig {
  let base = fallback;
  let file: string | undefined;
  let detected: DetectedImageConfig | undefined;
  let sectorCountKnown = false;
  try {
    if (args.detect === true) {
      if (image === undefined)
        cliFail(`--detect needs an existing image, ${imagePath} does not exist`);
      detected = detectImageConfig(image);
      base = detected.config;
      sectorCountKnown = true;
    } else {
      file = args.config ?? (lookBeside ? configFileBeside(imagePath) : undefined);
      if (file !== undefined) {
        const json = readJsonFile(file, 'config file');
        base = parseImageConfig(json, `config file ${file}`, fallback);
        // A config without sector_count fits any size: the count follows from the image.
        sectorCountKnown = typeof json === 'object' && json !== null && 'sector_count' in json;
      }
    }
  } catch (error) {
    if (KvsError.is(error)) {
      cliFail(
        args.detect === true
          ? `cannot detect the config of ${imagePath}: ${error.message}`
          : error.message,
      );
    }
    throw error;
  }

  const sectorSizeBytes =
    args['sector-size'] === undefined
      ? base.sectorSizeBytes
      : positiveInteger('sector-size', args['sector-size']);
  let sectorCount = base.sectorCount;
  if (args.sectors !== undefined) {
    sectorCount = positiveInteger('sectors', args.sectors);
  } else if (image !== undefined && (!sectorCountKnown || args['sector-size'] !== undefined)) {
    sectorCount = image.length / sectorSizeBytes;
    if (!Number.isInteger(sectorCount) || image.length === 0) {
      cliFail(
        `image file ${imagePath} is ${image.length} B, not a whole number of ${sectorSizeBytes} B sectors (` +
          (args['sector-size'] === undefined
            ? 'truncated, or pass --sector-size)'
            : 'truncated, or the wrong --sector-size)'),
      );
    }
  }
  let formats = [...base.formats];
  if (args.magic !== undefined || args.checksum !== undefined) {
    formats[0] = {
      magic: args.magic === undefined ? formats[0]!.magic : magicFlag('magic', args.magic),
      checksum:
        args.checksum === undefined
          ? formats[0]!.checksum
          : checksumFlag('checksum', args.checksum),
    };
  }
  if (args['extra-formats'] !== undefined) {
    formats = [formats[0]!];
    for (const spec of args['extra-formats'].split(',').filter((part) => part.trim() !== '')) {
      const [magic, checksum = 'crc16', rest] = spec.split(':');
      if (rest !== undefined || magic === undefined) {
        cliFail(`--extra-formats: expected MAGIC:CHECKSUM, got ${JSON.stringify(spec)}`);
      }
      formats.push({
        magic: magicFlag('extra-formats', magic),
        checksum: checksumFlag('extra-formats', checksum.trim()),
      });
    }
  }
  const config: ImageConfig = {
    sectorSizeBytes,
    sectorCount,
    alignmentBytes:
      args.alignment === undefined
        ? base.alignmentBytes
        : positiveInteger('alignment', args.alignment),
    formats,
    redundancy:
      args.redundancy === undefined
        ? base.redundancy
        : positiveInteger('redundancy', args.redundancy),
    maxEntries:
      args['max-entries'] === undefined
        ? base.maxEntries
        : positiveInteger('max-entries', args['max-entries']),
    ...(base.partitionAlignmentBytes === undefined
      ? {}
      : { partitionAlignmentBytes: base.partitionAlignmentBytes }),
    ...keyHashCharOf(args['target-arch'], base),
  };
  try {
    validateImageConfig(config, file === undefined ? 'config' : `config (with ${file})`);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
  if (image !== undefined) checkImageSize(imagePath, image, config);
  return {
    config,
    ...(file === undefined ? {} : { file }),
    ...(detected === undefined ? {} : { detected }),
  };
}

/** The key hash's `char` for `--target-arch` (x86: signed, arm: unsigned), else the base's. */
function keyHashCharOf(arch: string | undefined, base: ImageConfig): Partial<ImageConfig> {
  if (arch === undefined)
    return base.keyHashChar === undefined ? {} : { keyHashChar: base.keyHashChar };
  if (arch === 'x86') return { keyHashChar: 'signed' };
  if (arch === 'arm') return { keyHashChar: 'unsigned' };
  return cliFail(`--target-arch: expected x86 or arm, got ${JSON.stringify(arch)}`);
}

/** Fails unless the image is exactly the config's size (a truncated dump must not be opened). */
function checkImageSize(imagePath: string, image: Uint8Array, config: ImageConfig): void {
  const expected = config.sectorSizeBytes * config.sectorCount;
  if (image.length !== expected) {
    cliFail(
      `image file ${imagePath} is ${image.length} B, but the config is ${config.sectorCount} × ${config.sectorSizeBytes} B = ${expected} B (truncated, or the wrong --sector-size / --sectors)`,
    );
  }
}

/** Reads an image file, failing with one line (exit 2) when it is missing or unreadable. */
export function readImage(imagePath: string): Uint8Array {
  try {
    return readImageFile(imagePath);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
}

/** A store opened on an in-memory copy of an image. */
export interface OpenedImage {
  readonly path: string;
  readonly config: ImageConfig;
  /** The bytes as read from the file. */
  readonly original: Uint8Array;
  /** The copy the store works on. */
  readonly flash: MemoryFlash;
  readonly store: KeyValueStore;
  /** The scan of the original bytes. */
  readonly scan: ImageScan;
  readonly initStatus: StatusCode;
  readonly resolved: ResolvedConfig;
}

/** Options of {@link openImage}. */
export interface OpenImageOptions {
  /** The command will save the image: refuse what would make pw_kvs drop entries. */
  forWriting: boolean;
  /**
   * With `forWriting`: the command is a repair, so corrupt data is what it is for. Other
   * changing commands refuse an image with corrupt data (pw_kvs's init would erase it).
   */
  isRepair?: boolean;
  /** `--force`: go ahead anyway. */
  force?: boolean;
}

/**
 * A store with `config`'s options on an in-memory flash of its geometry, holding `contents`
 * (erased when omitted). Not initialised.
 */
export function storeOn(
  config: ImageConfig,
  contents?: Uint8Array,
  options: KeyValueStoreOptions = {},
): { flash: MemoryFlash; store: KeyValueStore } {
  const flash = new MemoryFlash({
    ...geometryOf(config),
    ...(contents === undefined ? {} : { contents }),
  });
  const store = new KeyValueStore(new FlashPartition(flash, partitionOptionsOf(config)), {
    ...storeOptionsOf(config),
    ...options,
  });
  return { flash, store };
}

/**
 * Reads an image, works out its config and opens a store on an in-memory copy (so init's
 * repairs never reach the file unless the command saves). For writing, refuses images where
 * init would drop entries (more keys than max_entries, entries of an unlisted magic) unless
 * `force`. Fails with one line for every input problem.
 */
export function openImage(
  imagePath: string,
  args: ConfigArgs,
  options: OpenImageOptions,
): OpenedImage {
  const original = readImage(imagePath);
  const resolved = resolveConfig(imagePath, args, original);
  const { config } = resolved;
  const scan = scanImage(original, config);
  if (options.forWriting && options.force !== true)
    refuseDataLoss(imagePath, original, resolved, scan, options);
  const { flash, store } = storeOn(config, original, {
    // The copy is never saved by commands that only look; pw_kvs's behaviour is then harmless.
    surplusKeys: options.forWriting && options.force !== true ? 'refuse' : 'treatAsCorrupt',
  });
  const initStatus = store.initStatus();
  return { path: imagePath, config, original, flash, store, scan, initStatus, resolved };
}

/**
 * Fails, naming the reason, when saving the image could lose entries: init would drop keys
 * (more than max_entries, a magic the config does not list), the bytes fit another sector
 * size (a wrong config makes real entries look corrupt, and repair erases them), or, for
 * anything but a repair, the image holds corrupt data that init would erase.
 */
function refuseDataLoss(
  imagePath: string,
  original: Uint8Array,
  resolved: ResolvedConfig,
  scan: ImageScan,
  options: OpenImageOptions,
): void {
  const refuse = (why: string, fix: string): never =>
    cliFail(`refusing to change ${imagePath}: ${why}. ${fix}, or pass --force`);
  const dropping = scan.problems.filter(
    (problem) => problem.kind === 'too-many-keys' || problem.kind === 'unknown-format',
  );
  if (dropping.length > 0) {
    refuse(
      dropping.map((problem) => problem.message).join('; '),
      'Fix the config (--max-entries, --magic, --extra-formats, or --detect)',
    );
  }
  const { config } = resolved;
  if (resolved.detected === undefined && scan.corruptRegions.length > 0) {
    let detected: DetectedImageConfig | undefined;
    try {
      detected = detectImageConfig(original);
    } catch {
      detected = undefined; // Nothing to compare with.
    }
    const fitting =
      detected === undefined ? [] : [detected.config.sectorSizeBytes, ...detected.otherSectorSizes];
    if (detected !== undefined && !fitting.includes(config.sectorSizeBytes)) {
      refuse(
        `its entries fit ${fitting.join(' or ')} B sectors, not the ${config.sectorSizeBytes} B of the config`,
        'Check --sector-size (flashkv info IMAGE --detect)',
      );
    }
  }
  const corrupt = scan.problems.filter((problem) => problem.kind === 'corrupt-data');
  if (options.isRepair !== true && corrupt.length > 0) {
    refuse(
      `${corrupt.length === 1 ? 'a corrupt region' : `${corrupt.length} corrupt regions`} (${corrupt[0]!.message}) that pw_kvs's init would erase`,
      'See flashkv check, and flashkv repair --dry-run before repairing',
    );
  }
}

/** Sectors whose bytes in the copy differ from the file's (what init or a command changed). */
export function changedSectors(image: OpenedImage): number[] {
  const { sectorSizeBytes } = image.config;
  const bytes = image.flash.bytes;
  const changed: number[] = [];
  for (let start = 0; start < bytes.length; start += sectorSizeBytes) {
    for (let i = start; i < start + sectorSizeBytes; i++) {
      if (bytes[i] !== image.original[i]) {
        changed.push(start / sectorSizeBytes);
        break;
      }
    }
  }
  return changed;
}

/** Writes the copy back to the file atomically, if it changed. Returns true if it wrote. */
export function saveImage(image: OpenedImage): boolean {
  if (changedSectors(image).length === 0) return false;
  writeFile(image.path, image.flash.bytes);
  return true;
}

/** Writes a file atomically, failing with one line. */
export function writeFile(path: string, data: Uint8Array | string): void {
  try {
    writeFileAtomic(path, data);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
}

/** Fails (exit 2) when the store could not open at all. */
export function requireOpen(image: OpenedImage): void {
  if (!image.store.isOpen) {
    cliFail(`cannot open ${image.path}: init reported ${image.initStatus}`);
  }
}

/** Fails (exit 2) unless the store accepts writes. */
export function requireWritable(image: OpenedImage): void {
  requireOpen(image);
  if (!image.store.isReady) {
    cliFail(
      `${image.path} has errors init could not repair (init reported ${image.initStatus}): run flashkv check, then flashkv repair`,
    );
  }
}
