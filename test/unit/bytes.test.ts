import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  hexInputToBytes,
  hexToBytes,
  keyToText,
  printableText,
} from '../../src/bytes.js';
import { KvsError } from '../../src/status.js';
import { fcOptions } from '../helpers/fc.js';

const nodeHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('bytesToHex / hexToBytes', () => {
  it('gives lowercase digit pairs, as Node does, and decodes them back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = bytesToHex(bytes);
        expect(text).toBe(nodeHex(bytes));
        expect(hexToBytes('test', text)).toEqual(bytes);
        expect(hexToBytes('test', text.toUpperCase())).toEqual(bytes);
      }),
      fcOptions(300),
    );
  });

  it('hexes a view of a larger array from its own offset', () => {
    const whole = Uint8Array.from([0x00, 0xab, 0x0c, 0xff]);
    expect(bytesToHex(whole.subarray(1, 3))).toBe('ab0c');
    expect(bytesToHex(new Uint8Array(0))).toBe('');
  });

  it.each([['abc'], ['0x00'], ['zz'], [' 00'], ['00 '], [7], [null]])(
    'refuses %j with INVALID_ARGUMENT naming where the text was',
    (text) => {
      let error: unknown;
      try {
        hexToBytes('op 3 key_hex', text);
      } catch (caught) {
        error = caught;
      }
      expect(KvsError.is(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as KvsError).message.startsWith('op 3 key_hex: ')).toBe(true);
    },
  );
});

describe('hexInputToBytes', () => {
  it('takes digits as a person types them: spaces, line breaks, a 0x prefix, either case', () => {
    expect(hexInputToBytes('value', '0xDE ad\n be ef')).toEqual(
      Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
    );
    expect(hexInputToBytes('value', '')).toEqual(new Uint8Array(0));
  });

  it.each([['abc'], ['0x0'], ['zz'], ['00 0'], ['0x0x00']])(
    'refuses %j with INVALID_ARGUMENT naming where the text was and quoting it',
    (text) => {
      expect(() => hexInputToBytes('key', text)).toThrow(
        `key: expected hex digits in pairs, got ${JSON.stringify(text)}`,
      );
      expect(() => hexInputToBytes('key', text)).toThrow(KvsError);
    },
  );
});

describe('printableText', () => {
  it('gives text for printable UTF-8, tabs and line breaks included', () => {
    expect(printableText(Buffer.from('home/temp'))).toBe('home/temp');
    expect(printableText(Buffer.from('a\tb\r\nc'))).toBe('a\tb\r\nc');
    expect(printableText(Buffer.from('grüß 🙂'))).toBe('grüß 🙂');
    expect(printableText(new Uint8Array(0))).toBe('');
  });

  it('gives undefined for other control characters and for bytes that are not UTF-8', () => {
    for (const byte of [0x00, 0x07, 0x0b, 0x0c, 0x1b, 0x7f]) {
      expect(printableText(Uint8Array.from([0x61, byte]))).toBeUndefined();
    }
    expect(printableText(Uint8Array.from([0xff, 0x61]))).toBeUndefined();
    expect(printableText(Uint8Array.from([0xc3]))).toBeUndefined();
  });
});

describe('keyToText', () => {
  it('gives a printable key as itself', () => {
    expect(keyToText(Buffer.from('wifi.ssid'))).toBe('wifi.ssid');
    expect(keyToText(Buffer.from('ключ'))).toBe('ключ');
  });

  it('gives any other key as 0x and its hex: control characters, tabs, bad UTF-8, no bytes', () => {
    expect(keyToText(Uint8Array.from([0x07, 0x00]))).toBe('0x0700');
    expect(keyToText(Buffer.from('a\tb'))).toBe('0x610962');
    expect(keyToText(Buffer.from('a\nb'))).toBe('0x610a62');
    expect(keyToText(Uint8Array.from([0xff]))).toBe('0xff');
    expect(keyToText(new Uint8Array(0))).toBe('0x');
  });

  it('is text exactly when the key is non-empty UTF-8 without control characters', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 63 }), (key) => {
        const text = keyToText(key);
        const decoded = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
        let utf8: string | undefined;
        try {
          utf8 = decoded.decode(key);
        } catch {
          utf8 = undefined;
        }
        // eslint-disable-next-line no-control-regex
        const isText = utf8 !== undefined && utf8 !== '' && !/[\u0000-\u001f\u007f]/.test(utf8);
        expect(text).toBe(isText ? utf8 : `0x${nodeHex(key)}`);
      }),
      fcOptions(500),
    );
  });
});
