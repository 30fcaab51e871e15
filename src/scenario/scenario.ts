import { hexToBytes } from '../bytes.js';
import { type ChecksumName, isChecksumName } from '../format/checksum.js';
import { DEFAULT_MAGIC } from '../format/entry-format.js';
import type { KeyHashChar } from '../format/hash.js';
import type { GcOnWrite, Recovery } from '../engine/key-value-store.js';
import type { FaultSpec, PowerCutOptions } from '../flash/faults.js';
import { KvsError, isStatusCode } from '../status.js';
import { utf8Encode } from '../utf8.js';

/** A scenario file: a store configuration and the operations to run on it. */
export interface Scenario {
  sectorSize: number;
  sectorCount: number;
  /** The flash's write alignment in bytes. */
  alignment: number;
  /**
   * The partition's alignment in bytes: a multiple of the flash's, possibly larger (entries
   * then pad to it), as pw_kvs's FlashPartition allows. Defaults to `alignment`.
   */
  partitionAlignment: number;
  magic: number;
  checksum: ChecksumName;
  extraFormats: { magic: number; checksum: ChecksumName }[];
  redundancy: number;
  maxEntries: number;
  maxSectors: number;
  gcOnWrite: GcOnWrite;
  recovery: Recovery;
  verifyOnRead: boolean;
  verifyOnWrite: boolean;
  /** flashkv extension: the store's power-loss hardening (pw_kvs has none). Defaults to false. */
  powerLossHardening: boolean;
  /** How pw_kvs's key hash reads key bytes (x86: signed, ARM: unsigned). Defaults to signed. */
  keyHashChar: KeyHashChar;
  /** Path of the starting image, relative to the scenario file's folder; null for erased. */
  imageIn: string | null;
  ops: ScenarioOp[];
}

/** One operation of a scenario. Keys and values are already decoded to bytes. */
export type ScenarioOp =
  | { op: 'init' | 'reboot' | 'stats' | 'list' | 'check_for_errors' | 'clear_injected_errors' }
  | { op: 'partial_maintenance' | 'full_maintenance' | 'heavy_maintenance' }
  | { op: 'put'; key: Uint8Array; value: Uint8Array }
  | { op: 'get'; key: Uint8Array; bufferSize?: number; offset: number }
  | { op: 'delete' | 'value_size'; key: Uint8Array }
  | { op: 'corrupt'; address: number; xor: number }
  | { op: 'write_raw'; address: number; bytes: Uint8Array }
  | { op: 'erase_sector'; sector: number }
  | { op: 'inject_read_error' | 'inject_write_error'; fault: FaultSpec }
  | { op: 'schedule_power_cut'; afterOps: number; torn: PowerCutOptions['torn']; seed: number }
  | { op: 'power_up' };

/** Every op name a scenario may use. */
export const SCENARIO_OPS = [
  'init',
  'put',
  'get',
  'delete',
  'value_size',
  'partial_maintenance',
  'full_maintenance',
  'heavy_maintenance',
  'list',
  'stats',
  'check_for_errors',
  'reboot',
  'corrupt',
  'write_raw',
  'erase_sector',
  'inject_read_error',
  'inject_write_error',
  'clear_injected_errors',
  'schedule_power_cut',
  'power_up',
] as const;

const GC_ON_WRITE: Record<string, GcOnWrite> = {
  as_many_sectors_needed: 'asManySectorsNeeded',
  one_sector: 'oneSector',
  disabled: 'disabled',
};
const RECOVERY: readonly Recovery[] = ['immediate', 'lazy', 'manual'];

type Json = Record<string, unknown>;

