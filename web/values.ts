import { bytesToHex, printableText } from '../src/image/report.js';

/** How the key table shows values. */
export const VALUE_VIEWS = [
  'text',
  'hex',
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
export type ValueView = (typeof VALUE_VIEWS)[number];

const WIDTH: Record<Exclude<ValueView, 'text' | 'hex'>, number> = {
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

const LITTLE_ENDIAN = true;

/**
 * A value as the table shows it: text (printable UTF-8 in quotes, else hex:…), hex, or one
 * little-endian number when its size is the type's width (else an explanation).
 */
export function showValue(value: Uint8Array, view: ValueView): string {
  if (view === 'hex') return bytesToHex(value);
  if (view === 'text') {
    const text = printableText(value);
    return text === undefined ? `hex:${bytesToHex(value)}` : JSON.stringify(text);
  }
  const width = WIDTH[view];
  if (value.length !== width) return `(${value.length} B, not ${view})`;
  const data = new DataView(value.buffer, value.byteOffset, value.byteLength);
  switch (view) {
    case 'u8':
      return String(data.getUint8(0));
    case 'u16':
      return String(data.getUint16(0, LITTLE_ENDIAN));
    case 'u32':
      return String(data.getUint32(0, LITTLE_ENDIAN));
    case 'u64':
      return data.getBigUint64(0, LITTLE_ENDIAN).toString();
    case 'i8':
      return String(data.getInt8(0));
    case 'i16':
      return String(data.getInt16(0, LITTLE_ENDIAN));
    case 'i32':
      return String(data.getInt32(0, LITTLE_ENDIAN));
    case 'i64':
      return data.getBigInt64(0, LITTLE_ENDIAN).toString();
    case 'f32':
      return String(data.getFloat32(0, LITTLE_ENDIAN));
    case 'f64':
      return String(data.getFloat64(0, LITTLE_ENDIAN));
  }
}

/** Hex dump lines of `bytes`, 16 a line, addressed from `start`. */
export function hexDump(bytes: Uint8Array, start: number): string[] {
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) {
    const row = bytes.subarray(at, at + 16);
    const hex = bytesToHex(row).replace(/(..)/g, '$1 ').trimEnd();
    const ascii = String.fromCharCode(...row).replace(/[^\x20-\x7e]/g, '.');
    lines.push(`${(start + at).toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines;
}
