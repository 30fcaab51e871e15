import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulateWear } from '../../src/wear/simulate.js';
import { DEFAULT_SPI_NOR_TIMING } from '../../src/wear/timing.js';
import {
  SECONDS_PER_YEAR,
  type WearConfig,
  type WearWorkload,
  parseWearConfig,
  parseWearWorkload,
} from '../../src/wear/workload.js';
import { fcOptions } from '../helpers/fc.js';

/**
 * What the real pw_kvs read, programmed and erased on every put of three wear workloads, as
 * the simulator writes them (recorded with test/fixtures/wear-reads/record.mjs and the pw_kvs
 * oracle): per distinct tuple [read_calls, bytes_read, write_calls, bytes_written,
 * erase_calls, puts].
 */
interface ReadsCase {
  name: string;
  config: object;
  workload: object;
  horizon_s: number;
  writes: number;
  pw_kvs_per_put: [number, number, number, number, number, number][];
}
const CASES = (
  JSON.parse(
    readFileSync(new URL('../fixtures/wear-reads/cases.json', import.meta.url), 'utf8'),
  ) as { cases: ReadsCase[] }
).cases;

function setup(config: object, workload: object): { config: WearConfig; workload: WearWorkload } {
  const parsed = parseWearConfig(config, 'config');
  return { config: parsed, workload: parseWearWorkload(workload, 'workload', parsed) };
}

/** The latency of one put under the default timing model, as the simulator computes it. */
function latencyOf([readCalls, bytesRead, writeCalls, bytesWritten, erases]: number[]): number {
  const t = DEFAULT_SPI_NOR_TIMING;
  return (
    writeCalls! * t.programCallMs +
    bytesWritten! * t.programByteMs +
    readCalls! * t.readCallMs +
    bytesRead! * t.readByteMs +
    erases! * t.eraseSectorMs
  );
}

/** A histogram keyed on the latency rounded to 1e-9 ms (float noise aside). */
function byLatency(buckets: readonly { ms: number; writes: number }[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const { ms, writes } of buckets) {
    const key = ms.toFixed(9);
    map.set(key, (map.get(key) ?? 0) + writes);
  }
  return map;
}

