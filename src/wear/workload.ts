import type { GcOnWrite } from '../engine/key-value-store.js';
import { ENTRY_HEADER_SIZE, MAX_KEY_LENGTH, entrySizeFor } from '../format/entry-header.js';
import { type ImageConfig, parseImageConfig } from '../image/config.js';
import { KvsError } from '../status.js';
import { utf8Encode } from '../utf8.js';

// ---- Types -------------------------------------------------------------------------------------

/** Seconds in a day, the unit of `per_day` rates. */
export const SECONDS_PER_DAY = 86_400;
/** Seconds in a (365.25-day) year, the unit of lifetimes and horizons. */
export const SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY;

/** One key of a wear workload, after parsing. */
export interface WearKey {
  /** The key as UTF-8 bytes (what the store is given). */
  readonly key: Uint8Array;
  /** The key as text, for reports. */
  readonly name: string;
  /** Bytes of every value written, ≥ 1. */
  readonly valueSizeBytes: number;
  /**
   * Seconds between two writes of this key, > 0; undefined for a static key (written once, at
   * the start).
   */
  readonly periodSeconds: number | undefined;
  /** Time of the first write in seconds (0 for static keys; staggered within a prefix group). */
  readonly offsetSeconds: number;
}

/** A parsed wear workload: every key, static ones first, each periodic key's schedule. */
export interface WearWorkload {
  readonly keys: readonly WearKey[];
  /**
   * The period of the whole write schedule in seconds (the least common multiple of the key
   * periods, on a 1 ms grid), or undefined when the periods have none below 2^53 ms. The
   * fast-forward aligns the cycles it detects to it.
   */
  readonly hyperperiodSeconds: number | undefined;
}

/** A store configuration for the simulator: an image config plus the GC policy on write. */
export interface WearConfig extends ImageConfig {
  /** Garbage collection on write, as the store option. Defaults to `asManySectorsNeeded`. */
  readonly gcOnWrite: GcOnWrite;
}

// ---- Parsing -----------------------------------------------------------------------------------

type Json = Record<string, unknown>;

