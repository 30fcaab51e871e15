import { bytesToHex, printableText } from '../src/bytes.js';
import { VALUE_TYPES, decodeTyped } from '../src/image/value-types.js';

/** How the key table shows values. */
export const VALUE_VIEWS = ['text', 'hex', ...VALUE_TYPES] as const;
export type ValueView = (typeof VALUE_VIEWS)[number];

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
  return decodeTyped(view, value) ?? `(${value.length} B, not ${view})`;
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
