import { bytesToHex, printableText } from '../bytes.js';
import { KvsError } from '../status.js';
import { utf8Encode } from '../utf8.js';
import {
  DEFAULT_IMAGE_CONFIG,
  type ImageConfig,
  type ImageConfigFlags,
  mergeImageConfig,
  parseImageConfigFlags,
} from './config.js';
import { type DetectedImageConfig, detectImageConfig } from './detect.js';
import {
  type DataLossRefusal,
  type ImageBytes,
  isErased,
  openImageBytes,
  otherConfigHint,
  refuseDataLoss,
} from './open.js';
import { type LocatedPartition, locatePartitions } from './locate.js';
import { type ImageScan, scanImage } from './scan.js';
import { type ValueType, isValueType } from './value-types.js';
import { type PartitionWindow, fitImage, parseByteCount, partitionWindow } from './window.js';

// The one way to open an image file, for every client (the CLI's commands, the inspector):
// which config wins, which window of the file is the partition, what to warn about, what to
// refuse. Bytes in, the opened image and its verdicts out, as data; no I/O, no printing. The
// caller reads the file (and the config file) and decides how to show what comes back.

/** Where the partition lies in the file, as a command line gives it: text as typed. */
export interface PartitionWindowFlags {
  /**
   * Offset of the partition's first byte, decimal or 0x hex, or `auto`: the one pw_kvs
   * partition {@link locatePartitions} finds in the file (its size too, unless `size` is
   * given, and its detected config when no config is named). Defaults to 0.
   */
  readonly offset?: string;
  /** The partition's size in bytes, decimal or 0x hex. Defaults to the rest of the file. */
  readonly size?: string;
}

/** Every flag that says how to open an image: its config and its window. */
export interface ImageOpenFlags extends ImageConfigFlags, PartitionWindowFlags {}

/** What the caller will do with the image: only look, change it, or repair it. */
export type OpenPurpose = 'look' | 'change' | 'repair';

/** Where an image's config comes from, and everything that picks the window. */
export interface ImageConfigRequest {
  /** How messages name the image (its path). Defaults to `the image`. */
  readonly name?: string;
  /** Config and window flags as typed, on top of the config's source. */
  readonly flags?: ImageOpenFlags;
  /**
   * Infer the config from the bytes ({@link detectImageConfig}, bound to `--sector-size` when
   * given): `true` fails when nothing is found, `'or-defaults'` falls back to the defaults
   * sized to the image (a page opening whatever was dropped on it). A config file is then
   * ignored. Defaults to false.
   */
  readonly detect?: boolean | 'or-defaults';
  /**
   * A config file's JSON, as read by the caller, and its name for messages: its fields (see
   * `parseImageConfig`) and its `value_types` ({key: type}). Ignored with `detect`.
   */
  readonly configFile?: { readonly json: unknown; readonly name: string };
  /**
   * The config to start from without a file or detection. A config given here is taken as the
   * image's own (its sector count is kept); without it, pw_kvs's defaults, sized to the image.
   */
  readonly config?: ImageConfig;
}

/** Where a config came from, for messages and `info`. */
export type ConfigSource = 'detected' | 'file' | 'given' | 'defaults';

/** A config worked out from its sources ({@link resolveImageConfig}). */
export interface ResolvedImageConfig {
  readonly config: ImageConfig;
  readonly source: ConfigSource;
  /** The config file's name, when one was used. */
  readonly file?: string;
  /** What detection found, with `detect`. */
  readonly detected?: DetectedImageConfig;
  /**
   * Value types by key (hex), from the config file's `value_types` (`create` saves the types a
   * manifest gave), so `export` writes `u32 7` again rather than hex.
   */
  readonly valueTypes?: ReadonlyMap<string, ValueType>;
}

function invalid(message: string): never {
  throw new KvsError('INVALID_ARGUMENT', message);
}