function invalid(where: string, problem: string): never {
  throw new KvsError('INVALID_ARGUMENT', `${where}: ${problem}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const GC_ON_WRITE: Record<string, GcOnWrite> = {
  as_many_sectors_needed: 'asManySectorsNeeded',
  one_sector: 'oneSector',
  disabled: 'disabled',
};

/**
 * Reads a simulator config: the image config fields (see `parseImageConfig`) plus
 * `gc_on_write` (`as_many_sectors_needed`, `one_sector` or `disabled`, as in scenario files).
 * Throws INVALID_ARGUMENT naming `source` and the field.
 */
export function parseWearConfig(json: unknown, source: string): WearConfig {
  if (!isObject(json)) invalid(source, 'a config must be a JSON object');
  const { gc_on_write: gc = 'as_many_sectors_needed', ...image } = json;
  if (typeof gc !== 'string' || GC_ON_WRITE[gc] === undefined) {
    invalid(
      source,
      `'gc_on_write' must be as_many_sectors_needed, one_sector or disabled, got ${JSON.stringify(gc)}`,
    );
  }
  return { ...parseImageConfig(image, source), gcOnWrite: GC_ON_WRITE[gc]! };
}

const KEY_FIELDS = ['key', 'prefix', 'count', 'size', 'every_s', 'per_day', 'static'];

function positiveNumber(where: string, json: Json, field: string): number | undefined {
  const value = json[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    invalid(where, `'${field}' must be a number > 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveInteger(where: string, json: Json, field: string): number | undefined {
  const value = positiveNumber(where, json, field);
  if (value !== undefined && !Number.isSafeInteger(value)) {
    invalid(where, `'${field}' must be a positive integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Reads a wear workload: `{"keys": [...]}` where each item names one key (`key`) or `count`
 * keys `prefix0` … `prefix{count-1}` (`prefix`), the value size in bytes (`size`) and exactly
 * one of `every_s` (seconds between writes), `per_day` (writes a day) or `static: true`
 * (written once at the start). The keys of a periodic prefix group are staggered evenly over
 * the period. Checks each key and value against `config` (key length, entry fits in a sector,
 * all keys fit in `max_entries`). Throws INVALID_ARGUMENT naming `source`, the item and field.
 */
export function parseWearWorkload(
  json: unknown,
  source: string,
  config: ImageConfig,
): WearWorkload {
  if (!isObject(json)) invalid(source, 'a workload must be a JSON object {"keys": [...]}');
  for (const field of Object.keys(json)) {
    if (field !== 'keys') invalid(source, `unknown field '${field}' (fields: keys)`);
  }
  if (!Array.isArray(json.keys) || json.keys.length === 0) {
    invalid(source, "'keys' must be a non-empty array");
  }
  const statics: WearKey[] = [];
  const periodic: WearKey[] = [];
  const seen = new Set<string>();
  json.keys.forEach((item: unknown, index) => {
    const where = `${source} keys[${index}]`;
    if (!isObject(item)) invalid(where, 'must be an object');
    for (const field of Object.keys(item)) {
      if (!KEY_FIELDS.includes(field)) {
        invalid(where, `unknown field '${field}' (fields: ${KEY_FIELDS.join(', ')})`);
      }
    }
    const hasKey = item.key !== undefined;
    const hasPrefix = item.prefix !== undefined;
    if (hasKey === hasPrefix) invalid(where, "give exactly one of 'key' and 'prefix'");
    const text = hasKey ? item.key : item.prefix;
    if (typeof text !== 'string') invalid(where, `'${hasKey ? 'key' : 'prefix'}' must be text`);
    const count = positiveInteger(where, item, 'count');
    if (hasKey && count !== undefined) invalid(where, "'count' goes with 'prefix', not 'key'");
    if (hasPrefix && count === undefined) invalid(where, "'prefix' needs a 'count'");
    const size = positiveInteger(where, item, 'size');
    if (size === undefined) invalid(where, "missing 'size' (value bytes, ≥ 1)");
    const everySeconds = positiveNumber(where, item, 'every_s');
    const perDay = positiveNumber(where, item, 'per_day');
    if (item.static !== undefined && item.static !== true && item.static !== false) {
      invalid(where, "'static' must be true or false");
    }
    const isStatic = item.static === true;
    const rates = [everySeconds, perDay, isStatic ? true : undefined].filter(
      (rate) => rate !== undefined,
    );
    if (rates.length !== 1) invalid(where, "give exactly one of 'every_s', 'per_day' and 'static'");
    const periodSeconds = isStatic ? undefined : (everySeconds ?? SECONDS_PER_DAY / perDay!);
    const names = hasKey ? [text] : Array.from({ length: count! }, (_, i) => `${text}${i}`);
    names.forEach((name, i) => {
      const key = utf8Encode(name);
      if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
        invalid(where, `key ${JSON.stringify(name)} must be 1..${MAX_KEY_LENGTH} bytes`);
      }
      if (seen.has(name)) invalid(where, `key ${JSON.stringify(name)} is listed twice`);
      seen.add(name);
      const entryBytes = entrySizeFor(key.length, size, config.alignmentBytes);
      if (entryBytes > config.sectorSizeBytes) {
        invalid(
          where,
          `key ${JSON.stringify(name)} with a ${size} B value needs a ${entryBytes} B entry ` +
            `(${ENTRY_HEADER_SIZE} B header), more than the ${config.sectorSizeBytes} B sector`,
        );
      }
      const offsetSeconds =
        periodSeconds === undefined ? 0 : (periodSeconds * i) / Math.max(1, names.length);
      (isStatic ? statics : periodic).push({
        key,
        name,
        valueSizeBytes: size,
        periodSeconds,
        offsetSeconds,
      });
    });
  });
  if (seen.size > config.maxEntries) {
    invalid(source, `the workload has ${seen.size} keys but max_entries is ${config.maxEntries}`);
  }
  const keys = [...statics, ...periodic];
  return { keys, hyperperiodSeconds: hyperperiodOf(keys) };
}

// ---- Hyperperiod -------------------------------------------------------------------------------

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** A period in milliseconds as a reduced fraction, or undefined off the 1 ms / 1 mHz grid. */
function periodFraction(key: WearKey): [number, number] | undefined {
  const period = key.periodSeconds!;
  const ms = period * 1000;
  if (Math.abs(ms - Math.round(ms)) < 1e-6 && Math.round(ms) > 0) return [Math.round(ms), 1];
  // A per_day rate: period = 86 400 000 000 / (1000 · per_day) ms.
  const milliPerDay = (SECONDS_PER_DAY * 1e6) / ms;
  if (Math.abs(milliPerDay - Math.round(milliPerDay)) > 1e-6) return undefined;
  const numerator = SECONDS_PER_DAY * 1e6;
  const denominator = Math.round(milliPerDay);
  const divisor = gcd(numerator, denominator);
  return [numerator / divisor, denominator / divisor];
}

/**
 * The least common multiple of the periodic keys' periods in seconds (shifting time by it maps
 * every key's schedule onto itself, staggered ones included); undefined if there is none on
 * the grid.
 */
function hyperperiodOf(keys: readonly WearKey[]): number | undefined {
  let numerator = 1;
  let denominator = 0;
  for (const key of keys) {
    if (key.periodSeconds === undefined) continue;
    const fraction = periodFraction(key);
    if (fraction === undefined) return undefined;
    const [a, b] = fraction;
    numerator = (numerator / gcd(numerator, a)) * a;
    denominator = gcd(denominator, b);
    if (!Number.isSafeInteger(numerator)) return undefined;
  }
  if (denominator === 0) return undefined;
  return numerator / denominator / 1000;
}
