import { MAX_KEY_LENGTH } from '../format/entry-header.js';
import { describeImageConfig } from '../image/config.js';
import type { ImageScan, ScannedEntry } from '../image/scan.js';
import { utf8Encode } from '../utf8.js';
import { cliFail } from './_errors.js';
import type { OpenedImage } from './_image.js';
import { toHex } from './_output.js';

/** Writes a warning line to stderr. */
export function warn(text: string): void {
  process.stderr.write(`warning: ${text}\n`);
}

/**
 * Tells the user, on stderr, what they should know before trusting what a command shows: the
 * config detection guessed, problems the scan found, and repairs init made in memory.
 */
export function warnProblems(image: OpenedImage): void {
  printDetection(image);
  // Entries the config cannot read would silently vanish from a listing: say so in full.
  for (const problem of image.scan.problems) {
    if (problem.kind === 'unknown-format' || problem.kind === 'too-many-keys') {
      warn(`${image.path}: ${problem.message}`);
    }
  }
  const problems = image.scan.problems.length;
  if (problems > 0) {
    warn(`${image.path}: ${plural(problems, 'problem')} found; see flashkv check`);
  }
  if (image.initStatus !== 'OK') warn(`init reported ${image.initStatus}`);
}

/** With `--detect`, tells on stderr what config was inferred and what is uncertain. */
export function printDetection(image: OpenedImage): void {
  const { detected } = image.resolved;
  if (detected === undefined) return;
  process.stderr.write(`detected: ${describeImageConfig(image.config)}\n`);
  for (const note of detected.notes) process.stderr.write(`  note: ${note}\n`);
}

/**
 * Decodes hex text (pairs of digits; a 0x prefix and whitespace are allowed), failing with one
 * line that starts with `where`.
 */
export function decodeHex(where: string, text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-f]*$/i.test(digits)) {
    cliFail(`${where}: expected hex digits in pairs, got ${JSON.stringify(text)}`);
  }
  return new Uint8Array(Buffer.from(digits, 'hex'));
}

/** A key argument as bytes (text, or hex with `isHex`), checked for pw_kvs's 1..63 bytes. */
export function keyArgument(text: string, isHex: boolean): Uint8Array {
  return checkKey('key', isHex ? decodeHex('key', text) : utf8Encode(text));
}

/** Fails with one line starting with `where` unless `key` is 1..63 bytes, as pw_kvs requires. */
export function checkKey(where: string, key: Uint8Array): Uint8Array {
  if (key.length === 0) cliFail(`${where}: the key is empty`);
  if (key.length > MAX_KEY_LENGTH) {
    cliFail(`${where}: the key is ${key.length} bytes, longer than pw_kvs's ${MAX_KEY_LENGTH}`);
  }
  return key;
}

/** A scan as plain JSON (keys as text and hex, addresses as numbers). */
export function scanJson(scan: ImageScan): Record<string, unknown> {
  return {
    live_keys: scan.liveKeys,
    deleted_keys: scan.deletedKeys,
    legacy_entries: scan.legacyEntries,
    sectors: scan.sectors.map(({ spans, ...sector }) => ({ ...sector, spans })),
    entries: scan.entries.map((entry) => ({
      address: entry.address,
      sector: entry.sector,
      size: entry.sizeBytes,
      magic: entry.magic,
      format: formatName(entry.formatIndex),
      transaction_id: entry.transactionId,
      key: entry.keyText,
      key_hex: toHex(entry.key),
      value_size: entry.valueSizeBytes,
      state: entry.state,
      ...(entry.reason === undefined ? {} : { reason: entry.reason }),
    })),
    corrupt_regions: scan.corruptRegions,
    unknown_formats: scan.unknownFormats,
    problems: scan.problems,
  };
}

/** A format index as a word: primary, legacy N, or unknown. */
export function formatName(formatIndex: number): string {
  if (formatIndex === 0) return 'primary';
  return formatIndex > 0 ? `legacy ${formatIndex}` : 'unknown';
}

/** `count` and the noun, plural when count is not 1. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

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
      newestIntact.set(toHex(entry.key), entry.transactionId);
    }
  }
  const effects = new Map<ScannedEntry, DamageEffect>();
  for (const entry of scan.entries) {
    if (entry.state !== 'corrupt' || entry.formatIndex < 0) continue;
    const intact = newestIntact.get(toHex(entry.key));
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