function invalid(where: string, problem: string): never {
  throw new KvsError('INVALID_ARGUMENT', `${where}: ${problem}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses any field of `json` not in `known`: a misspelt or unsupported field is an error. */
function onlyFields(where: string, json: Json, known: readonly string[]): void {
  for (const field of Object.keys(json)) {
    if (!known.includes(field)) {
      invalid(where, `unknown field '${field}' (fields: ${known.join(', ')})`);
    }
  }
}

/**
 * The fields of a scenario file besides its ops. Two are for the reader and do not run:
 * `note` (text) and `expected` (an object, such as the values `flashkv torture` records that
 * each key must still hold).
 */
export const SCENARIO_FIELDS = [
  'sector_size',
  'sector_count',
  'alignment',
  'partition_alignment',
  'magic',
  'checksum',
  'extra_formats',
  'redundancy',
  'max_entries',
  'max_sectors',
  'gc_on_write',
  'recovery',
  'verify_on_read',
  'verify_on_write',
  'power_loss_hardening',
  'key_hash_char',
  'image_in',
  'note',
  'expected',
  'ops',
] as const;

const KEY_FIELDS = ['key', 'key_hex'];
const VALUE_FIELDS = ['value_hex', 'value_str', 'value_len', 'value_byte'];

/** The fields each op may have besides `op`. */
const OP_FIELDS: Record<(typeof SCENARIO_OPS)[number], readonly string[]> = {
  init: [],
  reboot: [],
  stats: [],
  list: [],
  check_for_errors: [],
  clear_injected_errors: [],
  partial_maintenance: [],
  full_maintenance: [],
  heavy_maintenance: [],
  power_up: [],
  put: [...KEY_FIELDS, ...VALUE_FIELDS],
  get: [...KEY_FIELDS, 'offset', 'buffer_size'],
  delete: KEY_FIELDS,
  value_size: KEY_FIELDS,
  corrupt: ['address', 'xor'],
  write_raw: ['address', 'hex'],
  erase_sector: ['sector'],
  inject_read_error: ['status', 'times', 'delay', 'address', 'size'],
  inject_write_error: ['status', 'times', 'delay', 'address', 'size'],
  schedule_power_cut: ['after_ops', 'torn', 'seed'],
};

function integer(where: string, json: Json, field: string, fallback?: number, min = 0): number {
  const value = json[field];
  if (value === undefined || value === null) {
    if (fallback === undefined) invalid(where, `missing field '${field}'`);
    return fallback;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    invalid(where, `field '${field}' must be an integer ≥ ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function boolean(where: string, json: Json, field: string, fallback: boolean): boolean {
  const value = json[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') invalid(where, `field '${field}' must be true or false`);
  return value;
}

function checksum(where: string, value: unknown, fallback: ChecksumName): ChecksumName {
  if (value === undefined || value === null) return fallback;
  if (!isChecksumName(value)) {
    invalid(where, `checksum must be crc16, crc32, none or ignore, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Decodes hex text (even length, 0-9a-f) to bytes: see src/bytes.ts. */
export { hexToBytes };

function key(where: string, json: Json): Uint8Array {
  if (typeof json.key === 'string') return utf8Encode(json.key);
  if (json.key_hex !== undefined) return hexToBytes(`${where} key_hex`, json.key_hex);
  return invalid(where, "missing field 'key' (or 'key_hex')");
}

function value(where: string, json: Json): Uint8Array {
  if (json.value_hex !== undefined) return hexToBytes(`${where} value_hex`, json.value_hex);
  if (typeof json.value_str === 'string') return utf8Encode(json.value_str);
  if (json.value_len !== undefined) {
    const length = integer(where, json, 'value_len');
    const byte = integer(where, json, 'value_byte', 0);
    if (byte > 0xff) invalid(where, "field 'value_byte' must be 0..255");
    return new Uint8Array(length).fill(byte);
  }
  return invalid(
    where,
    "missing field 'value_hex' (or 'value_str', or 'value_len' + 'value_byte')",
  );
}

function fault(where: string, json: Json): FaultSpec {
  const status = json.status ?? 'INTERNAL';
  if (!isStatusCode(status) || status === 'OK') {
    invalid(
      where,
      `field 'status' must be a pw_status name other than OK, got ${JSON.stringify(status)}`,
    );
  }
  const spec: FaultSpec = { status, delay: integer(where, json, 'delay', 0) };
  if (json.address !== undefined && json.address !== null) {
    spec.address = integer(where, json, 'address');
    spec.size = integer(where, json, 'size', 1, 1);
  }
  if (json.times !== undefined && json.times !== null) spec.times = integer(where, json, 'times');
  return spec;
}

function parseOp(index: number, raw: unknown): ScenarioOp {
  const where = `op #${index}`;
  if (!isObject(raw)) invalid(where, 'must be an object');
  const name = raw.op;
  if (typeof name !== 'string') invalid(where, "missing field 'op'");
  const at = `${where} (${name})`;
  if (Object.hasOwn(OP_FIELDS, name)) {
    onlyFields(at, raw, ['op', ...OP_FIELDS[name as (typeof SCENARIO_OPS)[number]]]);
  }
  switch (name) {
    case 'schedule_power_cut': {
      const torn = raw.torn ?? false;
      let tear: PowerCutOptions['torn'];
      if (typeof torn === 'boolean') tear = torn;
      else if (isObject(torn)) {
        onlyFields(`${at} torn`, torn, ['landed_bytes', 'partial_bits_mask']);
        tear = {
          landedBytes: integer(`${at} torn`, torn, 'landed_bytes'),
          partialBitsMask: integer(`${at} torn`, torn, 'partial_bits_mask', 0),
        };
      } else invalid(at, "field 'torn' must be true, false or {landed_bytes, partial_bits_mask}");
      return {
        op: name,
        afterOps: integer(at, raw, 'after_ops'),
        torn: tear,
        seed: integer(at, raw, 'seed', 1),
      };
    }
    case 'power_up':
      return { op: name };
    case 'init':
    case 'reboot':
    case 'stats':
    case 'list':
    case 'check_for_errors':
    case 'clear_injected_errors':
    case 'partial_maintenance':
    case 'full_maintenance':
    case 'heavy_maintenance':
      return { op: name };
    case 'put':
      return { op: name, key: key(at, raw), value: value(at, raw) };
    case 'get': {
      const op: ScenarioOp = { op: name, key: key(at, raw), offset: integer(at, raw, 'offset', 0) };
      if (raw.buffer_size !== undefined) op.bufferSize = integer(at, raw, 'buffer_size');
      return op;
    }
    case 'delete':
    case 'value_size':
      return { op: name, key: key(at, raw) };
    case 'corrupt': {
      const xor = integer(at, raw, 'xor', 1);
      if (xor > 0xff) invalid(at, "field 'xor' must be 0..255");
      return { op: name, address: integer(at, raw, 'address'), xor };
    }
    case 'write_raw':
      return {
        op: name,
        address: integer(at, raw, 'address'),
        bytes: hexToBytes(`${at} hex`, raw.hex ?? invalid(at, "missing field 'hex'")),
      };
    case 'erase_sector':
      return { op: name, sector: integer(at, raw, 'sector') };
    case 'inject_read_error':
    case 'inject_write_error':
      return { op: name, fault: fault(at, raw) };
    default:
      return invalid(
        where,
        `unknown op ${JSON.stringify(name)} (known: ${SCENARIO_OPS.join(', ')})`,
      );
  }
}

/**
 * Validates a parsed scenario file and fills in defaults. Throws INVALID_ARGUMENT naming the
 * field (and the op, by index and name) that is wrong.
 */
export function parseScenario(json: unknown): Scenario {
  if (!isObject(json)) invalid('scenario', 'must be a JSON object');
  const where = 'scenario';
  onlyFields(where, json, SCENARIO_FIELDS);
  if (json.note !== undefined && typeof json.note !== 'string') {
    invalid(where, "field 'note' must be text");
  }
  if (json.expected !== undefined && !isObject(json.expected)) {
    invalid(where, "field 'expected' must be an object");
  }
  const keyHashChar = json.key_hash_char ?? 'signed';
  if (keyHashChar !== 'signed' && keyHashChar !== 'unsigned') {
    invalid(where, "field 'key_hash_char' must be signed or unsigned");
  }
  const alignment = integer(where, json, 'alignment', 16, 1);
  const extra = json.extra_formats ?? [];
  if (!Array.isArray(extra)) invalid(where, "field 'extra_formats' must be an array");
  const gc = json.gc_on_write ?? 'as_many_sectors_needed';
  if (typeof gc !== 'string' || !(gc in GC_ON_WRITE)) {
    invalid(where, `field 'gc_on_write' must be as_many_sectors_needed, one_sector or disabled`);
  }
  const recovery = json.recovery ?? 'lazy';
  if (!RECOVERY.includes(recovery as Recovery)) {
    invalid(where, `field 'recovery' must be immediate, lazy or manual`);
  }
  const imageIn = json.image_in ?? null;
  if (imageIn !== null && typeof imageIn !== 'string')
    invalid(where, "field 'image_in' must be a path");
  if (!Array.isArray(json.ops)) invalid(where, "missing field 'ops' (an array of operations)");
  return {
    sectorSize: integer(where, json, 'sector_size', 4096, 1),
    sectorCount: integer(where, json, 'sector_count', 4, 1),
    alignment,
    partitionAlignment: integer(where, json, 'partition_alignment', alignment, 1),
    magic: integer(where, json, 'magic', DEFAULT_MAGIC),
    checksum: checksum(where, json.checksum, 'crc16'),
    extraFormats: extra.map((format: unknown, i: number) => {
      const at = `extra_formats[${i}]`;
      if (!isObject(format)) invalid(at, 'must be an object');
      onlyFields(at, format, ['magic', 'checksum']);
      return {
        magic: integer(at, format, 'magic'),
        checksum: checksum(at, format.checksum, 'crc16'),
      };
    }),
    redundancy: integer(where, json, 'redundancy', 1, 1),
    maxEntries: integer(where, json, 'max_entries', 256, 1),
    maxSectors: integer(where, json, 'max_sectors', 256, 1),
    gcOnWrite: GC_ON_WRITE[gc]!,
    recovery: recovery as Recovery,
    verifyOnRead: boolean(where, json, 'verify_on_read', true),
    verifyOnWrite: boolean(where, json, 'verify_on_write', true),
    powerLossHardening: boolean(where, json, 'power_loss_hardening', false),
    keyHashChar,
    imageIn,
    ops: json.ops.map((op: unknown, i: number) => parseOp(i, op)),
  };
}
