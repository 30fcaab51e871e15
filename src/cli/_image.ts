import { existsSync, realpathSync } from 'node:fs';
import { extname } from 'node:path';
import type { ImageConfig } from '../image/config.js';
import {
  type ImageConfigRequest,
  type ImageOpenFlags,
  type OpenedImageFile,
  type ResolvedImageConfig,
  openImageFile,
  resolveImageConfig,
  withValueType,
} from '../image/open-file.js';
import { imageConfigToJson } from '../image/config.js';
import type { ValueType } from '../image/value-types.js';
import { bytesToHex } from '../bytes.js';
import { changedSectors } from '../image/open.js';
import { readImageFile, writeFileAtomic } from '../node/image-file.js';
import { DEFAULT_LOCK_TIMEOUT_MS, LockedImageFile } from '../node/image-lock.js';
import { CliError, EXIT_PROBLEMS, cliFail, orFail } from './_errors.js';
import { io, printWarning, readJsonFile, setExitCode, writeStdout } from './_io.js';

/** Flags every command on an image accepts: where its config comes from. */
export const CONFIG_ARGS = {
  config: {
    type: 'string',
    valueHint: 'FILE',
    description: 'Config JSON file (default: IMAGE.json beside the image, when present)',
  },
  detect: {
    type: 'boolean',
    description: 'Infer the config from the image bytes instead of the defaults',
  },
  'sector-size': {
    type: 'string',
    valueHint: 'BYTES',
    description: 'Bytes per sector (default 4096)',
  },
  sectors: {
    type: 'string',
    valueHint: 'N',
    description: 'Sector count (default: image size / sector size)',
  },
  alignment: {
    type: 'string',
    valueHint: 'BYTES',
    description: 'Flash write alignment in bytes (default 16)',
  },
  magic: {
    type: 'string',
    valueHint: 'MAGIC',
    description: 'Primary entry format magic, decimal or 0x hex',
  },
  checksum: {
    type: 'string',
    valueHint: 'NAME',
    description: 'Primary checksum: crc16 (default), crc32, none, ignore',
  },
  'extra-formats': {
    type: 'string',
    valueHint: 'LIST',
    description: 'Legacy formats, MAGIC:CHECKSUM[,MAGIC:CHECKSUM…]',
  },
  redundancy: { type: 'string', valueHint: 'N', description: 'Copies of every entry (default 1)' },
  'max-entries': {
    type: 'string',
    valueHint: 'N',
    description: 'Key index capacity (default 256)',
  },
  'target-arch': {
    type: 'string',
    valueHint: 'ARCH',
    description: "Firmware's CPU, for key hashes: x86 (signed char, default) or arm (unsigned)",
  },
  offset: {
    type: 'string',
    valueHint: 'BYTES',
    description:
      'Where the partition starts in the file, decimal or 0x hex, or auto to find it (default 0)',
  },
  size: {
    type: 'string',
    valueHint: 'BYTES',
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

/** Parsed values of {@link CONFIG_ARGS}: the flags the image layer reads, and the CLI's own. */
export interface ConfigArgs extends ImageOpenFlags {
  config?: string;
  detect?: boolean;
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
 * What the image layer needs to work out a config from the command line: the flags, and
 * `--detect` or the config file (`--config`, else one beside the image unless not
 * `lookBeside`), read here. `base`: the config to start from instead of pw_kvs's defaults.
 */
function configRequest(
  imagePath: string,
  args: ConfigArgs,
  base?: ImageConfig,
  lookBeside = true,
): ImageConfigRequest {
  const file =
    args.detect === true
      ? undefined
      : (args.config ?? (lookBeside ? configFileBeside(imagePath) : undefined));
  return {
    name: imagePath,
    flags: args,
    ...(args.detect === true ? { detect: true } : {}),
    ...(file === undefined
      ? {}
      : { configFile: { json: readJsonFile(file, 'config file'), name: file } }),
    ...(base === undefined ? {} : { config: base }),
  };
}

/**
 * The config of an image not made yet (`create`, `shell`): the config file or `fallback`
 * (pw_kvs's defaults), then the flags. Fails with one line naming the problem.
 */
export function resolveConfig(
  imagePath: string,
  args: ConfigArgs,
  fallback?: ImageConfig,
  lookBeside = true,
): ResolvedImageConfig {
  return orFail(() =>
    resolveImageConfig(undefined, configRequest(imagePath, args, fallback, lookBeside)),
  );
}

/** Reads an image file, failing with one line (exit 2) when it is missing or unreadable. */
export function readImage(imagePath: string): Uint8Array {
  return orFail(() => readImageFile(imagePath));
}

/** An image file opened by a command: the image layer's result, and the lock of a change. */
export interface OpenedImage extends OpenedImageFile {
  /** The path given. */
  readonly path: string;
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

/**
 * Opens the bytes of a file through the image layer ({@link openImageFile}), then does what
 * the command line does with its verdicts: fails on a refusal, prints the warnings on stderr,
 * and sets exit code 1 for a problem of the file (truncated, a config that looks wrong).
 */
function openBytes(
  imagePath: string,
  file: Uint8Array,
  args: ConfigArgs,
  options: OpenImageOptions,
  locked?: LockedImageFile,
): OpenedImage {
  const opened = orFail(() =>
    openImageFile(file, {
      ...configRequest(imagePath, args),
      purpose: !options.forWriting ? 'look' : options.isRepair === true ? 'repair' : 'change',
      force: options.force === true,
    }),
  );
  const { refusal } = opened;
  if (refusal !== undefined) {
    cliFail(
      refusal.forceable
        ? `refusing to change ${imagePath}: ${refusal.why}. ${refusal.fix}, or pass --force`
        : `refusing to change ${imagePath}: ${refusal.why}; ${refusal.fix}`,
    );
  }
  if (options.quiet !== true) {
    if (opened.fileProblems.length > 0) setExitCode(EXIT_PROBLEMS);
    for (const warning of opened.warnings) printWarning(`warning: ${warning}`);
  }
  return Object.defineProperties(opened, {
    path: { value: imagePath, enumerable: true },
    ...(locked === undefined ? {} : { locked: { value: locked, enumerable: true } }),
  }) as OpenedImage;
}

/**
 * Reads an image and opens it ({@link openImageFile}: config, window, fit, scan, a store on an
 * in-memory copy, so init's repairs never reach the file unless the command saves). Warnings
 * go to stderr; a looking command on a file with problems (truncated, a config that sees
 * nothing where another would) sets exit code 1. For writing, fails on the image layer's
 * refusals unless `force`. Fails with one line for every input problem.
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
    const file = orFail(() => locked.read());
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
  return orFail(() =>
    LockedImageFile.lock(
      imagePath,
      Number.isFinite(timeout) && timeout >= 0 ? timeout : DEFAULT_LOCK_TIMEOUT_MS,
    ),
  );
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
  const { locked } = image;
  orFail(() => locked.write(whole));
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
  orFail(() => writeFileAtomic(resolveLink(path), data));
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

/** What {@link recordValueType} did: the config file it wrote, or why it wrote none. */
export type RecordedValueType =
  | { readonly written: false; readonly unchanged: true }
  | { readonly written: true; readonly file: string }
  | { readonly written: false; readonly unchanged: false; readonly why: string };

/**
 * Keeps `key`'s value type (after a put) in the config file beside the image, where `create`
 * saves the types and every command finds them: that file is updated (its other fields kept),
 * or, for an image that fills its file, made from the config the image was opened with. A
 * `--config` file elsewhere is read, never written, and a partition inside a larger file has no
 * file of its own: then nothing is written and `why` says so. Call under the image's lock.
 */
export function recordValueType(
  image: OpenedImage,
  args: ConfigArgs,
  key: Uint8Array,
  type: ValueType | undefined,
): RecordedValueType {
  if (image.resolved.valueTypes?.get(bytesToHex(key)) === type) {
    return { written: false, unchanged: true };
  }
  const beside = configFileBeside(image.path);
  if (args.config !== undefined && (beside === undefined || !samePath(args.config, beside))) {
    return { written: false, unchanged: false, why: `--config ${args.config} is never written` };
  }
  const isWholeFile = image.window.offset === 0 && image.window.sizeBytes === image.file.length;
  if (beside === undefined && !isWholeFile) {
    return {
      written: false,
      unchanged: false,
      why: 'the partition is part of a larger file, so it has no config file of its own',
    };
  }
  const file = beside ?? `${image.path}.json`;
  try {
    const json =
      beside === undefined ? imageConfigToJson(image.config) : readJsonFile(file, 'config file');
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      cliFail(`config file ${file} is not a JSON object`);
    }
    const updated = withValueType(json as Record<string, unknown>, key, type);
    writeFile(file, `${JSON.stringify(updated, null, 2)}\n`);
  } catch (error) {
    // The image is already saved: say what was not, rather than fail a put that persisted.
    if (error instanceof CliError) return { written: false, unchanged: false, why: error.message };
    throw error;
  }
  return { written: true, file };
}

function samePath(a: string, b: string): boolean {
  return resolveLink(a) === resolveLink(b);
}
