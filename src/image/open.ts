import { ERASED_BYTE } from '../flash/flash-memory.js';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore, type KeyValueStoreOptions } from '../engine/key-value-store.js';
import type { StatusCode } from '../status.js';
import {
  type ImageConfig,
  describeImageConfig,
  geometryOf,
  partitionOptionsOf,
  storeOptionsOf,
} from './config.js';
import { type DetectedImageConfig, detectImageConfig } from './detect.js';
import { type RepairEffect, repairEffect } from './repair-effect.js';
import { type ImageScan, scanImage } from './scan.js';

// The image layer every client shares (CLI, inspector): open bytes with a config, judge them,
// repair them on a copy. No I/O: the caller reads and writes the file.

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

/** An image's bytes opened under a config: the scan of the bytes and a store on a copy. */
export interface ImageBytes {
  readonly config: ImageConfig;
  /** The partition's bytes as given (exactly `sectorSizeBytes * sectorCount`). */
  readonly original: Uint8Array;
  /** The copy the store works on (init's repairs land here, never in `original`). */
  readonly flash: MemoryFlash;
  readonly store: KeyValueStore;
  /** The scan of `original`. */
  readonly scan: ImageScan;
  readonly initStatus: StatusCode;
}

/** Options of {@link openImageBytes}. */
export interface OpenImageBytesOptions {
  /**
   * Surplus keys (more than `maxEntries`): `'refuse'` keeps init from dropping them (for an
   * image that will be saved), `'treatAsCorrupt'` is pw_kvs's behaviour. Defaults to
   * `'treatAsCorrupt'`.
   */
  readonly surplusKeys?: 'refuse' | 'treatAsCorrupt';
  /**
   * The scan of these very bytes under this config, when the caller already made it (the
   * CLI scans before opening, to refuse or warn): saves a second scan. Defaults to scanning.
   */
  readonly scan?: ImageScan;
}

/**
 * Scans `bytes` under `config` and opens an initialised store on a copy of them. `bytes` must
 * be the whole partition (`sectorSizeBytes * sectorCount` bytes; see `fitImage`) and stay
 * unchanged while the result is in use. Pure: never changes `bytes`. The store is made and
 * initialised on first use of `flash`, `store` or `initStatus`: a client that only reads the
 * scan (the inspector's sector map) never pays for init.
 */
export function openImageBytes(
  bytes: Uint8Array,
  config: ImageConfig,
  options: OpenImageBytesOptions = {},
): ImageBytes {
  const scan = options.scan ?? scanImage(bytes, config);
  let opened: { flash: MemoryFlash; store: KeyValueStore; initStatus: StatusCode } | undefined;
  const open = (): { flash: MemoryFlash; store: KeyValueStore; initStatus: StatusCode } => {
    if (opened === undefined) {
      const { flash, store } = storeOn(config, bytes, {
        surplusKeys: options.surplusKeys ?? 'treatAsCorrupt',
      });
      opened = { flash, store, initStatus: store.initStatus() };
    }
    return opened;
  };
  return {
    config,
    original: bytes,
    scan,
    get flash(): MemoryFlash {
      return open().flash;
    },
    get store(): KeyValueStore {
      return open().store;
    },
    get initStatus(): StatusCode {
      return open().initStatus;
    },
  };
}

/** Whether every byte is erased (0xFF). */
export function isErased(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte !== ERASED_BYTE) return false;
  return true;
}

/** Indices of the sectors of `sectorSizeBytes` whose bytes differ between `before` and `after`. */
export function differingSectors(
  before: Uint8Array,
  after: Uint8Array,
  sectorSizeBytes: number,
): number[] {
  const changed: number[] = [];
  const length = Math.max(before.length, after.length);
  // Equal lengths on 4-byte boundaries (every image the layer opens): compare a word at a
  // time, 16 MiB in a few milliseconds; else byte by byte.
  const isWordAligned =
    before.length === after.length &&
    before.byteOffset % 4 === 0 &&
    after.byteOffset % 4 === 0 &&
    length % 4 === 0 &&
    sectorSizeBytes % 4 === 0;
  const a = isWordAligned ? new Uint32Array(before.buffer, before.byteOffset, length / 4) : null;
  const b = isWordAligned ? new Uint32Array(after.buffer, after.byteOffset, length / 4) : null;
  for (let start = 0; start < length; start += sectorSizeBytes) {
    const end = Math.min(start + sectorSizeBytes, length);
    if (a !== null && b !== null) {
      for (let i = start / 4; i < end / 4; i++) {
        if (a[i] !== b[i]) {
          changed.push(start / sectorSizeBytes);
          break;
        }
      }
      continue;
    }
    for (let i = start; i < end; i++) {
      if (before[i] !== after[i]) {
        changed.push(start / sectorSizeBytes);
        break;
      }
    }
  }
  return changed;
}

/** Sectors the store's copy changed so far (init's repairs, then edits). */
export function changedSectors(image: ImageBytes): number[] {
  return differingSectors(image.original, image.flash.bytes, image.config.sectorSizeBytes);
}

/** Whether the scan found an entry that is not corrupt (from its counts: no entry objects). */
function hasValidEntry(scan: ImageScan): boolean {
  const { live, tombstone, stale } = scan.entryCounts;
  return live + tombstone + stale > 0;
}

