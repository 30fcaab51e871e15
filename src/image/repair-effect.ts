import { bytesToHex } from '../bytes.js';
import type { ImageScan, ScannedEntry } from './scan.js';

/** What a corrupt entry costs its key. */
export type DamageEffect = 'the key is lost' | 'an older value is used' | 'none (an older entry)';

/**
 * For each corrupt entry whose key is readable, what it costs: pw_kvs skips corrupt entries,
 * so a key whose newest entry is corrupt falls back to an older intact one, or is gone.
 */
export function damageEffects(scan: ImageScan): Map<ScannedEntry, DamageEffect> {
  const newestIntact = new Map<string, number>();
  for (const entry of scan.entries) {
    if (entry.state === 'live' || entry.state === 'tombstone') {
      newestIntact.set(bytesToHex(entry.key), entry.transactionId);
    }
  }
  const effects = new Map<ScannedEntry, DamageEffect>();
  for (const entry of scan.entries) {
    if (entry.state !== 'corrupt' || entry.formatIndex < 0) continue;
    const intact = newestIntact.get(bytesToHex(entry.key));
    effects.set(
      entry,
      intact === undefined
        ? 'the key is lost'
        : intact > entry.transactionId
          ? 'none (an older entry)'
          : 'an older value is used',
    );
  }
  return effects;
}

/** What a repair does to the image's keys, worked out before anything is written. */
export interface RepairEffect {
  /** Keys the image had (a live entry, or a readable corrupt newest entry) that the result lacks. */
  readonly lostKeys: readonly Uint8Array[];
  /** Keys whose newest entry is corrupt: the result keeps an older value. */
  readonly olderValueKeys: readonly Uint8Array[];
  /** Keys the image had: live ones and ones whose only readable entries are corrupt. */
  readonly keysBefore: number;
  /** Live keys of the result. */
  readonly keysAfter: number;
  /** The image holds bytes but not one entry passes its checksum (wrong config, or not pw_kvs). */
  readonly noValidEntry: boolean;
  /**
   * Whether the repair should not go ahead unasked: it keeps fewer keys than the image had, or
   * it found no valid entry at all in an image that is not erased (repair would erase it).
   */
  readonly losesData: boolean;
}

/**
 * Compares the scan of an image before a repair with the scan of the result: which keys are
 * lost, which fall back to an older value. Pure.
 */
export function repairEffect(before: ImageScan, after: ImageScan): RepairEffect {
  const liveAfter = new Set(
    after.entries.filter((entry) => entry.state === 'live').map((entry) => bytesToHex(entry.key)),
  );
  const had = new Map<string, Uint8Array>();
  for (const entry of before.entries) {
    if (entry.state === 'live') had.set(bytesToHex(entry.key), entry.key);
  }
  const olderValue = new Map<string, Uint8Array>();
  for (const [entry, effect] of damageEffects(before)) {
    const id = bytesToHex(entry.key);
    if (effect === 'the key is lost' && entry.key.length > 0) had.set(id, entry.key);
    if (effect === 'an older value is used') olderValue.set(id, entry.key);
  }
  const lostKeys = [...had].filter(([id]) => !liveAfter.has(id)).map(([, key]) => key);
  const noValidEntry =
    before.entries.every((entry) => entry.state === 'corrupt') &&
    before.sectors.some((sector) => sector.freeBytes < before.config.sectorSizeBytes);
  return {
    lostKeys,
    olderValueKeys: [...olderValue.values()],
    keysBefore: had.size,
    keysAfter: liveAfter.size,
    noValidEntry,
    losesData: noValidEntry || lostKeys.length > 0 || liveAfter.size < had.size,
  };
}

/**
 * Why the newest corrupt entry of `key` is corrupt (`fails its checksum as stored (padding)`,
 * …), when it is newer than every intact entry of the key; else undefined.
 */
export function newestCorruptReason(scan: ImageScan, key: Uint8Array): string | undefined {
  const id = bytesToHex(key);
  let newest: ScannedEntry | undefined;
  let intact = -1;
  for (const entry of scan.entries) {
    if (bytesToHex(entry.key) !== id) continue;
    if (entry.state !== 'corrupt') intact = Math.max(intact, entry.transactionId);
    else if (newest === undefined || entry.transactionId > newest.transactionId) newest = entry;
  }
  return newest !== undefined && newest.transactionId > intact ? newest.reason : undefined;
}
