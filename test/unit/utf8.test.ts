import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8Decode, utf8Encode } from '../../src/utf8.js';
import { fcOptions } from '../helpers/fc.js';

describe('utf8', () => {
  it('encodes like TextEncoder for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(Array.from(utf8Encode(text))).toEqual(Array.from(new TextEncoder().encode(text)));
      }),
      fcOptions(500),
    );
  });

  it('encodes and decodes text with an ASCII start like TextEncoder and TextDecoder', () => {
    const asciiThenAny = fc
      .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 70 }), fc.string({ unit: 'binary' }))
      .map(([ascii, rest]) => ascii + rest);
    fc.assert(
      fc.property(asciiThenAny, (text) => {
        const bytes = new TextEncoder().encode(text);
        expect(Array.from(utf8Encode(text))).toEqual(Array.from(bytes));
        expect(utf8Decode(bytes)).toBe(new TextDecoder().decode(bytes));
      }),
      fcOptions(500),
    );
    const long = 'k'.repeat(10_000) + 'é';
    expect(utf8Decode(utf8Encode(long))).toBe(long);
  });

  it('decodes like TextDecoder for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(utf8Decode(bytes)).toBe(new TextDecoder().decode(bytes));
        const strict = (() => {
          try {
            return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
          } catch {
            return undefined;
          }
        })();
        expect(utf8Decode(bytes, true)).toBe(strict);
      }),
      fcOptions(2000),
    );
  });

  it('handles multi-byte characters', () => {
    expect(Array.from(utf8Encode('π中€😀'))).toEqual([
      0xcf, 0x80, 0xe4, 0xb8, 0xad, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80,
    ]);
    expect(utf8Decode(new Uint8Array([0xe2, 0x82]))).toBe('\ufffd');
  });
});
