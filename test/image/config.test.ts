import { describe, expect, it } from 'vitest';
import {
  DEFAULT_IMAGE_CONFIG,
  imageConfigToJson,
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
