import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesToHex, printableText } from '../../src/bytes.js';
import { showBytes } from '../../src/image/report.js';
import { fcOptions } from '../helpers/fc.js';

/** The definition: strict UTF-8 without control characters other than tab and line breaks. */
function reference(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

describe('printableText', () => {
  // Mostly ASCII, with every control byte and some UTF-8 lead and continuation bytes.
  const byte = fc.oneof(
    fc.integer({ min: 0x20, max: 0x7e }),
    fc.integer({ min: 0x00, max: 0x20 }),
    fc.constantFrom(0x7f, 0x80, 0xc3, 0xa9, 0xe2, 0xff),
  );

  it('is the strict UTF-8 text of printable bytes, else undefined, for any bytes', () => {
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 80 }).map((array) => Uint8Array.from(array)),
        (bytes) => {
          expect(printableText(bytes)).toBe(reference(bytes));
        },
      ),
      fcOptions(2000),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(printableText(bytes)).toBe(reference(bytes));
      }),
      fcOptions(1000),
    );
  });

  it('decodes long text too', () => {
    const long = new TextEncoder().encode(`${'v'.repeat(5000)}\n`);
    expect(printableText(long)).toBe(`${'v'.repeat(5000)}\n`);
    expect(printableText(new Uint8Array([0x61, 0x09, 0x62, 0x0d, 0x0a]))).toBe('a\tb\r\n');
    expect(printableText(new Uint8Array([0x61, 0x00]))).toBeUndefined();
    expect(printableText(new Uint8Array(0))).toBe('');
  });

  it('shows text quoted and other bytes as hex', () => {
    expect(showBytes(new TextEncoder().encode('a"b\\'))).toBe('"a\\"b\\\\"');
    expect(showBytes(new Uint8Array([7, 0]))).toBe('hex:0700');
  });
});

describe('bytesToHex', () => {
  it('is the lowercase hex of any bytes, short or longer than a chunk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(bytesToHex(bytes)).toBe(Buffer.from(bytes).toString('hex'));
      }),
      fcOptions(1000),
    );
    const long = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 37) & 0xff);
    expect(bytesToHex(long)).toBe(Buffer.from(long).toString('hex'));
    expect(bytesToHex(long.subarray(4095, 4099))).toBe(
      Buffer.from(long.subarray(4095, 4099)).toString('hex'),
    );
  });
});