/**
 * When the config sees no valid entry in bytes that are not erased, but detection finds
 * entries under another config, a sentence saying so (a wrong sector size or magic shows an
 * image as empty or all corrupt); else undefined. `wasDetected`: the config is detection's own.
 */
export function otherConfigHint(
  image: Uint8Array,
  config: ImageConfig,
  scan: ImageScan,
  wasDetected = false,
): string | undefined {
  if (wasDetected) return undefined;
  if (hasValidEntry(scan) || isErased(image)) return undefined;
  let detected: DetectedImageConfig;
  try {
    // Not bound to the given sector size: a wrong sector size is the usual reason.
    detected = detectImageConfig(image);
  } catch {
    return undefined;
  }
  const seen = scanImage(image, detected.config);
  if (!hasValidEntry(seen)) return undefined;
  return (
    `the config (${describeImageConfig(config)}) sees no valid entry, but ` +
    `${detected.entriesFound} entries are readable as ${describeImageConfig(detected.config)}; ` +
    'check the config, or pass --detect'
  );
}

/** Why saving an image could lose entries, and what to do instead. */
export interface DataLossRefusal {
  readonly why: string;
  readonly fix: string;
}

/**
 * Why saving the image (after any change) could lose entries, or undefined when it is safe:
 * init would drop keys (more than max_entries, a magic the config does not list), the bytes
 * fit another sector size (a wrong config makes real entries look corrupt, and repair erases
 * them), or, unless `isRepair`, the image holds corrupt data that init would erase.
 * `wasDetected`: the config is detection's own (no other config to compare with).
 */
export function refuseDataLoss(
  original: Uint8Array,
  config: ImageConfig,
  scan: ImageScan,
  options: { readonly isRepair?: boolean; readonly wasDetected?: boolean } = {},
): DataLossRefusal | undefined {
  const dropping = scan.problems.filter(
    (problem) => problem.kind === 'too-many-keys' || problem.kind === 'unknown-format',
  );
  if (dropping.length > 0) {
    return {
      why: dropping.map((problem) => problem.message).join('; '),
      fix: 'Fix the config (--max-entries, --magic, --extra-formats, or --detect)',
    };
  }
  if (options.wasDetected !== true && scan.corruptRegions.length > 0) {
    let detected: DetectedImageConfig | undefined;
    try {
      detected = detectImageConfig(original);
    } catch {
      detected = undefined; // Nothing to compare with.
    }
    const fitting =
      detected === undefined ? [] : [detected.config.sectorSizeBytes, ...detected.otherSectorSizes];
    if (detected !== undefined && !fitting.includes(config.sectorSizeBytes)) {
      return {
        why: `its entries fit ${fitting.join(' or ')} B sectors, not the ${config.sectorSizeBytes} B of the config`,
        fix: 'Check --sector-size (flashkv info IMAGE --detect)',
      };
    }
  }
  const corrupt = scan.problems.filter((problem) => problem.kind === 'corrupt-data');
  if (options.isRepair !== true && corrupt.length > 0) {
    return {
      why: `${corrupt.length === 1 ? 'a corrupt region' : `${corrupt.length} corrupt regions`} (${corrupt[0]!.message}) that pw_kvs's init would erase`,
      fix: 'See flashkv check, and flashkv repair --dry-run before repairing',
    };
  }
  return undefined;
}

/**
 * Why a repair with this effect loses data, or undefined when it does not: it keeps fewer keys
 * than the image had, or the image holds bytes but no valid entry under `config` (the repair
 * would erase it). The command line refuses to save such a repair without --force, the
 * inspector without its "allow losing keys" box.
 */
export function repairDataLoss(config: ImageConfig, effect: RepairEffect): string | undefined {
  if (!effect.losesData) return undefined;
  return effect.noValidEntry
    ? `no valid entry was found under the config (${config.sectorCount} × ${config.sectorSizeBytes} B); repair would erase the image`
    : `the result keeps ${effect.keysAfter} of the ${effect.keysBefore} keys the image had`;
}

/** What a repair did to the store's copy, before anything is saved. */
export interface RepairResult {
  /** The maintenance's pw_status. */
  readonly status: StatusCode;
  /** The scan of the repaired copy. */
  readonly after: ImageScan;
  /** Sectors whose bytes differ from the original. */
  readonly changedSectors: readonly number[];
  /** Keys lost or falling back to an older value. */
  readonly effect: RepairEffect;
  /** Problems left: the scan's, plus one when maintenance did not report OK. */
  readonly remainingProblems: number;
}

/**
 * Runs pw_kvs's maintenance on the copy (`heavy`: heavy maintenance, collecting every sector
 * and dropping deleted keys) and says what it changed and what it costs. The original bytes
 * are untouched: a dry run is this call without saving.
 */
export function repairImage(image: ImageBytes, heavy = false): RepairResult {
  const status = heavy ? image.store.heavyMaintenanceStatus() : image.store.fullMaintenanceStatus();
  const after = scanImage(image.flash.bytes, image.config);
  return {
    status,
    after,
    changedSectors: changedSectors(image),
    effect: repairEffect(image.scan, after),
    remainingProblems: after.problems.length + (status === 'OK' ? 0 : 1),
  };
}
