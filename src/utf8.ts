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
    // A surrogate pair gives its code point; a lone surrogate gives itself.
    let code = text.codePointAt(i)!;
    if (code > 0xffff) i++;
    else if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
    if (code < 0x80) {
      bytes.push(code);
      continue;
    }
    // 1..3 continuation bytes of 6 bits each, after a lead byte 110xxxxx, 1110xxxx or 11110xxx.
    const continuations = code < 0x800 ? 1 : code < 0x10000 ? 2 : 3;
    bytes.push(((0xff00 >> (continuations + 1)) & 0xff) | (code >> (6 * continuations)));
    for (let k = continuations - 1; k >= 0; k--) bytes.push(0x80 | ((code >> (6 * k)) & 0x3f));
  }
  return Uint8Array.from(bytes);
}

/** Characters converted per String.fromCharCode call (well under engines' argument limits). */
const ASCII_CHUNK = 4096;

/**
 * Decodes UTF-8 as the WHATWG decoder does: each maximal invalid subpart becomes one U+FFFD, or,
 * with `fatal`, makes it return undefined.
 */
export function utf8Decode(bytes: Uint8Array, fatal = false): string | undefined {
  let i = 0;
  while (i < bytes.length && bytes[i]! < 0x80) i++;
  // An ASCII prefix (a whole key, usually) converts in chunks, not one character at a time.
  let text = '';
  for (let start = 0; start < i; start += ASCII_CHUNK) {
    const chunk = bytes.subarray(start, Math.min(i, start + ASCII_CHUNK));
    text += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
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
