// Typed values: numbers stored little-endian, as manifests (nvs_partition_gen's encodings) give
// them. Shared by the CLI's manifests and export and by the web inspector's key table.

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
      return String(view.getFloat32(0, true));
    case 'f64':
      return String(view.getFloat64(0, true));
  }
}
