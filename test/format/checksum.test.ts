import { describe, expect, it } from 'vitest';
import {
  Crc16Checksum,
  Crc32Checksum,
  IgnoreChecksum,
  checksumMatches,
  crc16Ccitt,
  crc32,
  createChecksum,
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
