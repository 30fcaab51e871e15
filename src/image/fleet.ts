import { bytesToHex, printableText } from '../bytes.js';
import { ENTRY_HEADER_SIZE } from '../format/entry-header.js';
import type { CheckVerdict } from './check.js';
import { sectorLabel } from './check.js';
import { imageConfigToJson } from './config.js';
import type { OpenedImageFile } from './open-file.js';
import { damageEffects } from './repair-effect.js';
import { problemKind } from './report.js';
import { decodeTyped } from './value-types.js';

// A checked image as the rows of the fleet tables (docs/fleet-schema.md): what `flashkv fleet
// ingest` writes for one dump. Pure: an opened image and its verdict in, plain rows out; the
// CLI adds the file's facts (path, hash, labels, ingest time) and writes them to DuckDB.

/**
 * The version of the fleet tables' schema (docs/fleet-schema.md). Raised when a column
 * changes meaning or goes away; new columns keep it.
 */
export const FLEET_SCHEMA_VERSION = 1;

/** A column's SQL type in DuckDB. */
export type FleetColumnType = 'VARCHAR' | 'INTEGER' | 'BIGINT' | 'DOUBLE' | 'BOOLEAN' | 'TIMESTAMP';

/** A column of a fleet table: its name and SQL type. */
export interface FleetColumn {
  readonly name: string;
  readonly type: FleetColumnType;
}

function columns(spec: string): FleetColumn[] {
  return spec
    .trim()
    .split(/\s*,\s*/)
    .map((pair) => {
      const [name, type] = pair.split(/\s+/) as [string, FleetColumnType];
      return { name, type };
    });
}

/** The fleet tables and their columns, in order (every child table starts with `dump_id`). */
export const FLEET_TABLES = {
  dumps: columns(`
    dump_id VARCHAR, path VARCHAR, file_name VARCHAR, sha256 VARCHAR, size_bytes BIGINT,
    config VARCHAR, config_source VARCHAR, sector_size_bytes INTEGER, sector_count INTEGER,
    state VARCHAR, reason VARCHAR, init_status VARCHAR, problems INTEGER, first_problem VARCHAR,
    live_keys INTEGER, deleted_keys INTEGER, lost_keys INTEGER, entries INTEGER,
    live_entries INTEGER, tombstone_entries INTEGER, stale_entries INTEGER,
    corrupt_entries INTEGER, legacy_entries INTEGER, live_bytes BIGINT, stale_bytes BIGINT,
    corrupt_bytes BIGINT, free_bytes BIGINT, fill_ratio DOUBLE, truncated_bytes BIGINT,
    trailing_bytes BIGINT, warnings VARCHAR, labels VARCHAR, ingested_at TIMESTAMP`),
  sectors: columns(`
    dump_id VARCHAR, sector INTEGER, address BIGINT, position DOUBLE, state VARCHAR,
    entry_count INTEGER, live_bytes INTEGER, stale_bytes INTEGER, corrupt_bytes INTEGER,
    free_bytes INTEGER`),
  entries: columns(`
    dump_id VARCHAR, address BIGINT, sector INTEGER, key VARCHAR, key_hex VARCHAR,
    size_bytes INTEGER, value_size_bytes INTEGER, transaction_id BIGINT, state VARCHAR,
    magic BIGINT, format VARCHAR, format_index INTEGER, reason VARCHAR, effect VARCHAR`),
  keys: columns(`
    dump_id VARCHAR, key VARCHAR, key_hex VARCHAR, state VARCHAR, type VARCHAR,
    size_bytes INTEGER, value VARCHAR, value_hex VARCHAR, transaction_id BIGINT,
    newest_corrupt BOOLEAN`),
  problems: columns(`
    dump_id VARCHAR, kind VARCHAR, sector INTEGER, address BIGINT, key VARCHAR, key_hex VARCHAR,
    message VARCHAR`),
} as const satisfies Record<string, readonly FleetColumn[]>;

/** The name of a fleet table. */
export type FleetTable = keyof typeof FLEET_TABLES;

/** The fleet tables in the order they are written (the `dumps` row last: it marks a dump done). */
export const FLEET_TABLE_NAMES: readonly FleetTable[] = [
  'sectors',
  'entries',
  'keys',
  'problems',
  'dumps',
];

/** A cell: what a column holds (a TIMESTAMP as epoch milliseconds). */
export type FleetCell = string | number | boolean | null;

/** The rows of one dump, each row's cells in its table's column order, `dump_id` left out. */
export interface FleetRows {
  /** The `dumps` columns this module knows, by name (the file's facts come from the caller). */
  readonly dump: Record<string, FleetCell>;
  readonly sectors: FleetCell[][];
  readonly entries: FleetCell[][];
  readonly keys: FleetCell[][];
  readonly problems: FleetCell[][];
}

/** The state of a dump: `ok`, `problems` (check found some) or `unreadable` (not opened). */
export type FleetDumpState = 'ok' | 'problems' | 'unreadable';

/**
 * The config of an image as the `dumps.config` column holds it: its config file JSON, keys in
 * a fixed order, so the same config always reads the same (part of the idempotency key).
 */
export function fleetConfigText(image: OpenedImageFile): string {
  return JSON.stringify(imageConfigToJson(image.config));
}

function formatName(magic: number, checksum: string | undefined): string {
  return checksum === undefined
    ? `0x${magic.toString(16).padStart(8, '0')}`
    : `0x${magic.toString(16).padStart(8, '0')}/${checksum}`;
}

