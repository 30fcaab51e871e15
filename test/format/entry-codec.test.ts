import { describe, expect, it } from 'vitest';
import { type ChecksumName, createChecksum, crc16Ccitt, crc32 } from '../../src/format/checksum.js';
import {
  DecodedEntry,
  decodeEntryAt,
  decodeHeaderAt,
  entryChecksumMatches,
  updateEntryChecksum,
} from '../../src/format/entry-codec.js';
import { decodeEntryHeader } from '../../src/format/entry-header.js';

const MAGIC = 0x600df00d;

interface Spec {
  key: string | Uint8Array;
  /** null: a tombstone. */
  value: Uint8Array | null;
  checksum: ChecksumName;
  alignmentUnits?: number;
  magic?: number;
  transactionId?: number;
}

/**
 * An entry laid out by hand, not by the encoder: the 16-byte header (little-endian), key,
 * value and zero padding, the checksum computed over all of it with the field zeroed.
 */
function entryBytes(spec: Spec): Uint8Array {
  const key = typeof spec.key === 'string' ? new TextEncoder().encode(spec.key) : spec.key;
  const value = spec.value ?? new Uint8Array(0);
  const units = spec.alignmentUnits ?? 0;
  const alignment = (units + 1) * 16;
  const content = 16 + key.length + value.length;
  const bytes = new Uint8Array(Math.ceil(content / alignment) * alignment);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, spec.magic ?? MAGIC, true);
  bytes[8] = units;
  bytes[9] = key.length;
  view.setUint16(10, spec.value === null ? 0xffff : value.length, true);
  view.setUint32(12, spec.transactionId ?? 7, true);
  bytes.set(key, 16);
  bytes.set(value, 16 + key.length);
  if (spec.checksum === 'crc16') view.setUint16(4, crc16Ccitt(bytes), true);
  if (spec.checksum === 'crc32') view.setUint32(4, crc32(bytes), true);
  return bytes;
}

/** `entry` at `offset` of an erased array of `size` bytes. */
function placed(entry: Uint8Array, offset: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size).fill(0xff);
  bytes.set(entry, offset);
  return bytes;
}

const VALUE = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);

