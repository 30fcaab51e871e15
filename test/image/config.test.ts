import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IMAGE_CONFIG,
  imageConfigToJson,
  mergeImageConfig,
  parseImageConfig,
  partitionOptionsOf,
  storeOptionsOf,
} from '../../src/image/config.js';

const invalid = expect.objectContaining({ code: 'INVALID_ARGUMENT' });

describe('image configs', () => {
  it('reads the scenario field names, filling the rest from the defaults', () => {
    const config = parseImageConfig(
      { sector_size: 1024, sector_count: 8, magic: '0x4b565331', checksum: 'crc32' },
      'test',
    );
    expect(config).toEqual({
      ...DEFAULT_IMAGE_CONFIG,
      sectorSizeBytes: 1024,
      sectorCount: 8,
      formats: [{ magic: 0x4b565331, checksum: 'crc32' }],
    });
  });

  it('round-trips through its JSON form, legacy formats included', () => {
    const config = parseImageConfig(
      { magic: 1, extra_formats: [{ magic: 2, checksum: 'none' }], redundancy: 2 },
      'test',
    );
    expect(parseImageConfig(imageConfigToJson(config), 'again')).toEqual(config);
  });

  it.each([
    ['an unknown field', { sector_sise: 4096 }],
    ['a magic that is not a u32', { magic: 2 ** 32 }],
    ['the erased magic', { magic: 0xffffffff }],
    ['an unknown checksum', { checksum: 'md5' }],
    ['fewer than 2 sectors', { sector_count: 1 }],
    ['an alignment pw_kvs does not accept', { alignment: 24 }],
    ['a sector size not a multiple of the alignment', { sector_size: 1000, alignment: 16 }],
    ['redundancy without room for the copies', { sector_count: 2, redundancy: 2 }],
    ['a magic listed twice', { magic: 5, extra_formats: [{ magic: 5 }] }],
    ['not an object', [1, 2]],
  ])('refuses %s with INVALID_ARGUMENT', (_name, json) => {
    expect(() => parseImageConfig(json, 'test')).toThrow(invalid);
  });

  it('reads partition_alignment and key_hash_char, and writes them back only when set', () => {
    const config = parseImageConfig(
      { sector_size: 1024, partition_alignment: 64, key_hash_char: 'unsigned' },
      'test',
    );
    expect(config.partitionAlignmentBytes).toBe(64);
    expect(config.keyHashChar).toBe('unsigned');
    expect(parseImageConfig(imageConfigToJson(config), 'again')).toEqual(config);
    expect(imageConfigToJson(DEFAULT_IMAGE_CONFIG)).not.toHaveProperty('partition_alignment');
    expect(imageConfigToJson(DEFAULT_IMAGE_CONFIG)).not.toHaveProperty('key_hash_char');
    expect(partitionOptionsOf(config)).toEqual({ alignmentBytes: 64 });
    expect(partitionOptionsOf(DEFAULT_IMAGE_CONFIG)).toEqual({});
    expect(storeOptionsOf(config).keyHashChar).toBe('unsigned');
    expect(storeOptionsOf(DEFAULT_IMAGE_CONFIG).keyHashChar).toBe('signed');
  });

  it("opens stores with pw_kvs's behaviour: power-loss hardening off, stated explicitly", () => {
    expect(storeOptionsOf(DEFAULT_IMAGE_CONFIG).powerLossHardening).toBe(false);
  });

  it.each([
    ['not a multiple of the alignment', { alignment: 16, partition_alignment: 24 }],
    ['not dividing the sector size', { sector_size: 1024, partition_alignment: 96 }],
    ['zero', { partition_alignment: 0 }],
  ])('refuses a partition_alignment %s', (_what, json) => {
    expect(() => parseImageConfig(json, 'test')).toThrow(invalid);
  });

  it('refuses a key_hash_char other than signed or unsigned', () => {
    expect(() => parseImageConfig({ key_hash_char: 'arm' }, 'test')).toThrow(invalid);
  });
});

