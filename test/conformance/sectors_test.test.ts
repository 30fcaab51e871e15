// pw_kvs/sectors_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported. The
// fixture: FakeFlashMemoryBuffer<128, 16> (16 sectors of 128 bytes), reset before each test.
import { describe, expect, it } from 'vitest';
import { Sectors } from '../../src/engine/sectors.js';

function setUp(): Sectors {
  const sectors = new Sectors(16, 128);
  expect(sectors.size).toBe(0); // no descriptors before reset, as upstream
  sectors.reset();
  return sectors;
}

describe('sectors_test.cc', () => {
  it('SectorsTest.Reset', () => {
    const sectors = setUp();
    expect(sectors.size).toBe(16);
    // Upstream's max_size() is the descriptor vector's capacity (32 there); flashkv's is the
    // store's `maxSectors` option, not a property of Sectors.
    expect(sectors.lastNew).toBe(sectors.descriptors[0]);
  });

  it('SectorsTest.LastNew', () => {
    const sectors = setUp();
    sectors.setLastNewSector(130);
    expect(sectors.baseAddress(sectors.lastNew)).toBe(128);
  });

  it('SectorsTest.AddressInSector', () => {
    const sectors = setUp();
    const sector = sectors.fromAddress(128);
    expect(sectors.isAddressInSector(sector, 127)).toBe(false);
    for (let address = 128; address < 256; address++) {
      expect(sectors.isAddressInSector(sector, address)).toBe(true);
    }
    expect(sectors.isAddressInSector(sector, 256)).toBe(false);
    expect(sectors.isAddressInSector(sector, 1025)).toBe(false);
  });

  it('SectorsTest.BaseAddressAndFromAddress', () => {
    const sectors = setUp();
    for (let address = 0; address < 384; address++) {
      expect(sectors.baseAddress(sectors.fromAddress(address))).toBe(
        Math.floor(address / 128) * 128,
      );
    }
  });

  it('SectorsTest.NextWritableAddress_EmptySector', () => {
    const sectors = setUp();
    expect(sectors.nextWritableAddress(sectors.descriptors[0]!)).toBe(0);
  });

  it('SectorsTest.NextWritableAddress_PartiallyWrittenSector', () => {
    const sectors = setUp();
    sectors.descriptors[0]!.removeWritableBytes(123);
    expect(sectors.nextWritableAddress(sectors.descriptors[0]!)).toBe(123);
  });
});
