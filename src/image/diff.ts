import { KvsError } from '../status.js';
import { type ImageBytes, differingSectors } from './open.js';
import { bytesToHex } from '../bytes.js';

/** A key whose value differs between two images. */
export interface ChangedKey {
  readonly key: Uint8Array;
  /** The value in the first image (undefined when it cannot be read). */
  readonly before: Uint8Array | undefined;
  readonly after: Uint8Array | undefined;
}

/** What differs between two images, key by key and sector by sector. */
export interface ImageDiff {
  /** Keys live in the second image only, in its iteration order. */
  readonly added: readonly { readonly key: Uint8Array; readonly value: Uint8Array | undefined }[];
  /** Keys live in the first image only. */
  readonly removed: readonly { readonly key: Uint8Array; readonly value: Uint8Array | undefined }[];
  /** Keys live in both, with different values (or readable in one only). */
  readonly changed: readonly ChangedKey[];
  /** Keys live in both with the same value. */
  readonly unchangedKeys: number;
  /**
   * Sectors whose bytes differ (by the first image's sector size; past the shorter image,
   * every sector counts as changed).
   */
  readonly changedSectors: readonly number[];
}

function liveValues(image: ImageBytes): Map<string, { key: Uint8Array; value?: Uint8Array }> {
  const values = new Map<string, { key: Uint8Array; value?: Uint8Array }>();
  for (const item of image.store.items()) {
    let value: Uint8Array | undefined;
    try {
      value = item.value();
    } catch (error) {
      if (!KvsError.is(error)) throw error;
    }
    values.set(
      bytesToHex(item.key),
      value === undefined ? { key: item.key } : { key: item.key, value },
    );
  }
  return values;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Compares two opened images: keys added, removed and changed (by their live values, as a
 * store reads them), and the sectors whose original bytes differ. Pure.
 */
export function diffImages(a: ImageBytes, b: ImageBytes): ImageDiff {
  const before = liveValues(a);
  const after = liveValues(b);
  const added: { key: Uint8Array; value: Uint8Array | undefined }[] = [];
  const removed: { key: Uint8Array; value: Uint8Array | undefined }[] = [];
  const changed: ChangedKey[] = [];
  let unchangedKeys = 0;
  for (const [id, was] of before) {
    const now = after.get(id);
    if (now === undefined) removed.push({ key: was.key, value: was.value });
    else if (sameBytes(was.value, now.value)) unchangedKeys++;
    else changed.push({ key: was.key, before: was.value, after: now.value });
  }
  for (const [id, now] of after) {
    if (!before.has(id)) added.push({ key: now.key, value: now.value });
  }
  return {
    added,
    removed,
    changed,
    unchangedKeys,
    changedSectors: differingSectors(a.original, b.original, a.config.sectorSizeBytes),
  };
}
