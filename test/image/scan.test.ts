import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import {
  DEFAULT_IMAGE_CONFIG,
  type ImageConfig,
  geometryOf,
  storeOptionsOf,
} from '../../src/image/config.js';
import { scanImage, soleKind } from '../../src/image/scan.js';
import { fcOptions } from '../helpers/fc.js';
import { listCases, loadCase } from '../helpers/vectors.js';
import { caseConfig, openStore } from './_images.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Live keys as the engine sees them, without repairing anything. */
function engineKeys(config: ImageConfig, image: Uint8Array): { keys: string[]; status: string } {
  const flash = new MemoryFlash({ ...geometryOf(config), contents: image });
  const store = new KeyValueStore(new FlashPartition(flash), {
    ...storeOptionsOf(config),
    recovery: 'manual',
    surplusKeys: 'treatAsCorrupt',
  });
  const status = store.initStatus();
  return { keys: [...store.items()].map((item) => hex(item.key)).sort(), status };
}

/** Each sector's spans tile it in address order, and its byte counts are their sums. */
function expectTiled(scan: ReturnType<typeof scanImage>, sectorSizeBytes: number): void {
  for (const sector of scan.sectors) {
    let address = sector.address;
    const sums = { live: 0, stale: 0, corrupt: 0, free: 0 };
    for (const span of sector.spans) {
      expect(span.address).toBe(address);
      address += span.sizeBytes;
      sums[span.kind] += span.sizeBytes;
    }
    expect(address).toBe(sector.address + sectorSizeBytes);
    expect([sector.liveBytes, sector.staleBytes, sector.corruptBytes, sector.freeBytes]).toEqual([
      sums.live,
      sums.stale,
      sums.corrupt,
      sums.free,
    ]);
  }
}

/** The scan's counts are those of its entries, made once (the same objects on every read). */
function expectCounted(scan: ReturnType<typeof scanImage>): void {
  const counts = { live: 0, tombstone: 0, stale: 0, corrupt: 0 };
  for (const entry of scan.entries) counts[entry.state]++;
  expect(scan.entryCounts).toEqual(counts);
  expect(scan.entries).toBe(scan.entries);
  expect(scan.sectors[0]!.spans).toBe(scan.sectors[0]!.spans);
  const perSector = scan.sectors.map((sector) => sector.entryCount);
  for (const entry of scan.entries) perSector[entry.sector]!--;
  expect(perSector.every((left) => left === 0)).toBe(true);
}

describe('scanImage on the reference images', () => {
  const ids = listCases();

  it.each(ids)('%s: the scan and the engine agree on the live keys', (id) => {
    const testCase = loadCase(id);
    const config = caseConfig(testCase);
    const scan = scanImage(testCase.imageOut, config);
    const live = [
      ...new Set(scan.entries.filter((e) => e.state === 'live').map((e) => hex(e.key))),
    ].sort();
    const engine = engineKeys(config, testCase.imageOut);
    if (!scan.problems.some((p) => p.kind === 'too-many-keys')) expect(live).toEqual(engine.keys);
    // Every byte of every sector is accounted for exactly once.
    for (const sector of scan.sectors) {
      expect(sector.liveBytes + sector.staleBytes + sector.freeBytes + sector.corruptBytes).toBe(
        config.sectorSizeBytes,
      );
    }
    expectTiled(scan, config.sectorSizeBytes);
    expectCounted(scan);
    // An image the scan finds clean is one pw_kvs's init accepts without repair.
    if (scan.problems.length === 0) expect(engine.status).toBe('OK');
  });
});

