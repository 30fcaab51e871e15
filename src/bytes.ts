// Bytes as text, one way everywhere: the CLI, the inspector, scenario files and reports show and
// read keys and values through these helpers, so a key looks the same wherever it is printed.
import { KvsError } from './status.js';
import { utf8Decode } from './utf8.js';

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
 * Decodes hex as a person types it: pairs of digits, with whitespace anywhere and an optional
 * 0x prefix. Throws INVALID_ARGUMENT, the message starting with `where`, for anything else.
 */
export function hexInputToBytes(where: string, text: string): Uint8Array {
  const digits = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (digits.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(digits)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `${where}: expected hex digits in pairs, got ${JSON.stringify(text)}`,
    );
  }
  return hexToBytes(where, digits);
}

/** Characters converted per String.fromCharCode call (well under engines' argument limits). */
const CHARS_PER_CALL = 4096;

/** The scratch list {@link latin1Text} hands to String.fromCharCode. */
const CHAR_CODES: number[] = [];

/**
 * The bytes `[start, end)` of `bytes` as one character each (Latin-1: ASCII stays ASCII). Copied
 * through a plain array, which String.fromCharCode.apply takes several times faster than a
 * typed array or a view of one.
 */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  for (let from = start; from < end; from += CHARS_PER_CALL) {
    const to = Math.min(end, from + CHARS_PER_CALL);
    CHAR_CODES.length = to - from;
    for (let i = from; i < to; i++) CHAR_CODES[i - from] = bytes[i]!;
    text += String.fromCharCode.apply(null, CHAR_CODES);
  }
  return text;
}

/** Bytes as lowercase hex, without prefix. */
export function bytesToHex(bytes: Uint8Array): string {
  // The digits' char codes go into a scratch list, then one String.fromCharCode per 4 KiB:
  // a few times faster than joining two-digit strings, and the result is a flat string.
  let text = '';
  for (let start = 0; start < bytes.length; start += HEX_CHUNK_BYTES) {
    const end = Math.min(bytes.length, start + HEX_CHUNK_BYTES);
    HEX_SCRATCH.length = (end - start) * 2;
    for (let i = start, at = 0; i < end; i++, at += 2) {
      const code = bytes[i]! * 2;
      HEX_SCRATCH[at] = HEX_CODES[code]!;
      HEX_SCRATCH[at + 1] = HEX_CODES[code + 1]!;
    }
    text += String.fromCharCode.apply(null, HEX_SCRATCH);
  }
  return text;
}

/** Bytes converted per String.fromCharCode call. */
const HEX_CHUNK_BYTES = 4096;
/** The char codes of the two hex digits of each byte value, at 2 × byte. */
const HEX_CODES = Uint16Array.from({ length: 512 }, (_, at) =>
  (at >> 1)
    .toString(16)
    .padStart(2, '0')
    .charCodeAt(at & 1),
);
/** The digits' char codes, handed to String.fromCharCode (a plain array: it takes those fastest). */
const HEX_SCRATCH: number[] = [];

/** The bytes as text when they are printable UTF-8 (no control characters), else undefined. */
export function printableText(bytes: Uint8Array): string | undefined {
  const ascii = asciiClass(bytes);
  if (ascii === PRINTABLE) return latin1Text(bytes);
  // A control byte below 0x80 is that character in any decoding: never printable.
  if (ascii === CONTROL) return undefined;
  const text = utf8Decode(bytes, true);
  if (text === undefined) return undefined;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return undefined;
  return text;
}

/** Characters converted per String.fromCharCode call on the fast path. */
const PRINTABLE_ASCII_MAX = 4096;
/** {@link asciiClass}: short, and every byte printable ASCII (tab and line breaks included). */
const PRINTABLE = 0;
/** {@link asciiClass}: a control character other than tab and line breaks. */
const CONTROL = 1;
/** {@link asciiClass}: long, or a byte of 0x80 or more before any control byte: decode it. */
const OTHER = 2;

/**
 * What a byte loop alone tells of `bytes`: {@link PRINTABLE} (their text is the bytes as char
 * codes), {@link CONTROL} (a byte such as 0x00 makes them not printable, however the rest
 * decodes) or {@link OTHER} (UTF-8 decides).
 */
function asciiClass(bytes: Uint8Array): number {
  if (bytes.length > PRINTABLE_ASCII_MAX) return OTHER;
  let result = PRINTABLE;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte >= 0x20 && byte <= 0x7e) continue;
    if (byte >= 0x80) result = OTHER;
    else if (byte === 0x7f || (byte !== 0x09 && byte !== 0x0a && byte !== 0x0d)) return CONTROL;
  }
  return result;
}

/**
 * A key as one word of text: the key itself when it is non-empty UTF-8 without any control
 * character (tab and line breaks included), else `0x` and its hex digits.
 */
export function keyToText(key: Uint8Array): string {
  // Printable ASCII (most keys) is its own text: no decoding.
  if (key.length > 0 && isPrintableAscii(key)) return latin1Text(key);
  const text = utf8Decode(key, true);
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && text.length > 0 && !/[\u0000-\u001f\u007f]/.test(text)) return text;
  return `0x${bytesToHex(key)}`;
}

/** Whether every byte is printable ASCII, 0x20..0x7e (no tab, no line break). */
function isPrintableAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (byte < 0x20 || byte > 0x7e) return false;
  }
  return true;
}
