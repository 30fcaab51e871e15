import { describe, expect, it } from 'vitest';
import { DEFAULT_MAGIC, EntryFormats, entryFormat } from '../../src/format/entry-format.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('entry formats', () => {
  it('builds a format from a magic and a checksum name (CRC-16 by default)', () => {
    const format = entryFormat({ magic: DEFAULT_MAGIC });
    expect(format.magic).toBe(3528829097);
    expect(format.checksum?.sizeBytes).toBe(2);
    expect(entryFormat({ magic: 1, checksum: 'crc32' }).checksum?.sizeBytes).toBe(4);
    expect(entryFormat({ magic: 0xfffffffe }).magic).toBe(0xfffffffe);
  });

  it('refuses a magic that is not a u32, or reads as erased flash', () => {
    expect(() => entryFormat({ magic: -1 })).toThrow(invalid);
    expect(() => entryFormat({ magic: 2 ** 32 })).toThrow(invalid);
    expect(() => entryFormat({ magic: 1.5 })).toThrow(invalid);
    expect(() => entryFormat({ magic: 0xffffffff })).toThrow(invalid);
  });

  it('lists formats, the first primary; finds them by magic; refuses none or a duplicate', () => {
    const formats = new EntryFormats([entryFormat({ magic: 1 }), entryFormat({ magic: 2 })]);
    expect(formats.primary.magic).toBe(1);
    expect(formats.find(2)?.magic).toBe(2);
    expect(formats.find(3)).toBeUndefined();
    expect(formats.isKnownMagic(1)).toBe(true);
    expect(formats.isKnownMagic(3)).toBe(false);
    expect(() => new EntryFormats([])).toThrow(invalid);
    expect(() => new EntryFormats([entryFormat({ magic: 1 }), entryFormat({ magic: 1 })])).toThrow(
      invalid,
    );
  });
});
