import { describe, expect, it } from 'vitest';
import { hashKey } from '../../src/format/hash.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The hash computed the slow, obvious way with BigInt, as an independent oracle. */
function referenceHash(key: Uint8Array): number {
  let hash = 0n;
  let coefficient = 65599n;
  for (const byte of key) {
    const signed = BigInt(byte >= 0x80 ? byte - 256 : byte);
    hash = (hash + coefficient * signed) & 0xffffffffn;
    coefficient = (coefficient * 65599n) & 0xffffffffn;
  }
  return Number((hash + 0x100000000n) & 0xffffffffn);
}

describe('key hash', () => {
  it('matches hand-computed values for short keys', () => {
    expect(hashKey(bytes('a'))).toBe(97 * 65599);
    expect(hashKey(bytes('ab'))).toBe(((97 * 65599 + 98 * 65599 * 65599) % 2 ** 32) >>> 0);
  });

  it('sign-extends bytes ≥ 0x80 as pw_kvs does', () => {
    // 0xFF is -1 as a signed char: -65599 mod 2^32.
    expect(hashKey(new Uint8Array([0xff]))).toBe(2 ** 32 - 65599);
    const key = new Uint8Array([0x6b, 0x80, 0xfe, 0x7f, 0xc3, 0xbc]);
    expect(hashKey(key)).toBe(referenceHash(key));
  });

  it('agrees with a BigInt oracle on many keys', () => {
    for (let seed = 1; seed < 300; seed++) {
      const key = new Uint8Array(1 + (seed % 63));
      for (let i = 0; i < key.length; i++) key[i] = (seed * 31 + i * 17) & 0xff;
      expect(hashKey(key)).toBe(referenceHash(key));
    }
  });

  it('"a0naq" and "qp0ca" collide', () => {
    expect(hashKey(bytes('a0naq'))).toBe(hashKey(bytes('qp0ca')));
    expect(hashKey(bytes('a0naq'))).not.toBe(hashKey(bytes('a0nar')));
  });
});
