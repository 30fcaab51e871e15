import { describe, expect, it } from 'vitest';
import { SectorDescriptor, Sectors } from '../../src/engine/sectors.js';

const SECTOR = 512;

/** Sectors after reset, with each sector's [writable, valid] counters set. */
function sectorsWith(counters: [number, number][], lastNew = 0): Sectors {
  const sectors = new Sectors(counters.length, SECTOR);
  sectors.reset();
  counters.forEach(([writable, valid], i) => {
    const sector = sectors.descriptors[i]!;
    sector.writableBytes = writable;
    sector.addValidBytes(valid);
  });
  sectors.setLastNewSector(lastNew * SECTOR);
  return sectors;
}

describe('SectorDescriptor', () => {
  it('keeps 16-bit counters as pw_kvs does', () => {
    const sector = new SectorDescriptor(0, SECTOR);
    expect(sector.writableBytes).toBe(SECTOR);
    expect(sector.isEmpty(SECTOR)).toBe(true);
    sector.writableBytes = SECTOR - 1024; // negative: wraps to 16 bits
    expect(sector.writableBytes).toBe(65536 - 512);
    sector.addValidBytes(65530);
    sector.addValidBytes(10);
    expect(sector.validBytes).toBe(4);
    sector.removeValidBytes(5);
    expect(sector.validBytes).toBe(0);
    sector.writableBytes = 100;
    sector.removeWritableBytes(30);
    expect(sector.writableBytes).toBe(70);
    sector.removeWritableBytes(71);
    expect(sector.writableBytes).toBe(0);
  });

  it('a corrupt sector has no writable bytes and is not empty', () => {
    const sector = new SectorDescriptor(0, SECTOR);
    sector.markCorrupt();
    expect(sector.isCorrupt).toBe(true);
    expect(sector.writableBytes).toBe(0);
    expect(sector.isEmpty(SECTOR)).toBe(false);
    expect(sector.recoverableBytes(SECTOR)).toBe(512n);
    sector.writableBytes = SECTOR;
    expect(sector.isCorrupt).toBe(false);
  });

  it('reports recoverable bytes as a size_t that wraps modulo 2^64', () => {
    const sector = new SectorDescriptor(0, SECTOR);
    sector.writableBytes = 200;
    sector.addValidBytes(100);
    expect(sector.recoverableBytes(SECTOR)).toBe(212n);
    expect(sector.hasRecoverableBytes(SECTOR)).toBe(true);
    sector.addValidBytes(400);
    expect(sector.signedRecoverableBytes(SECTOR)).toBe(-188);
    expect(sector.recoverableBytes(SECTOR)).toBe(2n ** 64n - 188n);
    expect(sector.hasRecoverableBytes(SECTOR)).toBe(true);
    sector.removeValidBytes(188);
    expect(sector.recoverableBytes(SECTOR)).toBe(0n);
    expect(sector.hasRecoverableBytes(SECTOR)).toBe(false);
  });

  it('orders recoverable bytes exactly as their u64 values, wrapped ones above all others', () => {
    // [writable, valid] giving recoverable bytes -65536, -188, -1, 0, 1, 212, 512.
    const counters: [number, number][] = [
      [65024, 1024],
      [0, 700],
      [0, 513],
      [0, 512],
      [0, 511],
      [200, 100],
      [0, 0],
    ];
    const order = counters.map(([writable, valid]) => {
      const sector = new SectorDescriptor(0, SECTOR);
      sector.writableBytes = writable;
      sector.addValidBytes(valid);
      return { u64: sector.recoverableBytes(SECTOR), key: sector.recoverableBytesOrder(SECTOR) };
    });
    expect(order.map((o) => o.u64)).toEqual([
      2n ** 64n - 65536n,
      2n ** 64n - 188n,
      2n ** 64n - 1n,
      0n,
      1n,
      212n,
      512n,
    ]);
    for (const a of order) {
      for (const b of order) expect(a.u64 < b.u64, `${a.u64} < ${b.u64}`).toBe(a.key < b.key);
    }
  });
});

