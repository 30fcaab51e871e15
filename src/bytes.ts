// Bytes as text, one way everywhere: the CLI, the inspector, scenario files and reports show and
// read keys and values through these helpers, so a key looks the same wherever it is printed.
import { KvsError } from './status.js';
import { utf8Decode } from './utf8.js';

/** The two lowercase hex digits of each byte value. */
const HEX_PAIRS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Bytes as lowercase hex digits, two per byte, without prefix (`""` for no bytes). */
export function bytesToHex(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += HEX_PAIRS[bytes[i]!]!;
  return text;
}

/**
 * Decodes hex text: an even number of digits 0-9, a-f or A-F, nothing else (no prefix, no
 * spaces). Throws INVALID_ARGUMENT, the message starting with `where` (what the text is, e.g.
 * `op 3 key_hex`), for anything else, a non-string included.
 */
export function hexToBytes(where: string, text: unknown): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `${where}: expected hex text with an even number of digits, got ${JSON.stringify(text)}`,
    );
  }
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/**
 * The bytes as text when they are valid UTF-8 with no control characters other than tab, line
 * feed and carriage return, else undefined. No bytes are the empty text.
 */
export function printableText(bytes: Uint8Array): string | undefined {
  const text = utf8Decode(bytes, true);
  if (text === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return undefined;
  return text;
}

/**
 * A key as one word of text: the key itself when it is non-empty UTF-8 without any control
 * character (tab and line breaks included), else `0x` and its hex digits.
 */
export function keyToText(key: Uint8Array): string {
  const text = utf8Decode(key, true);
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && text.length > 0 && !/[\u0000-\u001f\u007f]/.test(text)) return text;
  return `0x${bytesToHex(key)}`;
}
