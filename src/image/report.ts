import { bytesToHex, printableText } from '../bytes.js';
import type { ImageDiff } from './diff.js';
import type { ImageScan, ScannedEntry } from './scan.js';

/**
 * The version of flashkv's image report format: the JSON every `--json` output follows, as
 * published in schema/flashkv-report.schema.json. Raised when a field changes meaning or goes
 * away; new optional fields keep it.
 */
export const SCHEMA_VERSION = 1;

/** A JSON value. */
export type ReportJson =
  | null
  | boolean
  | number
  | string
  | readonly ReportJson[]
  | { readonly [key: string]: ReportJson | undefined };

/**
 * Bytes shown so that text and bytes never look alike: printable UTF-8 as a JSON string in
 * double quotes (`"home"`), anything else as `hex:` and its digits (`hex:07000000`). Keys and
 * values use the same notation. An empty value shows as `""`.
 */
export function showBytes(bytes: Uint8Array): string {
  const text = printableText(bytes);
  return text === undefined ? `hex:${bytesToHex(bytes)}` : JSON.stringify(text);
}

/**
 * A value in reports: its size, `encoding` and `value` (`string`: the text; `hex`: the bytes'
 * hex digits), and always `value_hex`.
 */
export function valueJson(value: Uint8Array): {
  size_bytes: number;
  encoding: 'string' | 'hex';
  value: string;
  value_hex: string;
} {
  const text = printableText(value);
  const hex = bytesToHex(value);
  return text === undefined
    ? { size_bytes: value.length, encoding: 'hex', value: hex, value_hex: hex }
    : { size_bytes: value.length, encoding: 'string', value: text, value_hex: hex };
}

/** A key in reports: its text when printable (else null) and always its hex. */
export function keyJson(key: Uint8Array): { key: string | null; key_hex: string } {
  const text = printableText(key);
  return { key: text === undefined || text === '' ? null : text, key_hex: bytesToHex(key) };
}

/** A problem kind in reports (snake_case: corrupt_data, unknown_format, …). */
export function problemKind(kind: string): string {
  return kind.replaceAll('-', '_');
}

/** One entry of a scan in the report format. */
export function entryJson(entry: ScannedEntry): ReportJson {
  // Plain literals, no spread: 100 000 entries of a dump build several times faster.
  const { key, key_hex } = keyJson(entry.key);
  const json = {
    address: entry.address,
    sector: entry.sector,
    size_bytes: entry.sizeBytes,
    magic: entry.magic,
    format_index: entry.formatIndex,
    transaction_id: entry.transactionId,
    key,
    key_hex,
    value_size_bytes: entry.valueSizeBytes,
    state: entry.state,
  };
  return entry.reason === undefined ? json : { ...json, reason: entry.reason };
}

/** The problems of a scan in the report format. */
export function problemsJson(scan: ImageScan): ReportJson[] {
  return scan.problems.map((problem) => ({
    kind: problemKind(problem.kind),
    message: problem.message,
    ...(problem.sector === undefined ? {} : { sector: problem.sector }),
    ...(problem.address === undefined ? {} : { address: problem.address }),
  }));
}

/**
 * A scan in the report format (the `image_scan` definition of the schema): counts, sectors with
 * their spans, every entry in flash order, corrupt regions, unknown formats and problems.
 */
export function scanJson(scan: ImageScan): Record<string, ReportJson> {
  return {
    live_keys: scan.liveKeys,
    deleted_keys: scan.deletedKeys,
    legacy_entries: scan.legacyEntries,
    sectors: scan.sectors.map((sector) => ({
      index: sector.index,
      address: sector.address,
      live_bytes: sector.liveBytes,
      stale_bytes: sector.staleBytes,
      corrupt_bytes: sector.corruptBytes,
      free_bytes: sector.freeBytes,
      entry_count: sector.entryCount,
      spans: sector.spans.map((span) => ({
        address: span.address,
        size_bytes: span.sizeBytes,
        kind: span.kind,
      })),
    })),
    entries: scan.entries.map(entryJson),
    corrupt_regions: scan.corruptRegions.map((region) => ({
      sector: region.sector,
      address: region.address,
      size_bytes: region.sizeBytes,
      reason: region.reason,
    })),
    unknown_formats: scan.unknownFormats.map((format) => ({
      magic: format.magic,
      checksum: format.checksum,
      entry_count: format.entryCount,
    })),
    problems: problemsJson(scan),
  };
}

/**
 * Converts the field names of a plain JSON value to snake_case (`cutPoints` → `cut_points`),
 * deeply, for reports built from library objects named in camelCase. UPPER_SNAKE names
 * (pw_status codes used as keys) are kept.
 */
export function snakeCaseKeys(value: unknown): ReportJson {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [
        // pw_status names (NOT_FOUND) are names, not fields: they stay as pw_kvs spells them.
        /^[A-Z0-9_]+$/.test(key) ? key : key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase(),
        snakeCaseKeys(inner),
      ]),
    );
  }
  return value as ReportJson;
}

/** A diff of two images in the report format (the `diff` report's fields). */
export function diffJson(diff: ImageDiff): Record<string, ReportJson> {
  const valueOf = (value: Uint8Array | undefined): ReportJson =>
    value === undefined ? null : valueJson(value);
  return {
    added: diff.added.map((item) => ({ ...keyJson(item.key), value: valueOf(item.value) })),
    removed: diff.removed.map((item) => ({ ...keyJson(item.key), value: valueOf(item.value) })),
    changed: diff.changed.map((item) => ({
      ...keyJson(item.key),
      before: valueOf(item.before),
      after: valueOf(item.after),
    })),
    unchanged_keys: diff.unchangedKeys,
    changed_sectors: [...diff.changedSectors],
  };
}
