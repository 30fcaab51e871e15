// UTF-8 without TextEncoder/TextDecoder: some embedded JavaScript engines lack them, and the
// core must run there unchanged.

/** Encodes text as UTF-8 (lone surrogates become U+FFFD). */
export function utf8Encode(text: string): Uint8Array {
  // Keys are mostly ASCII: one pass into an array of the final size.
  const ascii = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return utf8EncodeFrom(text, ascii.subarray(0, i));
    ascii[i] = code;
  }
  return ascii;
}

/** UTF-8 of `text` whose first `prefix.length` characters are the ASCII bytes `prefix`. */
function utf8EncodeFrom(text: string, prefix: Uint8Array): Uint8Array {
  const bytes: number[] = Array.from(prefix);
  for (let i = prefix.length; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      } else {
        code = 0xfffd;
      }
    } else if (code >= 0xd800 && code <= 0xdfff) {
      code = 0xfffd;
    }
    if (code < 0x80) bytes.push(code);
    else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000) {
      bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    } else {
      bytes.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
    }
  }
  return Uint8Array.from(bytes);
}

/** Characters converted per String.fromCharCode call (well under engines' argument limits). */
const ASCII_CHUNK = 4096;

/** The scratch list {@link latin1Text} hands to String.fromCharCode. */
const CHAR_CODES: number[] = [];

/**
 * The bytes `[start, end)` of `bytes` as one character each (Latin-1: ASCII stays ASCII). Copied
 * through a plain array, which String.fromCharCode.apply takes several times faster than a
 * typed array or a view of one.
 */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = '';
  for (let from = start; from < end; from += ASCII_CHUNK) {
    const to = Math.min(end, from + ASCII_CHUNK);
    CHAR_CODES.length = to - from;
    for (let i = from; i < to; i++) CHAR_CODES[i - from] = bytes[i]!;
    text += String.fromCharCode.apply(null, CHAR_CODES);
  }
  return text;
}

/**
 * Decodes UTF-8 as the WHATWG decoder does: each maximal invalid subpart becomes one U+FFFD, or,
 * with `fatal`, makes it return undefined.
 */
export function utf8Decode(bytes: Uint8Array, fatal = false): string | undefined {
  let i = 0;
  while (i < bytes.length && bytes[i]! < 0x80) i++;
  // An ASCII prefix (a whole key, usually) converts in chunks, not one character at a time.
  let text = latin1Text(bytes, 0, i);
  while (i < bytes.length) {
    const first = bytes[i++]!;
    if (first < 0x80) {
      text += String.fromCharCode(first);
      continue;
    }
    let needed = 0;
    let code = 0;
    let lower = 0x80;
    let upper = 0xbf;
    if (first >= 0xc2 && first <= 0xdf) {
      needed = 1;
      code = first & 0x1f;
    } else if (first >= 0xe0 && first <= 0xef) {
      needed = 2;
      code = first & 0x0f;
      if (first === 0xe0) lower = 0xa0;
      if (first === 0xed) upper = 0x9f;
    } else if (first >= 0xf0 && first <= 0xf4) {
      needed = 3;
      code = first & 0x07;
      if (first === 0xf0) lower = 0x90;
      if (first === 0xf4) upper = 0x8f;
    }
    let valid = needed > 0;
    for (let seen = 0; valid && seen < needed; seen++) {
      const next = bytes[i];
      if (next === undefined || next < lower || next > upper) {
        valid = false;
        break;
      }
      code = (code << 6) | (next & 0x3f);
      lower = 0x80;
      upper = 0xbf;
      i++;
    }
    if (!valid) {
      if (fatal) return undefined;
      text += '\ufffd';
      continue;
    }
    text += String.fromCodePoint(code);
  }
  return text;
}
