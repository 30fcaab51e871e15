import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcOptions } from '../helpers/fc.js';
import {
  Crc16Checksum,
  Crc32Checksum,
  IgnoreChecksum,
  checksumMatches,
  crc16Ccitt,
  crc16CcittZeros,
  crc32,
  crc32Zeros,
  createChecksum,
  updateChecksumRange,
} from '../../src/format/checksum.js';

const CHECK_INPUT = new TextEncoder().encode('123456789');

describe('CRC check values', () => {
  it('CRC-16/CCITT-FALSE("123456789") is 0x29B1', () => {
    expect(crc16Ccitt(CHECK_INPUT)).toBe(0x29b1);
  });

  it('CRC-32("123456789") is 0xCBF43926', () => {
    expect(crc32(CHECK_INPUT)).toBe(0xcbf43926);
  });

  it('streams: updating in pieces equals one update', () => {
    const crc = new Crc16Checksum();
    crc.update(CHECK_INPUT.subarray(0, 4));
    crc.update(CHECK_INPUT.subarray(4));
    expect(Array.from(crc.finish())).toEqual([0xb1, 0x29]);
    const crc32Algorithm = new Crc32Checksum();
    crc32Algorithm.update(CHECK_INPUT.subarray(0, 1));
    crc32Algorithm.update(CHECK_INPUT.subarray(1));
    expect(Array.from(crc32Algorithm.finish())).toEqual([0x26, 0x39, 0xf4, 0xcb]);
  });

  it('reset starts a new computation', () => {
    const crc = new Crc16Checksum();
    crc.update(new Uint8Array([1, 2, 3]));
    crc.reset();
    crc.update(CHECK_INPUT);
    expect(Array.from(crc.finish())).toEqual([0xb1, 0x29]);
  });
});

describe('checksum field comparison', () => {
  it('compares only the algorithm-sized prefix of the stored field', () => {
    const crc = new Crc16Checksum();
    crc.update(CHECK_INPUT);
    expect(checksumMatches(crc, 0xbbaa29b1)).toBe(true);
    expect(checksumMatches(crc, 0x000028b1)).toBe(false);
  });

  it('ignore matches any stored field; none has no algorithm', () => {
    expect(checksumMatches(new IgnoreChecksum(), 0x04030201)).toBe(true);
    expect(createChecksum('none')).toBeNull();
    expect(createChecksum('crc32')?.sizeBytes).toBe(4);
  });
});

// The textbook bit-at-a-time definitions: no tables, nothing shared with the fast code.
function crc16Bitwise(bytes: Uint8Array, crc = 0xffff): number {
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : crc << 1;
  }
  return crc & 0xffff;
}

function crc32Bitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

describe('CRC fast paths (slicing-by-8, ranges, zeros) equal the bitwise definitions', () => {
  const bytesAndRange = fc
    .uint8Array({ maxLength: 300 })
    .chain((bytes) =>
      fc
        .tuple(fc.nat(bytes.length), fc.nat(bytes.length))
        .map(([a, b]) => [bytes, Math.min(a, b), Math.max(a, b)] as const),
    );

  it('any bytes, any range', () => {
    fc.assert(
      fc.property(bytesAndRange, ([bytes, start, end]) => {
        const part = bytes.slice(start, end);
        expect(crc16Ccitt(bytes, 0xffff, start, end)).toBe(crc16Bitwise(part));
        expect(crc32(bytes, 0, start, end)).toBe(crc32Bitwise(part));
        expect(crc16Ccitt(part)).toBe(crc16Bitwise(part));
        expect(crc32(part)).toBe(crc32Bitwise(part));
      }),
      fcOptions(),
    );
  });

  it('zeros, streamed in pieces, through the algorithm objects', () => {
    fc.assert(
      fc.property(bytesAndRange, fc.nat(40), ([bytes, start, end], zeros) => {
        const whole = new Uint8Array(bytes.length + zeros);
        whole.set(bytes);
        expect(crc16CcittZeros(zeros, crc16Ccitt(bytes))).toBe(crc16Bitwise(whole));
        expect(crc32Zeros(zeros, crc32(bytes))).toBe(crc32Bitwise(whole));
        for (const algorithm of [new Crc16Checksum(), new Crc32Checksum()]) {
          algorithm.reset();
          updateChecksumRange(algorithm, bytes, 0, start);
          updateChecksumRange(algorithm, bytes, start, end);
          algorithm.update(bytes.subarray(end));
          algorithm.updateZeros(zeros);
          const expected = algorithm.sizeBytes === 2 ? crc16Bitwise(whole) : crc32Bitwise(whole);
          expect(checksumMatches(algorithm, expected)).toBe(true);
        }
      }),
      fcOptions(),
    );
  });
});