/** The `value_types` field of a config file: key text (or `hex:` digits) → type. */
function valueTypesOf(file: string, json: unknown): Map<string, ValueType> {
  const types = new Map<string, ValueType>();
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    invalid(`config file ${file}: 'value_types' must be an object {key: type}`);
  }
  for (const [key, type] of Object.entries(json)) {
    if (!isValueType(type)) {
      invalid(`config file ${file}: value_types.${key}: expected u8..u64, i8..i64, f32 or f64`);
    }
    const id = key.startsWith('hex:') ? key.slice(4).toLowerCase() : bytesToHex(utf8Encode(key));
    types.set(id, type);
  }
  return types;
}

/**
 * A config file's JSON with `key`'s value type set to `type` in its `value_types` (or removed,
 * for undefined: an untyped key), every other field kept; the key is named as text when
 * printable, else `hex:` digits, and any other spelling of it is dropped. Without a
 * `value_types` left, the field goes. Pure: the caller reads and writes the file.
 */
export function withValueType(
  json: Readonly<Record<string, unknown>>,
  key: Uint8Array,
  type: ValueType | undefined,
): Record<string, unknown> {
  const id = bytesToHex(key);
  const before = json.value_types;
  const types: Record<string, unknown> = {};
  if (typeof before === 'object' && before !== null && !Array.isArray(before)) {
    for (const [name, saved] of Object.entries(before)) {
      const savedId = name.startsWith('hex:')
        ? name.slice(4).toLowerCase()
        : bytesToHex(utf8Encode(name));
      if (savedId !== id) types[name] = saved;
    }
  }
  if (type !== undefined) types[printableText(key) ?? `hex:${id}`] = type;
  const rest: Record<string, unknown> = { ...json };
  delete rest.value_types;
  return Object.keys(types).length === 0 ? rest : { ...rest, value_types: types };
}

/**
 * Works out an image's config: detection (from `image`), or a config file, or the given
 * config, or pw_kvs's defaults; then the flags on top. Without `--sectors` or a `sector_count`
 * its source vouches for, the sector count follows from the image's size (`image` may be
 * omitted for an image not made yet). Pure; the flags are parsed once. Throws
 * INVALID_ARGUMENT naming the flag, the file field or the image for bad input, and when
 * detection (`detect: true`) finds no config.
 */
export function resolveImageConfig(
  image: Uint8Array | undefined,
  request: ImageConfigRequest,
): ResolvedImageConfig {
  const name = request.name ?? 'the image';
  const flags = request.flags ?? {};
  const overrides = parseImageConfigFlags(flags);
  let detected: DetectedImageConfig | undefined;
  let base = request.config ?? DEFAULT_IMAGE_CONFIG;
  let source: ConfigSource = request.config === undefined ? 'defaults' : 'given';
  if (request.detect !== undefined && request.detect !== false) {
    if (image === undefined) invalid(`--detect needs an existing image, ${name} does not exist`);
    const bound =
      overrides.sectorSizeBytes === undefined ? {} : { sectorSizeBytes: overrides.sectorSizeBytes };
    try {
      detected = detectImageConfig(image, bound);
      base = detected.config;
      source = 'detected';
    } catch (error) {
      if (!KvsError.is(error)) throw error;
      if (request.detect === true) invalid(`cannot detect the config of ${name}: ${error.message}`);
      base = DEFAULT_IMAGE_CONFIG;
      source = 'defaults';
    }
  }
  let file: { json: unknown; name: string } | undefined;
  let valueTypes: Map<string, ValueType> | undefined;
  if (detected === undefined && request.configFile !== undefined) {
    let { json } = request.configFile;
    if (typeof json === 'object' && json !== null && 'value_types' in json) {
      const { value_types: types, ...rest } = json as Record<string, unknown>;
      valueTypes = valueTypesOf(request.configFile.name, types);
      json = rest;
    }
    file = { json, name: request.configFile.name };
    source = 'file';
  }
  const config = mergeImageConfig({
    base,
    baseSectorCountKnown: detected !== undefined || source === 'given',
    ...(file === undefined ? {} : { file }),
    overrides,
    ...(image === undefined ? {} : { imageSizeBytes: image.length }),
    imageName: `image file ${name}`,
  });
  return {
    config,
    source,
    ...(file === undefined ? {} : { file: file.name }),
    ...(detected === undefined ? {} : { detected }),
    ...(valueTypes === undefined ? {} : { valueTypes }),
  };
}