describe('Sectors', () => {
  it('holds no descriptors before reset: no space at all (pw_kvs before init)', () => {
    const sectors = new Sectors(4, SECTOR);
    expect(sectors.descriptors).toHaveLength(0);
    expect(sectors.space()).toEqual({ writableBytes: 0, inUseBytes: 0, reclaimableBytes: 0n });
    expect(() => sectors.lastNew).toThrow(/invariant/);
    sectors.reset();
    expect(sectors.descriptors).toHaveLength(4);
    expect(sectors.lastNew.index).toBe(0);
  });

  it('maps addresses to sectors', () => {
    const sectors = sectorsWith([
      [SECTOR, 0],
      [SECTOR, 0],
      [SECTOR, 0],
    ]);
    expect(sectors.fromAddress(511).index).toBe(0);
    expect(sectors.fromAddress(512).index).toBe(1);
    expect(sectors.baseAddress(sectors.descriptors[2]!)).toBe(1024);
    expect(sectors.isAddressInSector(sectors.descriptors[1]!, 1023)).toBe(true);
    expect(sectors.isAddressInSector(sectors.descriptors[1]!, 1024)).toBe(false);
    expect(sectors.isAddressInSector(sectors.descriptors[1]!, 511)).toBe(false);
    sectors.descriptors[1]!.writableBytes = 100;
    expect(sectors.nextWritableAddress(sectors.descriptors[1]!)).toBe(512 + 412);
  });

  it('space counts every sector but the first empty one as writable, and sums exactly', () => {
    const sectors = sectorsWith([
      [100, 300],
      [SECTOR, 0],
      [SECTOR, 0],
      [0, 600],
    ]);
    expect(sectors.space()).toEqual({
      writableBytes: 100 + SECTOR,
      inUseBytes: 900,
      // 112 + 0 + 0 + (512 - 600 as u64), summed mod 2^64
      reclaimableBytes: 24n,
    });
    const wrapped = sectorsWith([
      [SECTOR, 0],
      [0, 600],
      [0, 500],
    ]);
    expect(wrapped.space().reclaimableBytes).toBe(2n ** 64n - 88n + 12n);
  });

  describe('findSpace (a new entry)', () => {
    it('takes the first partly written sector with room after the last new one', () => {
      const sectors = sectorsWith(
        [
          [100, 0],
          [SECTOR, 0],
          [50, 0],
          [100, 0],
        ],
        2,
      );
      expect(sectors.findSpace(64, [])?.index).toBe(3);
      expect(sectors.findSpace(64, [3 * SECTOR])?.index).toBe(0);
      expect(sectors.findSpace(101, [])).toBeUndefined();
    });

    it('opens an empty sector only while another stays empty, and remembers it', () => {
      const sectors = sectorsWith(
        [
          [0, 0],
          [SECTOR, 0],
          [SECTOR, 0],
          [0, 0],
        ],
        1,
      );
      expect(sectors.findSpace(64, [])?.index).toBe(2);
      expect(sectors.lastNew.index).toBe(2);
      sectors.descriptors[2]!.writableBytes = 0;
      expect(sectors.findSpace(64, [])).toBeUndefined();
    });

    it('never appends to a sector whose writable count exceeds the sector', () => {
      const sectors = sectorsWith(
        [
          [65024, 0],
          [SECTOR, 0],
          [SECTOR, 0],
        ],
        0,
      );
      expect(sectors.findSpace(64, [])?.index).toBe(1);
    });
  });

  describe('findSpaceDuringGarbageCollection', () => {
    it('prefers a partly written sector with nothing to reclaim', () => {
      const sectors = sectorsWith(
        [
          [100, 400],
          [200, 100],
          [SECTOR, 0],
          [300, 212],
        ],
        0,
      );
      expect(sectors.findSpaceDuringGarbageCollection(64, [], [])?.index).toBe(3);
    });

    it("else keeps the one with the MOST reclaimable bytes (pw_kvs's inverted comparison)", () => {
      const sectors = sectorsWith(
        [
          [100, 100],
          [200, 100],
          [300, 100],
          [0, 512],
        ],
        3,
      );
      // Recoverable: 312, 212, 112 — all have room for 64.
      expect(sectors.findSpaceDuringGarbageCollection(64, [], [])?.index).toBe(0);
      expect(sectors.findSpaceDuringGarbageCollection(64, [0], [])?.index).toBe(1);
      expect(sectors.findSpaceDuringGarbageCollection(64, [0], [SECTOR])?.index).toBe(2);
    });

    it('may use the last empty sector', () => {
      const sectors = sectorsWith(
        [
          [0, 512],
          [SECTOR, 0],
          [0, 512],
        ],
        0,
      );
      expect(sectors.findSpace(64, [])).toBeUndefined();
      expect(sectors.findSpaceDuringGarbageCollection(64, [], [])?.index).toBe(1);
    });
  });

  describe('findSectorToGarbageCollect', () => {
    it('first takes a sector of only stale data, in rotation order after the last new one', () => {
      const sectors = sectorsWith(
        [
          [0, 0],
          [0, 100],
          [0, 0],
          [SECTOR, 0],
        ],
        0,
      );
      expect(sectors.findSectorToGarbageCollect([])?.index).toBe(2);
      expect(sectors.findSectorToGarbageCollect([2 * SECTOR])?.index).toBe(0);
    });

    it('else the one with the most reclaimable bytes; a wrapped value counts as huge', () => {
      const sectors = sectorsWith(
        [
          [0, 400],
          [0, 300],
          [SECTOR, 0],
          [0, 500],
        ],
        0,
      );
      expect(sectors.findSectorToGarbageCollect([])?.index).toBe(1);
      sectors.descriptors[3]!.addValidBytes(100); // 600 valid: 512 - 600 wraps
      expect(sectors.findSectorToGarbageCollect([])?.index).toBe(3);
      expect(sectors.findSectorToGarbageCollect([3 * SECTOR])?.index).toBe(1);
    });

    it('else the one with the most valid bytes; none when nothing qualifies', () => {
      const sectors = sectorsWith(
        [
          [0, 512],
          [SECTOR, 0],
          [12, 500],
        ],
        0,
      );
      expect(sectors.findSectorToGarbageCollect([])?.index).toBe(0);
      expect(sectors.findSectorToGarbageCollect([0])?.index).toBe(2);
      expect(
        sectorsWith([
          [SECTOR, 0],
          [SECTOR, 0],
        ]).findSectorToGarbageCollect([]),
      ).toBeUndefined();
    });
  });

  it('hardening victims: every sector not empty, most reclaimable first', () => {
    const sectors = sectorsWith([
      [100, 100],
      [SECTOR, 0],
      [0, 600],
      [0, 500],
      [0, 412],
    ]);
    expect(sectors.hardeningVictims().map((sector) => sector.index)).toEqual([2, 0, 4, 3]);
  });

  it('maintenance victims: reclaimable sectors in rotation order, with valid bytes only when forced', () => {
    const sectors = sectorsWith(
      [
        [0, 100],
        [SECTOR, 0],
        [0, 0],
        [0, 512],
        [100, 0],
      ],
      1,
    );
    const cursor = { position: 1 };
    expect([...sectors.maintenanceVictims(cursor, false)].map((s) => s.index)).toEqual([2, 4]);
    expect(cursor.position).toBe(1);
    expect([...sectors.maintenanceVictims({ position: 3 }, true)].map((s) => s.index)).toEqual([
      4, 0, 2,
    ]);
    // A pass that stops early leaves the cursor where it stopped.
    const partial = { position: 1 };
    for (const sector of sectors.maintenanceVictims(partial, true)) {
      expect(sector.index).toBe(2);
      break;
    }
    expect(partial.position).toBe(2);
  });
});