describe('decodeEntryAt', () => {
  it('decodes the header, the size with padding and the key and value ranges', () => {
    const entry = entryBytes({ key: 'temp', value: VALUE, checksum: 'crc16', transactionId: 42 });
    expect(entry.length).toBe(48); // 16 + 4 + 17 = 37, padded to 48
    const bytes = placed(entry, 64, 256);
    const decoded = new DecodedEntry();
    expect(decodeEntryAt(bytes, 64, 256, decoded)).toBe('OK');
    expect(decoded.address).toBe(64);
    expect(decoded.sizeBytes).toBe(48);
    expect(decoded.header).toEqual(decodeEntryHeader(entry));
    expect(decoded.header).toMatchObject({
      magic: MAGIC,
      alignmentUnits: 0,
      keyLength: 4,
      valueSize: 17,
      transactionId: 42,
    });
    expect(decoded.keyOffset).toBe(80);
    expect(decoded.valueOffset).toBe(84);
    expect(decoded.valueEnd).toBe(101);
    expect(new TextDecoder().decode(bytes.subarray(decoded.keyOffset, decoded.valueOffset))).toBe(
      'temp',
    );
    expect(bytes.subarray(decoded.valueOffset, decoded.valueEnd)).toEqual(VALUE);
  });

  it('sizes an entry by its own alignment', () => {
    const entry = entryBytes({ key: 'k', value: VALUE, checksum: 'crc16', alignmentUnits: 3 });
    const decoded = new DecodedEntry();
    expect(decodeEntryAt(entry, 0, entry.length, decoded)).toBe('OK');
    expect(decoded.sizeBytes).toBe(64);
  });

  it('decodes a tombstone: no value bytes, the value range empty', () => {
    const entry = entryBytes({ key: 'gone', value: null, checksum: 'crc16' });
    const decoded = new DecodedEntry();
    expect(decodeEntryAt(entry, 0, entry.length, decoded)).toBe('OK');
    expect(decoded.header.valueSize).toBe(0xffff);
    expect(decoded.sizeBytes).toBe(32);
    expect(decoded.valueEnd).toBe(decoded.valueOffset);
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('crc16'))).toBe(true);
  });

  it('reports erased flash, and leaves the header alone', () => {
    const bytes = new Uint8Array(64).fill(0xff);
    const decoded = new DecodedEntry();
    decoded.header.magic = 5;
    expect(decodeEntryAt(bytes, 16, 64, decoded)).toBe('ERASED');
    expect(decoded.header.magic).toBe(5);
  });

  it('refuses a key length of 0 or above 63', () => {
    const decoded = new DecodedEntry();
    const empty = entryBytes({ key: '', value: VALUE, checksum: 'crc16' });
    expect(decodeEntryAt(empty, 0, empty.length, decoded)).toBe('BAD_KEY_LENGTH');
    const long = entryBytes({ key: 'k', value: VALUE, checksum: 'crc16' });
    long[9] = 64;
    expect(decodeEntryAt(long, 0, 512, decoded)).toBe('BAD_KEY_LENGTH');
  });

  it('refuses an alignment above 256 bytes, which pw_kvs never writes', () => {
    const entry = entryBytes({ key: 'k', value: VALUE, checksum: 'crc16', alignmentUnits: 15 });
    const decoded = new DecodedEntry();
    expect(decodeEntryAt(entry, 0, entry.length, decoded)).toBe('OK');
    expect(decoded.sizeBytes).toBe(256);
    entry[8] = 16;
    expect(decodeEntryAt(placed(entry, 0, 1024), 0, 1024, decoded)).toBe('BAD_ALIGNMENT');
  });

  it('reports an entry, or a header, that runs past the end as truncated', () => {
    const entry = entryBytes({ key: 'temp', value: VALUE, checksum: 'crc16' });
    const bytes = placed(entry, 0, 256);
    const decoded = new DecodedEntry();
    expect(decodeEntryAt(bytes, 0, 48, decoded)).toBe('OK');
    expect(decodeEntryAt(bytes, 0, 47, decoded)).toBe('TRUNCATED');
    expect(decodeEntryAt(bytes, 0, 15, decoded)).toBe('TRUNCATED');
    expect(decodeEntryAt(bytes, 0, 0, decoded)).toBe('TRUNCATED');
  });
});

describe('decodeHeaderAt (the engine’s checks, as pw_kvs Entry::Read)', () => {
  it('accepts what only raw-image decoding refuses: key length 0, any alignment', () => {
    const entry = entryBytes({ key: '', value: VALUE, checksum: 'crc16' });
    entry[8] = 200;
    const header = decodeEntryHeader(new Uint8Array(16));
    expect(decodeHeaderAt(entry, 0, header)).toBe('OK');
    expect(header).toMatchObject({ keyLength: 0, alignmentUnits: 200 });
  });

  it('gives DATA_LOSS for a key length above 63 and NOT_FOUND for erased flash', () => {
    const entry = entryBytes({ key: 'k', value: VALUE, checksum: 'crc16' });
    entry[9] = 63;
    const header = decodeEntryHeader(new Uint8Array(16));
    expect(decodeHeaderAt(entry, 0, header)).toBe('OK');
    entry[9] = 64;
    expect(decodeHeaderAt(entry, 0, header)).toBe('DATA_LOSS');
    expect(decodeHeaderAt(new Uint8Array(16).fill(0xff), 0, header)).toBe('NOT_FOUND');
  });
});