describe('mergeImageConfig', () => {
  const message = (call: () => unknown): string => {
    try {
      call();
    } catch (error) {
      expect(error).toEqual(invalid);
      return (error as Error).message;
    }
    throw new Error('expected INVALID_ARGUMENT');
  };

  it('gives the base config, the sector count from the image size rounded up', () => {
    expect(mergeImageConfig({})).toEqual(DEFAULT_IMAGE_CONFIG);
    expect(mergeImageConfig({ imageSizeBytes: 5 * 4096 + 1 })).toEqual({
      ...DEFAULT_IMAGE_CONFIG,
      sectorCount: 6,
    });
  });

  it('keeps the sector count a detected base or a file vouches for, unless --sector-size', () => {
    const base = { ...DEFAULT_IMAGE_CONFIG, sectorCount: 3 };
    expect(
      mergeImageConfig({ base, baseSectorCountKnown: true, imageSizeBytes: 8 * 4096 }).sectorCount,
    ).toBe(3);
    const file = { json: { sector_count: 5 }, name: 'a.json' };
    expect(mergeImageConfig({ file, imageSizeBytes: 8 * 4096 }).sectorCount).toBe(5);
    expect(
      mergeImageConfig({ file, imageSizeBytes: 8 * 4096, flags: { 'sector-size': '2048' } }),
    ).toMatchObject({ sectorSizeBytes: 2048, sectorCount: 16 });
    expect(
      mergeImageConfig({ file: { json: {}, name: 'b.json' }, imageSizeBytes: 8 * 4096 })
        .sectorCount,
    ).toBe(8);
  });

  it('puts the flags over the file over the base', () => {
    const config = mergeImageConfig({
      base: { ...DEFAULT_IMAGE_CONFIG, redundancy: 2, keyHashChar: 'unsigned' },
      file: { json: { sector_size: 1024, max_entries: 50, checksum: 'crc32' }, name: 'c.json' },
      flags: {
        sectors: '6',
        magic: '0x10',
        'extra-formats': '0x20:none, 48',
        alignment: '32',
        'max-entries': '9',
      },
    });
    expect(config).toEqual({
      sectorSizeBytes: 1024,
      sectorCount: 6,
      alignmentBytes: 32,
      formats: [
        { magic: 0x10, checksum: 'crc32' },
        { magic: 0x20, checksum: 'none' },
        { magic: 48, checksum: 'crc16' },
      ],
      redundancy: 2,
      maxEntries: 9,
      keyHashChar: 'unsigned',
    });
    expect(mergeImageConfig({ flags: { 'target-arch': 'arm' } }).keyHashChar).toBe('unsigned');
    expect(mergeImageConfig({ flags: { 'target-arch': 'x86' } }).keyHashChar).toBe('signed');
  });

  it('names the flag, the file or the image in its INVALID_ARGUMENT messages', () => {
    expect(message(() => mergeImageConfig({ flags: { redundancy: '0' } }))).toBe(
      '--redundancy: expected a positive integer, got "0"',
    );
    expect(message(() => mergeImageConfig({ flags: { checksum: 'md5' } }))).toBe(
      '--checksum: expected crc16, crc32, none or ignore, got "md5"',
    );
    expect(message(() => mergeImageConfig({ flags: { 'extra-formats': '1:crc16:x' } }))).toBe(
      '--extra-formats: expected MAGIC:CHECKSUM, got "1:crc16:x"',
    );
    expect(message(() => mergeImageConfig({ flags: { 'target-arch': 'mips' } }))).toBe(
      '--target-arch: expected x86 or arm, got "mips"',
    );
    expect(message(() => mergeImageConfig({ flags: { magic: 'x' } }))).toMatch(/^--magic: /);
    expect(message(() => mergeImageConfig({ imageSizeBytes: 0, imageName: 'image file e' }))).toBe(
      'image file e is empty',
    );
    expect(
      message(() => mergeImageConfig({ file: { json: { sector_sise: 1 }, name: 'd.json' } })),
    ).toMatch(/^config file d\.json: unknown field 'sector_sise'/);
    expect(
      message(() =>
        mergeImageConfig({ file: { json: {}, name: 'd.json' }, flags: { sectors: '1' } }),
      ),
    ).toBe('config (with d.json): pw_kvs needs at least 2 sectors, got 1');
    expect(message(() => mergeImageConfig({ flags: { sectors: '1' } }))).toBe(
      'config: pw_kvs needs at least 2 sectors, got 1',
    );
  });
});
