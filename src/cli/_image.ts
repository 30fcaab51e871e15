import { existsSync, realpathSync } from 'node:fs';
import { extname } from 'node:path';
import type { KeyValueStore } from '../engine/key-value-store.js';
import type { MemoryFlash } from '../flash/memory-flash.js';
import {
  DEFAULT_IMAGE_CONFIG,
  type ImageConfig,
  type ImageConfigFlags,
  mergeImageConfig,
  positiveIntegerFlag,
} from '../image/config.js';
import { type DetectedImageConfig, detectImageConfig } from '../image/detect.js';
import { bytesToHex } from '../bytes.js';
import { type ImageScan, scanImage } from '../image/scan.js';
import {
  type ImageBytes,
  changedSectorsOf,
  isErased,
  openImageBytes,
  otherConfigHint,
  refuseDataLoss,
  storeOn,
} from '../image/open.js';
import { utf8Encode } from '../utf8.js';
import { type ValueType, isValueType } from './_manifest.js';
import {
  type PartitionWindow,
  fitImage,
  parseByteCount,
  partitionWindow,
} from '../image/window.js';
import { readImageFile, writeFileAtomic } from '../node/image-file.js';
import { DEFAULT_LOCK_TIMEOUT_MS, LockedImageFile } from '../node/image-lock.js';
import { KvsError, type StatusCode } from '../status.js';
import { EXIT_PROBLEMS, cliFail } from './_errors.js';
import { io, printError, readJsonFile, setExitCode, writeStdout } from './_io.js';

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
  offset: {
    type: 'string',
    description: 'Where the partition starts in the file, decimal or 0x hex (default 0)',
  },
  size: {
    type: 'string',
    description: "The partition's size in bytes, decimal or 0x hex (default: to the end)",
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

/** Parsed values of {@link CONFIG_ARGS}: the config flags the core merges, and the CLI's own. */
export interface ConfigArgs extends ImageConfigFlags {
  config?: string;
  detect?: boolean;
  offset?: string;
  size?: string;
}

/** Where a config came from, for messages and `info`. */
export interface ResolvedConfig {
  readonly config: ImageConfig;
  /** The config file read, if any. */
  readonly file?: string;
  /** What detection found, with `--detect`. */
  readonly detected?: DetectedImageConfig;
  /**
   * Value types by key (hex), from the config file's `value_types` (`create` saves the types a
   * manifest gave), so `export` writes `u32 7` again rather than hex.
   */
  readonly valueTypes?: ReadonlyMap<string, ValueType>;
}

/** The `value_types` field of a config file: key text → type. Fails with one line. */
function valueTypesOf(file: string, json: unknown): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    cliFail(`config file ${file}: 'value_types' must be an object {key: type}`);
  }
  for (const [key, type] of Object.entries(json)) {
    if (!isValueType(type)) {
      cliFail(`config file ${file}: value_types.${key}: expected u8..u64, i8..i64, f32 or f64`);
    }
    const id = key.startsWith('hex:') ? key.slice(4).toLowerCase() : bytesToHex(utf8Encode(key));
    types.set(id, type);
  }
  return types;
}

