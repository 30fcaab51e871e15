import { describe, expect, it } from 'vitest';
import { KvsError } from '../../src/index.js';
import { DEFAULT_SPI_NOR_TIMING, parseTimingModel } from '../../src/wear/timing.js';
import { parseWearConfig, parseWearWorkload } from '../../src/wear/workload.js';

const CONFIG = parseWearConfig({ sector_size: 4096, sector_count: 4 }, 'config');

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return KvsError.is(error) ? error.code : 'not a KvsError';
  }
  return undefined;
}

describe('parseWearWorkload', () => {
  it("reads the issue's workload: static keys first, rates as periods", () => {
    const workload = parseWearWorkload(
      {
        keys: [
          { key: 'log/last', size: 64, every_s: 60 },
          { prefix: 'cal/', count: 200, size: 32, static: true },
          { key: 'boot/count', size: 4, per_day: 10 },
        ],
      },
      'workload',
      CONFIG,
    );
    expect(workload.keys).toHaveLength(202);
    expect(workload.keys[0]!.name).toBe('cal/0');
    expect(workload.keys[199]!.name).toBe('cal/199');
    expect(workload.keys.slice(0, 200).every((key) => key.periodSeconds === undefined)).toBe(true);
    expect(workload.keys[200]).toMatchObject({ name: 'log/last', periodSeconds: 60 });
    expect(workload.keys[201]).toMatchObject({ name: 'boot/count', periodSeconds: 8640 });
    expect(Array.from(workload.keys[200]!.key)).toEqual(
      Array.from('log/last', (c) => c.charCodeAt(0)),
    );
    // lcm(60 s, 8640 s)
    expect(workload.hyperperiodSeconds).toBe(8640);
  });

  it('staggers the keys of a periodic group over the period', () => {
    const workload = parseWearWorkload(
      { keys: [{ prefix: 'm/', count: 4, size: 8, every_s: 2 }] },
      'workload',
      CONFIG,
    );
    expect(workload.keys.map((key) => key.offsetSeconds)).toEqual([0, 0.5, 1, 1.5]);
    expect(workload.hyperperiodSeconds).toBe(2);
  });

  it('has no hyperperiod when the periods share no multiple on the 1 ms grid', () => {
    const workload = parseWearWorkload(
      { keys: [{ key: 'a', size: 8, every_s: Math.PI }] },
      'workload',
      CONFIG,
    );
    expect(workload.hyperperiodSeconds).toBeUndefined();
  });

  it('refuses malformed workloads with INVALID_ARGUMENT', () => {
    const bad: unknown[] = [
      null,
      [],
      { keys: [] },
      { keys: 'a' },
      { keys: [{ key: 'a', size: 4, every_s: 1 }], extra: 1 },
      { keys: [{ key: 'a', size: 4 }] }, // no rate
      { keys: [{ key: 'a', size: 4, every_s: 1, per_day: 2 }] }, // two rates
      { keys: [{ key: 'a', size: 4, every_s: 0 }] },
      { keys: [{ key: 'a', size: 4, every_s: -5 }] },
      { keys: [{ key: 'a', size: 4, per_day: 'often' }] },
      { keys: [{ key: 'a', size: 0, every_s: 1 }] },
      { keys: [{ key: 'a', size: 2.5, every_s: 1 }] },
      { keys: [{ key: 'a', every_s: 1 }] }, // no size
      { keys: [{ key: 'a', size: 4096, every_s: 1 }] }, // entry larger than a sector
      { keys: [{ key: '', size: 4, every_s: 1 }] },
      { keys: [{ key: 'k'.repeat(64), size: 4, every_s: 1 }] },
      { keys: [{ prefix: 'p', size: 4, every_s: 1 }] }, // prefix without count
      { keys: [{ key: 'a', count: 2, size: 4, every_s: 1 }] },
      { keys: [{ key: 'a', prefix: 'b', count: 1, size: 4, every_s: 1 }] },
      { keys: [{ key: 'a', size: 4, every_s: 1, static: 'yes' }] },
      { keys: [{ key: 'a', size: 4, every_s: 1, colour: 'red' }] },
      {
        keys: [
          { key: 'a', size: 4, every_s: 1 },
          { key: 'a', size: 4, per_day: 1 },
        ],
      },
      { keys: [{ prefix: 'p', count: 300, size: 4, static: true }] }, // > max_entries (256)
    ];
    for (const json of bad) {
      expect(
        code(() => parseWearWorkload(json, 'workload', CONFIG)),
        JSON.stringify(json),
      ).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('parseWearConfig', () => {
  it('reads the image config fields and gc_on_write', () => {
    const config = parseWearConfig(
      {
        sector_size: 1024,
        sector_count: 6,
        alignment: 64,
        redundancy: 2,
        gc_on_write: 'one_sector',
      },
      'config',
    );
    expect(config).toMatchObject({
      sectorSizeBytes: 1024,
      sectorCount: 6,
      alignmentBytes: 64,
      redundancy: 2,
      gcOnWrite: 'oneSector',
    });
    expect(parseWearConfig({}, 'config').gcOnWrite).toBe('asManySectorsNeeded');
  });

  it('refuses bad configs with INVALID_ARGUMENT', () => {
    for (const json of [
      null,
      { gc_on_write: 'sometimes' },
      { sector_size: 'big' },
      { sector_count: 1 },
      { alignment: 3 },
      { unknown_field: 1 },
    ]) {
      expect(
        code(() => parseWearConfig(json, 'config')),
        JSON.stringify(json),
      ).toBe('INVALID_ARGUMENT');
    }
  });
});

describe('parseTimingModel', () => {
  it('fills missing figures from the SPI NOR default', () => {
    expect(parseTimingModel({ erase_sector_ms: 300 }, 'timing')).toEqual({
      ...DEFAULT_SPI_NOR_TIMING,
      eraseSectorMs: 300,
    });
  });

  it('refuses unknown fields and negative or non-numeric figures', () => {
    for (const json of [[], { erase_ms: 1 }, { read_byte_ms: -1 }, { program_call_ms: '1' }]) {
      expect(
        code(() => parseTimingModel(json, 'timing')),
        JSON.stringify(json),
      ).toBe('INVALID_ARGUMENT');
    }
  });
});