/** What to open and why ({@link openImageFile}). */
export interface OpenImageRequest extends ImageConfigRequest {
  /**
   * What the caller will do. `'change'` and `'repair'` refuse what saving could lose (see
   * {@link ImageRefusal}); a repair accepts corrupt data, which is what it is for. Defaults to
   * `'look'`: nothing is refused, and a config that sees nothing where another would is a
   * problem of the file.
   */
  readonly purpose?: OpenPurpose;
  /** Go ahead where pw_kvs would drop entries (`--force`); a truncated file is still refused. */
  readonly force?: boolean;
}

/** A problem of the file as opened, beyond what the scan of its bytes finds. */
export interface FileProblem {
  /**
   * `truncated`: the file ends before the partition the config describes (its missing bytes
   * read as erased). `other_config`: the config sees no valid entry, another config would.
   */
  readonly kind: 'truncated' | 'other_config';
  readonly message: string;
  /** With `truncated`: how many bytes the file lacks. */
  readonly missingBytes?: number;
}

/**
 * The `truncated` problem of a file holding `presentBytes` of a partition the config makes
 * `expectedBytes` long (at `offset` in the file), or undefined when nothing is missing. Shared
 * by {@link openImageFile} and the inspector page (which works out the same verdict when the
 * config changes).
 */
export function truncationProblem(
  presentBytes: number,
  expectedBytes: number,
  offset = 0,
): FileProblem | undefined {
  const missingBytes = expectedBytes - presentBytes;
  if (missingBytes <= 0) return undefined;
  const where = offset === 0 ? '' : ` at offset 0x${offset.toString(16)}`;
  return {
    kind: 'truncated',
    message:
      `truncated: the partition${where} is ${presentBytes} B of the ${expectedBytes} B ` +
      `the config expects, ${missingBytes} B missing (read as erased)`,
    missingBytes,
  };
}

/** Why the image must not be changed, and what to do instead. */
export interface ImageRefusal extends DataLossRefusal {
  /** Whether `force` would go ahead (entries pw_kvs would drop), or never (a truncated file). */
  readonly forceable: boolean;
}

/** An image file opened under its config: the partition's bytes, scan and store, and verdicts. */
export interface OpenedImageFile extends ImageBytes {
  /** How messages name the image. */
  readonly name: string;
  /** The whole file as given (the partition is `window` of it). */
  readonly file: Uint8Array;
  /** Where the partition lies in the file. */
  readonly window: PartitionWindow;
  /** The config and where it came from. */
  readonly resolved: ResolvedImageConfig;
  /** Bytes of the partition the file lacks, read as erased: the image is then read-only. */
  readonly truncatedBytes: number;
  /** Bytes of the file past the partition (trailing garbage), ignored and kept. */
  readonly trailingBytes: number;
  /** What to know before trusting the result, one sentence each, starting with the name. */
  readonly warnings: readonly string[];
  /** Problems of the file beyond the scan's: truncation, a config that looks wrong. */
  readonly fileProblems: readonly FileProblem[];
  /** Set when the config sees no valid entry but another config would: what to check. */
  readonly otherConfigHint?: string;
  /** For `change` and `repair`: set when the image must not be changed. */
  readonly refusal?: ImageRefusal;
}

/** Whether `--offset` asks for the partition to be found (`auto`). */
function isAutoOffset(flags: PartitionWindowFlags): boolean {
  return flags.offset?.trim().toLowerCase() === 'auto';
}

