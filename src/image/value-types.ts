// Typed values: numbers stored little-endian, as manifests (nvs_partition_gen's encodings) give
// them. Shared by the CLI's manifests, put and export and by the web inspector's key table.
import { hexToBytes } from '../bytes.js';
import { KvsError } from '../status.js';
import { utf8Encode } from '../utf8.js';

/** Typed values are little-endian, as on the microcontrollers pw_kvs runs on. */
const LITTLE_ENDIAN = true;

/** Typed encodings: a value given as a number, stored little-endian. */
export const VALUE_TYPES = [
  'u8',
  'u16',
  'u32',
  'u64',
  'i8',
  'i16',
  'i32',
  'i64',
  'f32',
  'f64',
] as const;
/** A typed encoding. */
export type ValueType = (typeof VALUE_TYPES)[number];

/** Whether `name` is a typed encoding. */
export function isValueType(name: unknown): name is ValueType {
  return (VALUE_TYPES as readonly unknown[]).includes(name);
}

/** Bytes a typed value takes. */
export const TYPE_BYTES: Record<ValueType, number> = {
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
  i8: 1,
  i16: 2,
  i32: 4,
  i64: 8,
  f32: 4,
  f64: 8,
};

/**
 * A typed value's number as text (little-endian, as the manifest encodes it), or undefined
 * when the bytes are not that type's size.
 */
export function decodeTyped(type: ValueType, value: Uint8Array): string | undefined {
  if (value.length !== TYPE_BYTES[type]) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  switch (type) {
    case 'u8':
      return String(view.getUint8(0));
    case 'u16':
      return String(view.getUint16(0, true));
    case 'u32':
      return String(view.getUint32(0, true));
    case 'u64':
      return String(view.getBigUint64(0, true));
    case 'i8':
      return String(view.getInt8(0));
    case 'i16':
      return String(view.getInt16(0, true));
    case 'i32':
      return String(view.getInt32(0, true));
    case 'i64':
      return String(view.getBigInt64(0, true));
    case 'f32':
      return floatText(view.getFloat32(0, true));
    case 'f64':
      return floatText(view.getFloat64(0, true));
  }
}

/** A float as text that reads back as the same number (String(-0) is "0"). */
function floatText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

// ---- Encoding values given as text ----------------------------------------------------------

/** How a value given as text is turned into bytes: a typed number, UTF-8 text, or hex digits. */
export const VALUE_ENCODINGS = ['string', 'hex', ...VALUE_TYPES] as const;
/** An encoding of {@link VALUE_ENCODINGS}. */
export type ValueEncoding = (typeof VALUE_ENCODINGS)[number];

/** Whether `name` is one of {@link VALUE_ENCODINGS}. */
export function isValueEncoding(name: unknown): name is ValueEncoding {
  return (VALUE_ENCODINGS as readonly unknown[]).includes(name);
}

function invalid(message: string): never {
  throw new KvsError('INVALID_ARGUMENT', message);
}

/** An integer type's range, as bigints. */
function integerRange(type: ValueType): { bits: number; min: bigint; max: bigint } {
  const bits = TYPE_BYTES[type] * 8;
  const signed = type.startsWith('i');
  return {
    bits,
    min: signed ? -(1n << BigInt(bits - 1)) : 0n,
    max: signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n,
  };
}

function encodeInteger(type: ValueType, text: string): Uint8Array {
  const trimmed = text.trim();
  if (!/^[-+]?(0x[0-9a-f]+|[0-9]+)$/i.test(trimmed)) {
    invalid(`expected an integer for ${type}, got ${JSON.stringify(text)}`);
  }
  const magnitude = BigInt(trimmed.replace(/^[-+]/, ''));
  const value = trimmed.startsWith('-') ? -magnitude : magnitude;
  const { bits, min, max } = integerRange(type);
  if (value < min || value > max) invalid(`${trimmed} does not fit ${type} (${min}..${max})`);
  const out = new Uint8Array(bits / 8);
  let unsigned = BigInt.asUintN(bits, value);
  for (let i = 0; i < out.length; i++) {
    out[i] = Number(unsigned & 0xffn);
    unsigned >>= 8n;
  }
  return out;
}