describe('entryChecksumMatches', () => {
  it.each(['crc16', 'crc32'] as const)(
    'verifies %s over header, key, value and padding, and catches any changed byte',
    (name) => {
      const entry = entryBytes({ key: 'temp', value: VALUE, checksum: name });
      const bytes = placed(entry, 32, 128);
      const decoded = new DecodedEntry();
      expect(decodeEntryAt(bytes, 32, 128, decoded)).toBe('OK');
      const algorithm = createChecksum(name);
      expect(entryChecksumMatches(bytes, 32, decoded.header, algorithm)).toBe(true);
      // Every byte of header (but the field, which is compared), key and value counts.
      for (const at of [0, 8, 9, 12, 15, 16, 19, 20, 36]) {
        const changed = bytes.slice();
        changed[32 + at]! ^= 0x10;
        const header = new DecodedEntry();
        if (decodeEntryAt(changed, 32, 128, header) !== 'OK') continue;
        expect(entryChecksumMatches(changed, 32, header.header, algorithm)).toBe(false);
      }
      // The padding is not read: it counts as zeros whatever flash holds there.
      const padded = bytes.slice();
      padded[32 + 40] = 0xee;
      expect(entryChecksumMatches(padded, 32, decoded.header, algorithm)).toBe(true);
    },
  );

  it('fails a stored checksum that does not match, under the other algorithm too', () => {
    const entry = entryBytes({ key: 'temp', value: VALUE, checksum: 'crc16' });
    const decoded = new DecodedEntry();
    decodeEntryAt(entry, 0, entry.length, decoded);
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('crc32'))).toBe(false);
    decoded.header.checksum ^= 1;
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('crc16'))).toBe(false);
  });

  it('compares only the algorithm’s bytes of the field (CRC-16 uses two of four)', () => {
    const entry = entryBytes({ key: 'temp', value: VALUE, checksum: 'crc16' });
    entry[6] = 0xab;
    const decoded = new DecodedEntry();
    decodeEntryAt(entry, 0, entry.length, decoded);
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('crc16'))).toBe(true);
  });

  it('without an algorithm (none) accepts only a zero field; ignore accepts any', () => {
    const entry = entryBytes({ key: 'temp', value: VALUE, checksum: 'none' });
    const decoded = new DecodedEntry();
    decodeEntryAt(entry, 0, entry.length, decoded);
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('none'))).toBe(true);
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('ignore'))).toBe(true);
    decoded.header.checksum = 0x1234;
    expect(entryChecksumMatches(entry, 0, decoded.header, null)).toBe(false);
    expect(entryChecksumMatches(entry, 0, decoded.header, createChecksum('ignore'))).toBe(true);
  });

  it('tells the algorithm of an unknown magic by trying CRC-16 and CRC-32', () => {
    const tried = (['crc16', 'crc32'] as const).map((name) => ({
      name,
      algorithm: createChecksum(name),
    }));
    for (const name of ['crc16', 'crc32'] as const) {
      const entry = entryBytes({ key: 'x', value: VALUE, checksum: name, magic: 0x12345678 });
      const decoded = new DecodedEntry();
      expect(decodeEntryAt(entry, 0, entry.length, decoded)).toBe('OK');
      const found = tried.find(({ algorithm }) =>
        entryChecksumMatches(entry, 0, decoded.header, algorithm),
      );
      expect(found?.name).toBe(name);
    }
  });
});

describe('updateEntryChecksum', () => {
  it('checksums an entry chunk by chunk as it does in one run, the field as zeros', () => {
    const entry = entryBytes({ key: 'temp', value: VALUE, checksum: 'crc32', alignmentUnits: 1 });
    const whole = createChecksum('crc32')!;
    whole.reset();
    updateEntryChecksum(whole, entry, 0, entry.length, 0);
    const expected = Array.from(whole.finish());
    for (const chunk of [1, 3, 5, 16, 32]) {
      const algorithm = createChecksum('crc32')!;
      algorithm.reset();
      for (let at = 0; at < entry.length; at += chunk) {
        updateEntryChecksum(algorithm, entry, at, Math.min(chunk, entry.length - at), at);
      }
      expect(Array.from(algorithm.finish())).toEqual(expected);
    }
    const view = new DataView(entry.buffer);
    expect(new DataView(Uint8Array.from(expected).buffer).getUint32(0, true)).toBe(
      view.getUint32(4, true),
    );
  });
});