describe("latency with pw_kvs's reads (recorded from the real pw_kvs)", () => {
  for (const testCase of CASES) {
    it(`is pw_kvs's, put by put, by default: ${testCase.name}`, () => {
      const { config, workload } = setup(testCase.config, testCase.workload);
      const report = simulateWear({
        config,
        workload,
        horizonYears: testCase.horizon_s / SECONDS_PER_YEAR,
        fastForward: false,
      });
      expect(report.readStrategy).toBe('pw_kvs');
      expect(report.totalWrites).toBe(testCase.writes);
      expect(report.simulatedWrites).toBe(testCase.writes);
      const expected = byLatency(
        testCase.pw_kvs_per_put.map((tuple) => ({ ms: latencyOf(tuple), writes: tuple[5] })),
      );
      expect(byLatency(report.latency.histogram)).toEqual(expected);
      // The same puts garbage collected, and as much was written, as on pw_kvs.
      const erases = testCase.pw_kvs_per_put.reduce((sum, t) => sum + t[4] * t[5], 0);
      const written = testCase.pw_kvs_per_put.reduce((sum, t) => sum + t[3] * t[5], 0);
      expect(report.gcEvents).toBe(erases);
      expect(report.flashBytesWritten).toBe(written);
    });
  }

  it("with flashkv's reads: the same erases and bytes, fewer reads, so lower latency", () => {
    const testCase = CASES[0]!;
    const { config, workload } = setup(testCase.config, testCase.workload);
    const options = {
      config,
      workload,
      horizonYears: testCase.horizon_s / SECONDS_PER_YEAR,
      fastForward: false,
    };
    const pwKvs = simulateWear(options);
    const flashkv = simulateWear({ ...options, readStrategy: 'flashkv' });
    expect(flashkv.readStrategy).toBe('flashkv');
    expect(flashkv.eraseCounts).toEqual(pwKvs.eraseCounts);
    expect(flashkv.flashBytesWritten).toBe(pwKvs.flashBytesWritten);
    expect(flashkv.writesWithGc).toBe(pwKvs.writesWithGc);
    expect(flashkv.latency.meanMs).toBeLessThan(pwKvs.latency.meanMs);
    expect(flashkv.latency.p50Ms).toBeLessThan(pwKvs.latency.p50Ms);
  });

  it('refuses an unknown read strategy', () => {
    const { config, workload } = setup(CASES[0]!.config, CASES[0]!.workload);
    expect(() =>
      simulateWear({ config, workload, readStrategy: 'fast' as unknown as 'pw_kvs' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

/** Workloads whose erase pattern is exactly periodic: the fast-forward must be exact on them. */
const PERIODIC_CASES = [
  {
    name: 'a log, a counter and calibration keys on 4 × 1 KiB',
    config: { sector_size: 1024, sector_count: 4 },
    workload: {
      keys: [
        { key: 'log/last', size: 64, every_s: 60 },
        { prefix: 'cal/', count: 8, size: 32, static: true },
        { key: 'boot/count', size: 4, per_day: 10 },
      ],
    },
    years: 0.1,
  },
  {
    name: 'a staggered group, alignment 64 and one-sector GC on 6 × 1 KiB',
    config: { sector_size: 1024, sector_count: 6, alignment: 64, gc_on_write: 'one_sector' },
    workload: {
      keys: [
        { prefix: 'm/', count: 3, size: 50, every_s: 30 },
        { key: 'c', size: 200, per_day: 100 },
      ],
    },
    years: 0.05,
  },
  {
    name: 'large values with CRC-32 on 5 × 4 KiB',
    config: { sector_size: 4096, sector_count: 5, checksum: 'crc32' },
    workload: {
      keys: [
        { key: 'x', size: 300, every_s: 5 },
        { prefix: 'k', count: 20, size: 16, static: true },
      ],
    },
    years: 0.02,
  },
];

describe('fast-forward extrapolates bytes, GC writes and latency as it does erases', () => {
  for (const testCase of PERIODIC_CASES) {
    it(`equals the full simulation: ${testCase.name}`, () => {
      const { config, workload } = setup(testCase.config, testCase.workload);
      const options = { config, workload, horizonYears: testCase.years };
      const full = simulateWear({ ...options, fastForward: false });
      const fast = simulateWear(options);
      expect(fast.extrapolatedWrites).toBeGreaterThan(fast.simulatedWrites);
      expect(fast.eraseCounts).toEqual(full.eraseCounts);
      expect(fast.flashBytesWritten).toBe(full.flashBytesWritten);
      expect(fast.writesWithGc).toBe(full.writesWithGc);
      // Every write of the horizon is in the distribution: the repeating block as often as it
      // repeats.
      expect(byLatency(fast.latency.histogram)).toEqual(byLatency(full.latency.histogram));
      expect(fast.latency.meanMs).toBeCloseTo(full.latency.meanMs, 9);
      expect(fast.latency.p99Ms).toBe(full.latency.p99Ms);
    });
  }

  it('never counts more writes with GC than GC events, and weighs every write once', () => {
    fc.assert(
      fc.property(
        fc.record({
          sectorSize: fc.constantFrom(512, 1024),
          sectorCount: fc.integer({ min: 3, max: 6 }),
          redundancy: fc.integer({ min: 1, max: 2 }),
          every: fc.integer({ min: 1, max: 90 }),
          size: fc.integer({ min: 1, max: 120 }),
          perDay: fc.integer({ min: 1, max: 5000 }),
          statics: fc.integer({ min: 0, max: 4 }),
          years: fc.double({ min: 0.002, max: 0.01, noNaN: true }),
        }),
        (p) => {
          const { config, workload } = setup(
            { sector_size: p.sectorSize, sector_count: p.sectorCount, redundancy: p.redundancy },
            {
              keys: [
                { key: 'a', size: p.size, every_s: p.every },
                { key: 'b', size: 8, per_day: p.perDay },
                ...(p.statics > 0
                  ? [{ prefix: 's', count: p.statics, size: 16, static: true }]
                  : []),
              ],
            },
          );
          const report = simulateWear({ config, workload, horizonYears: p.years, samples: 4 });
          expect(report.writesWithGc).toBeLessThanOrEqual(report.gcEvents);
          expect(Number.isSafeInteger(report.flashBytesWritten)).toBe(true);
          const weighed = report.latency.histogram.reduce((sum, bucket) => sum + bucket.writes, 0);
          expect(weighed).toBe(report.totalWrites);
        },
      ),
      fcOptions(25),
    );
  });
});
