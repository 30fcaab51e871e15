// pw_kvs/checksum_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported. pw_kvs's
// Verify(span) is flashkv's checksumMatches(algorithm, field): the stored field is always the
// header's 4 bytes, so a field shorter than the state cannot occur (see the README).
import { describe, expect, it } from 'vitest';
import {
  type ChecksumAlgorithm,
  Crc16Checksum,
  IgnoreChecksum,
  checksumField,
  checksumMatches,
} from '../../src/format/checksum.js';
import { text } from './_bytes.js';

const STRING = text(
  'In the beginning the Universe was created. This has made a lot of ' +
    'people very angry and been widely regarded as a bad move.',
);
const STRING_CRC = 0xc184;

/** A stored checksum field holding these bytes first (zeros after). */
const field = (...bytes: number[]) => checksumField(Uint8Array.from(bytes));

describe('checksum_test.cc', () => {
  it('Checksum.UpdateAndVerify', () => {
    const algorithm = new Crc16Checksum();
    algorithm.update(STRING);
    expect(checksumMatches(algorithm, STRING_CRC)).toBe(true);
    expect([...algorithm.finish()]).toEqual([0x84, 0xc1]);
  });

  it('Checksum.Verify_Failure', () => {
    const algorithm = new Crc16Checksum();
    // The first two bytes of the string as the stored checksum.
    expect(checksumMatches(algorithm, field(STRING[0]!, STRING[1]!))).toBe(false);
  });

  it('Checksum.Verify_LargerState_ComparesToTruncatedData', () => {
    const algorithm = new Crc16Checksum();
    algorithm.update(STRING);
    // A stored field longer than the 2-byte state: only the first 2 bytes are compared.
    expect(algorithm.sizeBytes).toBeLessThan(3);
    expect(checksumMatches(algorithm, field(0x84, 0xc1, 0x33))).toBe(true);
    expect(checksumMatches(algorithm, field(0x84, 0xc1, 0x33, 0x77))).toBe(true);
  });

  it('Checksum.Reset', () => {
    const algorithm = new Crc16Checksum();
    algorithm.update(STRING);
    algorithm.reset();
    expect([...algorithm.finish()]).toEqual([0xff, 0xff]);
  });

  it('IgnoreChecksum.NeverUpdate_VerifyWithoutData', () => {
    expect(checksumMatches(new IgnoreChecksum(), 0)).toBe(true);
  });

  it('IgnoreChecksum.NeverUpdate_VerifyWithData', () => {
    expect(checksumMatches(new IgnoreChecksum(), field(...STRING.subarray(0, 4)))).toBe(true);
  });

  it('IgnoreChecksum.AfterUpdate_Verify', () => {
    const checksum: ChecksumAlgorithm = new IgnoreChecksum();
    checksum.update(STRING);
    expect(checksumMatches(checksum, 0)).toBe(true);
  });
});