/** `0x` hex, as messages and flags write offsets and sizes. */
function hexBytes(value: number): string {
  return `0x${value.toString(16)}`;
}

/**
 * The one partition `--offset auto` finds in `file` ({@link locatePartitions}). Throws
 * NOT_FOUND when there is none and INVALID_ARGUMENT, listing them, when there are several.
 */
function locateOne(name: string, file: Uint8Array): LocatedPartition {
  const found = locatePartitions(file);
  if (found.length === 0) {
    throw new KvsError('NOT_FOUND', `--offset auto: no pw_kvs partition found in ${name}`);
  }
  if (found.length > 1) {
    const list = found
      .map((partition) => `${hexBytes(partition.offset)} (${partition.sizeBytes} B)`)
      .join(', ');
    invalid(
      `--offset auto: ${found.length} pw_kvs partitions in ${name}, at ${list}; pass --offset and --size (see flashkv locate)`,
    );
  }
  return found[0]!;
}

/** The window of a file of `fileBytes` that `--offset` / `--size` name. */
function windowOf(
  name: string,
  fileBytes: number,
  flags: PartitionWindowFlags,
  located?: LocatedPartition,
): PartitionWindow {
  const offset =
    located !== undefined
      ? located.offset
      : flags.offset === undefined
        ? 0
        : parseByteCount('--offset', flags.offset);
  const size = flags.size === undefined ? located?.sizeBytes : parseByteCount('--size', flags.size);
  if (size === 0) invalid('--size: the partition cannot be empty');
  try {
    return partitionWindow(fileBytes, offset, size);
  } catch (error) {
    if (KvsError.is(error)) throw new KvsError(error.code, `${name}: ${error.message}`);
    throw error;
  }
}

/**
 * When the window reads no valid entry but a partition found elsewhere in the file would, a
 * sentence saying where (a misaligned `--offset` shows a partition as empty or all corrupt).
 */
function otherOffsetHint(
  file: Uint8Array,
  window: PartitionWindow,
  scan: ImageScan,
): string | undefined {
  const { live, tombstone, stale } = scan.entryCounts;
  if (live + tombstone + stale > 0) return undefined;
  const present = file.subarray(window.offset, window.offset + window.sizeBytes);
  if (isErased(present) && window.sizeBytes === file.length) return undefined;
  const found = locatePartitions(file).filter(
    (partition) => partition.offset !== window.offset || partition.sizeBytes !== window.sizeBytes,
  );
  if (found.length === 0) return undefined;
  const best = [...found].sort((a, b) => b.validEntries - a.validEntries)[0]!;
  const others = found.length === 1 ? '' : ` (${found.length} partitions found: flashkv locate)`;
  return (
    `no valid entry at offset ${hexBytes(window.offset)}, but another offset would read ` +
    `${best.validEntries} entries (--offset ${hexBytes(best.offset)} --size ${hexBytes(best.sizeBytes)})${others}`
  );
}

/** Why changing the image could lose data, or undefined. */
function refusalOf(
  original: Uint8Array,
  resolved: ResolvedImageConfig,
  scan: ImageScan,
  truncatedBytes: number,
  request: OpenImageRequest,
): ImageRefusal | undefined {
  if (request.force !== true) {
    const refusal = refuseDataLoss(original, resolved.config, scan, {
      isRepair: request.purpose === 'repair',
      wasDetected: resolved.detected !== undefined,
    });
    if (refusal !== undefined) return { ...refusal, forceable: true };
  }
  if (truncatedBytes > 0) {
    return {
      why: `it is truncated (${truncatedBytes} B missing) and opens read-only`,
      fix: 'give the right --size / --sectors, or export it and create a whole image',
      forceable: false,
    };
  }
  return undefined;
}