/** The result of a library call, or one line (exit 2) naming what was wrong with the input. */
function orFail<T>(call: () => T): T {
  try {
    return call();
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
  let file: string | undefined;
  let json: unknown;
  let detected: DetectedImageConfig | undefined;
  let valueTypes: Map<string, ValueType> | undefined;
  if (args.detect === true) {
    if (image === undefined)
      cliFail(`--detect needs an existing image, ${imagePath} does not exist`);
    const sectorSize = args['sector-size'];
    const options =
      sectorSize === undefined
        ? {}
        : { sectorSizeBytes: orFail(() => positiveIntegerFlag('sector-size', sectorSize)) };
    try {
      detected = detectImageConfig(image, options);
    } catch (error) {
      if (KvsError.is(error)) cliFail(`cannot detect the config of ${imagePath}: ${error.message}`);
      throw error;
    }
  } else {
    file = args.config ?? (lookBeside ? configFileBeside(imagePath) : undefined);
    if (file !== undefined) {
      json = readJsonFile(file, 'config file');
      if (typeof json === 'object' && json !== null && 'value_types' in json) {
        const { value_types: types, ...rest } = json as Record<string, unknown>;
        valueTypes = valueTypesOf(file, types);
        json = rest;
      }
    }
  }
  const config = orFail(() =>
    mergeImageConfig({
      base: detected?.config ?? fallback,
      baseSectorCountKnown: detected !== undefined,
      ...(file === undefined ? {} : { file: { json, name: file } }),
      flags: args,
      ...(image === undefined ? {} : { imageSizeBytes: image.length }),
      imageName: `image file ${imagePath}`,
    }),
  );
  return {
    config,
    ...(file === undefined ? {} : { file }),
    ...(detected === undefined ? {} : { detected }),
    ...(valueTypes === undefined ? {} : { valueTypes }),
  };
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

/** A store opened on an in-memory copy of an image file. */
export interface OpenedImage extends ImageBytes {
  readonly path: string;
  readonly config: ImageConfig;
  /** The partition's bytes as read (fitted to the config: a truncated tail reads as erased). */
  readonly original: Uint8Array;
  /** The whole file as read (the partition is `window` of it). */
  readonly file: Uint8Array;
  /** Where the partition lies in the file. */
  readonly window: PartitionWindow;
  /** Bytes of the partition the file lacks, read as erased: the image is then read-only. */
  readonly truncatedBytes: number;
  /** Bytes of the file past the partition (trailing garbage), ignored and kept. */
  readonly trailingBytes: number;
  /** What the user should know before trusting the result (also printed to stderr). */
  readonly warnings: readonly string[];
  /** Set when the config sees no valid entry but another config would: what to check. */
  readonly otherConfigHint?: string;
  /** The copy the store works on. */
  readonly flash: MemoryFlash;
  readonly store: KeyValueStore;
  /** The scan of the original bytes. */
  readonly scan: ImageScan;
  readonly initStatus: StatusCode;
  readonly resolved: ResolvedConfig;
  /** The lock held for a change ({@link changeImage}); undefined for looking commands. */
  readonly locked?: LockedImageFile;
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
  /** Keep warnings in {@link OpenedImage.warnings} only (batch check), print nothing. */
  quiet?: boolean;
}

export { storeOn };

function byteFlag(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseByteCount(`--${flag}`, text);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
}

/** The partition window of `file` that `--offset` / `--size` name. */
function windowOf(imagePath: string, file: Uint8Array, args: ConfigArgs): PartitionWindow {
  const offset = byteFlag('offset', args.offset) ?? 0;
  const size = byteFlag('size', args.size);
  if (size === 0) cliFail('--size: the partition cannot be empty');
  try {
    return partitionWindow(file.length, offset, size);
  } catch (error) {
    if (KvsError.is(error)) cliFail(`${imagePath}: ${error.message}`);
    throw error;
  }
}

/** Opens the bytes of a file: window, config, fit, scan, store. */
function openBytes(
  imagePath: string,
  file: Uint8Array,
  args: ConfigArgs,
  options: OpenImageOptions,
  locked?: LockedImageFile,
): OpenedImage {
  const window = windowOf(imagePath, file, args);
  const present = file.subarray(window.offset, window.offset + window.sizeBytes);
  // A --size past the end of the file is a truncated dump: its missing bytes read as erased.
  const asked =
    window.missingBytes === 0
      ? present
      : fitImage(present, window.sizeBytes + window.missingBytes).bytes;
  const resolved = resolveConfig(imagePath, args, asked);
  const { config } = resolved;
  const fitted = fitImage(present, config.sectorSizeBytes * config.sectorCount);
  const original = fitted.bytes;
  const warnings: string[] = [];
  const where = window.offset === 0 ? '' : ` at offset 0x${window.offset.toString(16)}`;
  if (fitted.truncatedBytes > 0) {
    warnings.push(
      `${imagePath}: the partition${where} is ${present.length} B, the config expects ${original.length} B: ` +
        `the missing ${fitted.truncatedBytes} B are read as erased (a truncated dump); it opens read-only`,
    );
  }
  const trailing = fitted.trailingBytes + (file.length - window.offset - window.sizeBytes);
  if (fitted.trailingBytes > 0) {
    warnings.push(
      `${imagePath}: ${fitted.trailingBytes} B past the partition's ${original.length} B${where} ` +
        `(trailing bytes${isErased(present.subarray(original.length)) ? ', erased' : ''}) are ignored` +
        ' and kept as they are',
    );
  }
  const scan = scanImage(original, config);
  if (options.forWriting && options.force !== true)
    failOnDataLoss(imagePath, original, resolved, scan, options);
  if (options.forWriting && fitted.truncatedBytes > 0) {
    cliFail(
      `refusing to change ${imagePath}: it is truncated (${fitted.truncatedBytes} B missing) and opens read-only; ` +
        'give the right --size / --sectors, or export it and create a whole image',
    );
  }
  const hint = options.forWriting
    ? undefined
    : otherConfigHint(original, config, scan, resolved.detected !== undefined);
  if (hint !== undefined) {
    warnings.push(`${imagePath}: ${hint}`);
    if (options.quiet !== true) setExitCode(EXIT_PROBLEMS);
  }
  if (options.quiet !== true) for (const warning of warnings) printError(`warning: ${warning}`);
  const { flash, store, initStatus } = openImageBytes(original, config, {
    // The copy is never saved by commands that only look; pw_kvs's behaviour is then harmless.
    surplusKeys: options.forWriting && options.force !== true ? 'refuse' : 'treatAsCorrupt',
    scan,
  });
  return {
    path: imagePath,
    config,
    original,
    file,
    window,
    truncatedBytes: fitted.truncatedBytes,
    trailingBytes: trailing,
    warnings,
    ...(hint === undefined ? {} : { otherConfigHint: hint }),
    flash,
    store,
    scan,
    initStatus,
    resolved,
    ...(locked === undefined ? {} : { locked }),
  };
}

/**
 * Reads an image, works out its config and opens a store on an in-memory copy (so init's
 * repairs never reach the file unless the command saves). `--offset` / `--size` pick a
 * partition inside a bigger dump; a truncated partition reads as erased past its end (and
 * opens read-only), bytes past it are ignored; both are warned about on stderr. A looking
 * command whose config sees no entry where another config would sets exit code 1. For writing,
 * refuses images where init would drop entries (more keys than max_entries, entries of an
 * unlisted magic) unless `force`. Fails with one line for every input problem.
 */
export function openImage(
  imagePath: string,
  args: ConfigArgs,
  options: OpenImageOptions,
  file?: Uint8Array,
): OpenedImage {
  return openBytes(imagePath, file ?? readImage(imagePath), args, options);
}

/**
 * Runs `change` on an image opened for writing under the image's lock (held from the read to
 * the rename of {@link saveImage}; released at the end, whatever happens). Fails with one line
 * when the image is read-only or another flashkv holds the lock past the timeout.
 */
export async function changeImage<T>(
  imagePath: string,
  args: ConfigArgs,
  options: Omit<OpenImageOptions, 'forWriting'>,
  change: (image: OpenedImage) => T | Promise<T>,
): Promise<T> {
  const locked = await lockImage(imagePath);
  try {
    let file: Uint8Array;
    try {
      file = locked.read();
    } catch (error) {
      if (KvsError.is(error)) cliFail(error.message);
      throw error;
    }
    const image = openBytes(imagePath, file, args, { ...options, forWriting: true }, locked);
    return await change(image);
  } finally {
    await locked.unlock();
  }
}

/** Locks an image file for a change, failing with one line. */
export async function lockImage(imagePath: string): Promise<LockedImageFile> {
  // FLASHKV_LOCK_TIMEOUT_MS: how long to wait for another flashkv (default 10 s).
  const timeout = Number(io().env?.FLASHKV_LOCK_TIMEOUT_MS ?? DEFAULT_LOCK_TIMEOUT_MS);
  try {
    return await LockedImageFile.lock(
      imagePath,
      Number.isFinite(timeout) && timeout >= 0 ? timeout : DEFAULT_LOCK_TIMEOUT_MS,
    );
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
}

/** Fails, naming the reason, when saving the image could lose entries ({@link refuseDataLoss}). */
function failOnDataLoss(
  imagePath: string,
  original: Uint8Array,
  resolved: ResolvedConfig,
  scan: ImageScan,
  options: OpenImageOptions,
): void {
  const refusal = refuseDataLoss(original, resolved.config, scan, {
    isRepair: options.isRepair === true,
    wasDetected: resolved.detected !== undefined,
  });
  if (refusal !== undefined) {
    cliFail(`refusing to change ${imagePath}: ${refusal.why}. ${refusal.fix}, or pass --force`);
  }
}

/** Sectors whose bytes in the copy differ from the file's (what init or a command changed). */
export function changedSectors(image: OpenedImage): number[] {
  return changedSectorsOf(image);
}

/**
 * Writes the copy back, if it changed: the partition in place inside the file (bytes around
 * it kept), atomically, under the lock {@link changeImage} holds, after re-checking that
 * nothing else changed the file. Returns true if it wrote.
 */
export function saveImage(image: OpenedImage): boolean {
  if (changedSectors(image).length === 0) return false;
  if (image.locked === undefined) throw new Error('saveImage needs an image opened by changeImage');
  const whole = new Uint8Array(image.file);
  whole.set(image.flash.bytes, image.window.offset);
  try {
    image.locked.write(whole);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
  return true;
}

/**
 * Writes a file atomically, failing with one line; `-` writes to stdout instead. Symlinks are
 * written through to their target.
 */
export function writeFile(path: string, data: Uint8Array | string): void {
  if (path === '-') {
    writeStdout(data);
    return;
  }
  try {
    writeFileAtomic(resolveLink(path), data);
  } catch (error) {
    if (KvsError.is(error)) cliFail(error.message);
    throw error;
  }
}

function resolveLink(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
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