/**
 * The rows of one opened and checked image ({@link checkImage}'s verdict): its sectors, every
 * entry in flash order with what its damage costs, its keys (current value and type; `lost`
 * for a key whose only readable entries are corrupt) and its problems with the key each
 * concerns. Values of keys whose config file gives a type are decoded to that type.
 */
export function fleetRows(image: OpenedImageFile, verdict: CheckVerdict): FleetRows {
  const { scan, config } = image;
  const sectorSize = config.sectorSizeBytes;
  const sectors: FleetCell[][] = [];
  let live = 0;
  let stale = 0;
  let corrupt = 0;
  let free = 0;
  const last = Math.max(1, config.sectorCount - 1);
  for (const sector of scan.sectors) {
    live += sector.liveBytes;
    stale += sector.staleBytes;
    corrupt += sector.corruptBytes;
    free += sector.freeBytes;
    sectors.push([
      sector.index,
      sector.address,
      sector.index / last,
      sectorLabel(sector, sectorSize),
      sector.entryCount,
      sector.liveBytes,
      sector.staleBytes,
      sector.corruptBytes,
      sector.freeBytes,
    ]);
  }
  const effects = damageEffects(scan);
  const entries: FleetCell[][] = [];
  const keyOfAddress = new Map<number, { key: string | null; hex: string }>();
  // The newest intact entry of each key, and the newest corrupt one.
  const current = new Map<string, (typeof scan.entries)[number]>();
  const newestCorrupt = new Map<string, number>();
  const keyTexts = new Map<string, string | null>();
  for (const entry of scan.entries) {
    const hex = bytesToHex(entry.key);
    let text = keyTexts.get(hex);
    if (text === undefined) {
      const printable = printableText(entry.key);
      text = printable === undefined || printable === '' ? null : printable;
      keyTexts.set(hex, text);
    }
    keyOfAddress.set(entry.address, { key: text, hex });
    const format = config.formats[entry.formatIndex];
    entries.push([
      entry.address,
      entry.sector,
      text,
      hex,
      entry.sizeBytes,
      entry.valueSizeBytes,
      entry.transactionId,
      entry.state,
      entry.magic,
      formatName(entry.magic, format?.checksum),
      entry.formatIndex,
      entry.reason ?? null,
      effects.get(entry) ?? null,
    ]);
    if (entry.key.length === 0) continue;
    if (entry.state === 'live' || entry.state === 'tombstone') {
      const known = current.get(hex);
      if (known === undefined || known.transactionId < entry.transactionId) current.set(hex, entry);
    } else if (entry.state === 'corrupt' && entry.formatIndex >= 0) {
      newestCorrupt.set(hex, Math.max(newestCorrupt.get(hex) ?? -1, entry.transactionId));
    }
  }
  const keys: FleetCell[][] = [];
  const types = image.resolved.valueTypes;
  let lostKeys = 0;
  for (const [hex, entry] of current) {
    const damaged = (newestCorrupt.get(hex) ?? -1) > entry.transactionId;
    if (entry.state === 'tombstone' || entry.valueSizeBytes === null) {
      keys.push([
        keyTexts.get(hex)!,
        hex,
        'deleted',
        null,
        null,
        null,
        null,
        entry.transactionId,
        damaged,
      ]);
      continue;
    }
    const start = entry.address + ENTRY_HEADER_SIZE + entry.key.length;
    const value = image.original.subarray(start, start + entry.valueSizeBytes);
    const valueHex = bytesToHex(value);
    const type = types?.get(hex);
    const typed = type === undefined ? undefined : decodeTyped(type, value);
    const text = typed === undefined ? printableText(value) : undefined;
    keys.push([
      keyTexts.get(hex)!,
      hex,
      'live',
      typed !== undefined ? type! : text === undefined ? 'hex' : 'string',
      value.length,
      typed ?? text ?? valueHex,
      valueHex,
      entry.transactionId,
      damaged,
    ]);
  }
  for (const [hex, transactionId] of newestCorrupt) {
    if (current.has(hex)) continue;
    lostKeys++;
    keys.push([keyTexts.get(hex)!, hex, 'lost', null, null, null, null, transactionId, true]);
  }
  const problems: FleetCell[][] = verdict.problems.map((problem) => {
    const key = problem.address === undefined ? undefined : keyOfAddress.get(problem.address);
    return [
      problemKind(problem.kind),
      problem.sector ?? null,
      problem.address ?? null,
      key?.key ?? null,
      key?.hex ?? null,
      problem.message,
    ];
  });
  const counts = scan.entryCounts;
  const total = sectorSize * config.sectorCount;
  return {
    dump: {
      config: fleetConfigText(image),
      config_source: image.resolved.source,
      sector_size_bytes: sectorSize,
      sector_count: config.sectorCount,
      state: verdict.ok ? 'ok' : 'problems',
      reason: null,
      init_status: image.initStatus,
      problems: verdict.problems.length,
      first_problem: verdict.problems[0]?.kind ?? null,
      live_keys: scan.liveKeys,
      deleted_keys: scan.deletedKeys,
      lost_keys: lostKeys,
      entries: scan.entries.length,
      live_entries: counts.live,
      tombstone_entries: counts.tombstone,
      stale_entries: counts.stale,
      corrupt_entries: counts.corrupt,
      legacy_entries: scan.legacyEntries,
      live_bytes: live,
      stale_bytes: stale,
      corrupt_bytes: corrupt,
      free_bytes: free,
      fill_ratio: total === 0 ? 0 : (total - free) / total,
      truncated_bytes: image.truncatedBytes,
      trailing_bytes: image.trailingBytes,
      warnings: image.warnings.length === 0 ? null : image.warnings.join('\n'),
    },
    sectors,
    entries,
    keys,
    problems,
  };
}