describe('scanImage finds each kind of damage', () => {
  const config: ImageConfig = { ...DEFAULT_IMAGE_CONFIG, sectorSizeBytes: 512, sectorCount: 4 };

  function image(setup: (store: KeyValueStore) => void, c: ImageConfig = config): Uint8Array {
    const { flash, store } = openStore(c);
    setup(store);
    return flash.bytes.slice();
  }

  it('a clean image: live, stale and tombstone entries, no problems', () => {
    const bytes = image((store) => {
      store.put('a', 'one');
      store.put('a', 'two');
      store.put('b', 'x');
      store.delete('b');
    });
    const scan = scanImage(bytes, config);
    expect(scan.problems).toEqual([]);
    expect(scan.entries.map((e) => [e.keyText, e.state])).toEqual([
      ['a', 'stale'],
      ['a', 'live'],
      ['b', 'stale'],
      ['b', 'tombstone'],
    ]);
    expect(scan.liveKeys).toBe(1);
    expect(scan.deletedKeys).toBe(1);
  });

  it('a flipped value byte: a corrupt entry and region, the older value becomes current', () => {
    const bytes = image((store) => {
      store.put('a', 'one');
      store.put('a', 'two');
    });
    const second = scanImage(bytes, config).entries[1]!;
    bytes[second.address + 17] = bytes[second.address + 17]! ^ 0x01;
    const scan = scanImage(bytes, config);
    expect(scan.entries.map((e) => e.state)).toEqual(['live', 'corrupt']);
    expect(scan.corruptRegions).toHaveLength(1);
    expect(scan.corruptRegions[0]!.address).toBe(second.address);
    expect(scan.problems.map((p) => p.kind)).toEqual(['corrupt-data']);
  });

  it('an entry of a magic the config does not list is reported as an unknown format', () => {
    const other: ImageConfig = { ...config, formats: [{ magic: 0x12345678, checksum: 'crc32' }] };
    const bytes = image((store) => store.put('k', 'v'), other);
    const scan = scanImage(bytes, config);
    expect(scan.unknownFormats).toEqual([{ magic: 0x12345678, checksum: 'crc32', entryCount: 1 }]);
    expect(scan.problems.map((p) => p.kind)).toContain('unknown-format');
  });

  it.each(['crc16', 'crc32', 'none', 'ignore'] as const)(
    'checks entries with the listed format’s own checksum (%s), legacy formats included',
    (checksum) => {
      const primary = { magic: 0x0badcafe, checksum };
      const legacy = { magic: 0x600df00d, checksum: checksum === 'crc32' ? 'crc16' : 'crc32' };
      const both: ImageConfig = { ...config, formats: [primary, legacy] as ImageConfig['formats'] };
      const bytes = image(
        (store) => {
          store.put('new', 'value');
          store.put('gone', 'x');
          store.delete('gone');
        },
        { ...config, formats: [primary] },
      );
      const old = image((store) => store.put('old', 'value'), {
        ...config,
        formats: [legacy] as ImageConfig['formats'],
      });
      // The legacy entry's sector copied into a sector the primary store left erased.
      const from = scanImage(old, { ...config, formats: [legacy] as ImageConfig['formats'] })
        .entries[0]!.sector;
      const to = scanImage(bytes, { ...config, formats: [primary] })
        .sectors.filter((sector) => sector.freeBytes === 512)
        .at(-1)!.index;
      bytes.set(old.subarray(from * 512, from * 512 + 512), to * 512);
      const scan = scanImage(bytes, both);
      expect(scan.problems.filter((p) => p.kind !== 'no-empty-sector')).toEqual([]);
      expect(scan.entries.map((e) => [e.keyText, e.state, e.formatIndex])).toEqual([
        ['new', 'live', 0],
        ['gone', 'stale', 0],
        ['gone', 'tombstone', 0],
        ['old', 'live', 1],
      ]);
      // A changed value byte is caught by the CRCs; without a checksum (none) only a non-zero
      // field is; with ignore, nothing.
      const at = scan.entries[0]!.address + (checksum === 'none' ? 4 : 16 + 3);
      bytes[at]! ^= 0x01;
      const damaged = scanImage(bytes, both);
      expect(damaged.entries[0]!.state).toBe(checksum === 'ignore' ? 'live' : 'corrupt');
      if (checksum !== 'ignore') {
        expect(damaged.entries[0]!.reason).toBe(`checksum does not match (${checksum})`);
        expect(damaged.corruptRegions[0]!.reason).toBe('entry of key new fails its checksum');
      }
    },
  );

  it('a lost redundant copy is a missing-copies problem', () => {
    const redundant: ImageConfig = { ...config, redundancy: 2 };
    const bytes = image((store) => store.put('k', 'v'), redundant);
    const copy = scanImage(bytes, redundant).entries[1]!;
    bytes.fill(0xff, copy.sector * 512, copy.sector * 512 + 512);
    const scan = scanImage(bytes, redundant);
    expect(scan.problems.map((p) => p.kind)).toEqual(['missing-copies']);
  });

  it('programmed bytes after the last entry are corrupt, not free', () => {
    const bytes = image((store) => store.put('k', 'v'));
    const entry = scanImage(bytes, config).entries[0]!;
    bytes[entry.address + entry.sizeBytes + 100] = 0x00;
    const scan = scanImage(bytes, config);
    expect(scan.problems.map((p) => p.kind)).toEqual(['corrupt-data']);
    expect(scan.sectors[entry.sector]!.freeBytes).toBe(0);
  });

  it('more keys than max_entries and no empty sector are reported', () => {
    const bytes = image((store) => {
      for (let i = 0; i < 5; i++) store.put(`k${i}`, 'v');
    });
    expect(scanImage(bytes, { ...config, maxEntries: 3 }).problems.map((p) => p.kind)).toEqual([
      'too-many-keys',
    ]);
    const full = new Uint8Array(bytes);
    for (let sector = 0; sector < 4; sector++) full[sector * 512] = 0;
    expect(scanImage(full, config).problems.map((p) => p.kind)).toContain('no-empty-sector');
  });

  it('keeps its own copy of the keys: later changes to the bytes do not show', () => {
    const bytes = image((store) => {
      store.put('key-a', 'one');
      store.put('key-b', 'two');
    });
    const scan = scanImage(bytes, config);
    bytes.fill(0);
    expect(scan.entries.map((e) => [e.keyText, new TextDecoder().decode(e.key), e.state])).toEqual([
      ['key-a', 'key-a', 'live'],
      ['key-b', 'key-b', 'live'],
    ]);
  });

  it('ends on any bytes, accounting for every byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2048, maxLength: 2048 }), (bytes) => {
        const scan = scanImage(bytes, config);
        const total = scan.sectors.reduce(
          (sum, s) => sum + s.liveBytes + s.staleBytes + s.freeBytes + s.corruptBytes,
          0,
        );
        expect(total).toBe(2048);
        expectTiled(scan, 512);
        expectCounted(scan);
      }),
      fcOptions(200),
    );
  });
});

describe('soleKind', () => {
  it('is the one kind of a sector whose spans are all of one kind, else undefined', () => {
    let sole = 0;
    let mixed = 0;
    for (const id of listCases()) {
      const testCase = loadCase(id);
      for (const sector of scanImage(testCase.imageOut, caseConfig(testCase)).sectors) {
        const kinds = new Set(sector.spans.map((span) => span.kind));
        const expected = kinds.size === 1 ? [...kinds][0] : undefined;
        expect(soleKind(sector)).toBe(expected);
        if (expected === undefined) mixed++;
        else sole++;
      }
    }
    expect(sole).toBeGreaterThan(0);
    expect(mixed).toBeGreaterThan(0);
  });
});