/**
 * Opens the bytes of an image file: picks the partition (`--offset` / `--size`), works out
 * the config ({@link resolveImageConfig}), fits the partition to it (a truncated file's
 * missing tail reads as erased, bytes past the partition are ignored and kept), scans it, and
 * opens a store on a copy (initialised on first use; init's repairs never reach `file`).
 * Returns warnings, problems of the file (a truncation, a config that sees nothing where
 * another would) and, for a change, the reason to refuse it, as data: the caller prints,
 * renders or fails. Pure: never changes `file`. Throws INVALID_ARGUMENT or OUT_OF_RANGE,
 * naming the flag, the file field or the image, for input that cannot be opened at all.
 */
export function openImageFile(file: Uint8Array, request: OpenImageRequest = {}): OpenedImageFile {
  const name = request.name ?? 'the image';
  const purpose = request.purpose ?? 'look';
  const flags = request.flags ?? {};
  const located = isAutoOffset(flags) ? locateOne(name, file) : undefined;
  const window = windowOf(name, file.length, flags, located);
  // The config found with the partition, unless the caller names one (a file, --detect).
  const configRequest =
    located !== undefined &&
    request.config === undefined &&
    request.configFile === undefined &&
    (request.detect === undefined || request.detect === false)
      ? { ...request, config: located.config }
      : request;
  const present = file.subarray(window.offset, window.offset + window.sizeBytes);
  const resolved = resolveImageConfig(present, configRequest);
  const { config } = resolved;
  const fitted = fitImage(present, config.sectorSizeBytes * config.sectorCount);
  const original = fitted.bytes;
  const warnings: string[] = [];
  const fileProblems: FileProblem[] = [];
  const where = window.offset === 0 ? '' : ` at offset 0x${window.offset.toString(16)}`;
  const truncation = truncationProblem(present.length, original.length, window.offset);
  if (truncation !== undefined) {
    warnings.push(
      `${name}: the partition${where} is ${present.length} B, the config expects ${original.length} B: ` +
        `the missing ${fitted.truncatedBytes} B are read as erased (a truncated dump); it opens read-only`,
    );
    fileProblems.push(truncation);
  }
  const trailingBytes = fitted.trailingBytes + (file.length - window.offset - window.sizeBytes);
  if (fitted.trailingBytes > 0) {
    warnings.push(
      `${name}: ${fitted.trailingBytes} B past the partition's ${original.length} B${where} ` +
        `(trailing bytes${isErased(present.subarray(original.length)) ? ', erased' : ''}) are ignored` +
        ' and kept as they are',
    );
  }
  const scan = scanImage(original, config);
  const isChange = purpose !== 'look';
  const refusal = isChange
    ? refusalOf(original, resolved, scan, fitted.truncatedBytes, request)
    : undefined;
  const hint = isChange
    ? undefined
    : otherConfigHint(original, config, scan, resolved.detected !== undefined);
  if (hint !== undefined) {
    warnings.push(`${name}: ${hint}`);
    fileProblems.push({ kind: 'other_config', message: hint });
  }
  const offsetHint =
    isChange || hint !== undefined || located !== undefined
      ? undefined
      : otherOffsetHint(file, window, scan);
  if (offsetHint !== undefined) {
    warnings.push(`${name}: ${offsetHint}`);
    fileProblems.push({ kind: 'other_config', message: offsetHint });
  }
  const opened = openImageBytes(original, config, {
    // A copy only looked at is never saved; pw_kvs's behaviour is then harmless.
    surplusKeys: isChange && request.force !== true ? 'refuse' : 'treatAsCorrupt',
    scan,
  });
  const result: OpenedImageFile = {
    name,
    file,
    window,
    resolved,
    truncatedBytes: fitted.truncatedBytes,
    trailingBytes,
    warnings,
    fileProblems,
    ...(hint === undefined ? {} : { otherConfigHint: hint }),
    ...(refusal === undefined ? {} : { refusal }),
    config,
    original,
    scan,
    // The store's getters stay lazy: reading the scan never pays for init.
    get flash() {
      return opened.flash;
    },
    get store() {
      return opened.store;
    },
    get initStatus() {
      return opened.initStatus;
    },
  };
  return result;
}
