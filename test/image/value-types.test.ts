import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TYPE_BYTES,
  VALUE_TYPES,
  decodeTyped,
  encodeHexValue,
  encodePutValue,
  encodeTyped,
  encodeValue,
} from '../../src/image/value-types.js';
import { KvsError } from '../../src/status.js';

/** The code `call` throws, or 'OK'. */
function codeOf(call: () => unknown): string {
  try {
    call();
    return 'OK';
  } catch (error) {
    if (KvsError.is(error)) return error.code;
    throw error;
  }
}

describe('encodeTyped', () => {
  it('stores integers little-endian, as their two’s complement', () => {
    expect([...encodeTyped('u32', '7')]).toEqual([7, 0, 0, 0]);
    expect([...encodeTyped('u16', '0x1234')]).toEqual([0x34, 0x12]);
    expect([...encodeTyped('i8', '-1')]).toEqual([0xff]);
    expect([...encodeTyped('i16', '-2')]).toEqual([0xfe, 0xff]);
    expect([...encodeTyped('u64', '18446744073709551615')]).toEqual(Array(8).fill(0xff));
    expect([...encodeTyped('f32', '1')]).toEqual([0, 0, 0x80, 0x3f]);
  });

  it('refuses numbers outside the type, and text that is not a number', () => {
    for (const [type, text] of [
      ['u32', '-5'],
      ['u8', '256'],
      ['i8', '128'],
      ['i8', '-129'],
      ['u64', '18446744073709551616'],
      ['u32', '1.5'],
      ['u32', 'seven'],
      ['u32', ''],
      ['f32', '1e39'],
      ['f64', 'abc'],
    ] as const) {
      expect(
        codeOf(() => encodeTyped(type, text)),
        `${type} ${text}`,
      ).toBe('INVALID_ARGUMENT');
    }
    expect(() => encodeTyped('u32', '-5')).toThrow(/-5 does not fit u32 \(0\.\.4294967295\)/);
  });

  it('round-trips every integer of every type through decodeTyped', () => {
    for (const type of VALUE_TYPES.filter((name) => !name.startsWith('f'))) {
      const bits = TYPE_BYTES[type] * 8;
      const signed = type.startsWith('i');
      const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
      const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
      fc.assert(
        fc.property(fc.bigInt({ min, max }), (value) => {
          const bytes = encodeTyped(type, String(value));
          expect(bytes.length).toBe(TYPE_BYTES[type]);
          expect(decodeTyped(type, bytes)).toBe(String(value));
        }),
        { seed: 19, numRuns: 200 },
      );
    }
  });

  it('round-trips doubles through f64', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (value) => {
        const text = Object.is(value, -0) ? '-0' : String(value);
        expect(Number(decodeTyped('f64', encodeTyped('f64', text)))).toBe(value);
      }),
      { seed: 19, numRuns: 200 },
    );
  });
});

describe('encodeHexValue', () => {
  it('takes an even number of hex digits and nothing else', () => {
    expect([...encodeHexValue('07000000')]).toEqual([7, 0, 0, 0]);
    expect([...encodeHexValue('aBcD')]).toEqual([0xab, 0xcd]);
    expect(encodeHexValue('').length).toBe(0);
    for (const text of ['0x01', '0X01', '1', '123', '07 00', 'zz']) {
      expect(
        codeOf(() => encodeHexValue(text)),
        text,
      ).toBe('INVALID_ARGUMENT');
    }
    expect(() => encodeHexValue('0x01')).toThrow(/0x prefix/);
    expect(() => encodeHexValue('123')).toThrow(/odd number of digits/);
  });
});

describe('encodeValue', () => {
  it('stores string as UTF-8, hex as bytes, a type as its number', () => {
    expect([...encodeValue('string', 'é')]).toEqual([0xc3, 0xa9]);
    expect([...encodeValue('hex', '00ff')]).toEqual([0, 0xff]);
    expect([...encodeValue('i32', '-5')]).toEqual([0xfb, 0xff, 0xff, 0xff]);
  });
});

describe('encodePutValue', () => {
  it('follows the saved type when no encoding is given, and says why it refuses', () => {
    expect(encodePutValue({ text: '5' }, 'u32', 'boot/count')).toEqual({
      value: Uint8Array.of(5, 0, 0, 0),
      type: 'u32',
    });
    expect(codeOf(() => encodePutValue({ text: '-5' }, 'u32', 'boot/count'))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(() => encodePutValue({ text: '-5' }, 'u32', 'boot/count')).toThrow(
      /boot\/count holds a u32.*-5 does not fit u32/,
    );
  });

  it('stores untyped text as UTF-8 and leaves the key untyped', () => {
    expect(encodePutValue({ text: '-5' }, undefined, 'k')).toEqual({
      value: Uint8Array.of(0x2d, 0x35),
      type: undefined,
    });
  });

  it('lets an explicit encoding set or drop the type', () => {
    expect(encodePutValue({ text: '-5', encoding: 'i16' }, 'u32', 'k')).toEqual({
      value: Uint8Array.of(0xfb, 0xff),
      type: 'i16',
    });
    expect(encodePutValue({ text: 'on', encoding: 'string' }, 'u32', 'k').type).toBeUndefined();
    expect(encodePutValue({ text: '0102', encoding: 'hex' }, 'u32', 'k').type).toBeUndefined();
  });

  it('keeps the saved type for raw bytes of its size and refuses other sizes', () => {
    expect(encodePutValue({ bytes: Uint8Array.of(1, 0, 0, 0) }, 'u32', 'k').type).toBe('u32');
    expect(codeOf(() => encodePutValue({ bytes: Uint8Array.of(1) }, 'u32', 'k'))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(encodePutValue({ bytes: Uint8Array.of(1) }, undefined, 'k').type).toBeUndefined();
  });
});