function encodeFloat(type: 'f32' | 'f64', text: string): Uint8Array {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (trimmed === '' || (Number.isNaN(value) && trimmed.toLowerCase() !== 'nan')) {
    invalid(`expected a number for ${type}, got ${JSON.stringify(text)}`);
  }
  const out = new Uint8Array(TYPE_BYTES[type]);
  const view = new DataView(out.buffer);
  if (type === 'f64') {
    view.setFloat64(0, value, LITTLE_ENDIAN);
    return out;
  }
  if (Number.isFinite(value) && !Number.isFinite(Math.fround(value))) {
    invalid(`${trimmed} does not fit f32 (beyond ±3.4e38)`);
  }
  view.setFloat32(0, value, LITTLE_ENDIAN);
  return out;
}

/**
 * A number given as text (decimal, or 0x hex for integers; floats as JavaScript reads them,
 * `nan` and `Infinity` included) as `type`'s little-endian bytes, as manifests encode them.
 * Throws INVALID_ARGUMENT, saying why, for text that is not such a number or does not fit
 * the type (`-5 does not fit u32 (0..4294967295)`).
 */
export function encodeTyped(type: ValueType, text: string): Uint8Array {
  return type === 'f32' || type === 'f64' ? encodeFloat(type, text) : encodeInteger(type, text);
}

/**
 * Hex digits as bytes: an even number of 0-9, a-f, A-F and nothing else. A `0x` prefix is
 * refused rather than dropped (`0x01` could mean the number 1 of a wider type). Throws
 * INVALID_ARGUMENT, saying why.
 */
export function encodeHexValue(text: string): Uint8Array {
  if (/^0x/i.test(text)) {
    invalid(
      `hex value ${JSON.stringify(text)} has a 0x prefix: give the bytes' digits only (${text.slice(2) || '00'}), or a number with a type (u8..u64)`,
    );
  }
  if (!/^[0-9a-fA-F]*$/.test(text)) {
    invalid(`hex value ${JSON.stringify(text)} has a character that is not a hex digit`);
  }
  if (text.length % 2 !== 0) {
    invalid(
      `hex value ${JSON.stringify(text)} has an odd number of digits (${text.length}): every byte is two digits`,
    );
  }
  return hexToBytes('hex value', text);
}

/**
 * A value given as text, as bytes: `string` as UTF-8, `hex` by {@link encodeHexValue}, a typed
 * encoding by {@link encodeTyped}. Throws INVALID_ARGUMENT, saying why.
 */
export function encodeValue(encoding: ValueEncoding, text: string): Uint8Array {
  switch (encoding) {
    case 'string':
      return utf8Encode(text);
    case 'hex':
      return encodeHexValue(text);
    default:
      return encodeTyped(encoding, text);
  }
}

/** What a put stores: the bytes, and the key's value type after it (undefined: untyped). */
export interface TypedPutValue {
  readonly value: Uint8Array;
  readonly type: ValueType | undefined;
}

/** The value a put is given: text in an encoding, or raw bytes (hex digits, a file). */
export type PutValueInput =
  { readonly text: string; readonly encoding?: ValueEncoding } | { readonly bytes: Uint8Array };

/**
 * Encodes the value of a put under a key whose saved type is `savedType` (from the config's
 * `value_types`; undefined when the key has none).
 *
 * - Text with an `encoding` is stored as that encoding, and the key takes its type (a number
 *   type; none for `string` and `hex`).
 * - Text without one follows the saved type: a number of that type (refused, with the reason,
 *   when it is not one), or UTF-8 text for an untyped key.
 * - Raw bytes keep the saved type and must then be its size.
 *
 * Throws INVALID_ARGUMENT, naming the key's type and why the value is not one; `keyName` is how
 * messages name the key.
 */
export function encodePutValue(
  input: PutValueInput,
  savedType: ValueType | undefined,
  keyName: string,
): TypedPutValue {
  if ('bytes' in input) {
    if (savedType !== undefined && input.bytes.length !== TYPE_BYTES[savedType]) {
      invalid(
        `${keyName} holds a ${savedType} (${TYPE_BYTES[savedType]} B, its saved value type); ` +
          `the value given is ${input.bytes.length} B: give a number with --type ${savedType}, or --type to store another type`,
      );
    }
    return { value: input.bytes, type: savedType };
  }
  const encoding = input.encoding ?? savedType ?? 'string';
  try {
    const value = encodeValue(encoding, input.text);
    return { value, type: isValueType(encoding) ? encoding : undefined };
  } catch (error) {
    if (input.encoding === undefined && savedType !== undefined && KvsError.is(error)) {
      invalid(
        `${keyName} holds a ${savedType} (its saved value type): ${error.message}; ` +
          'give --type to store another type',
      );
    }
    throw error;
  }
}
