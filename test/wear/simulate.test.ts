import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashPartition, KeyValueStore, KvsError, MemoryFlash } from '../../src/index.js';
import { type WearReport, simulateWear } from '../../src/wear/simulate.js';
import {
  SECONDS_PER_DAY,
  SECONDS_PER_YEAR,
  type WearConfig,
  type WearWorkload,
  parseWearConfig,
  parseWearWorkload,
} from '../../src/wear/workload.js';
import { fcOptions } from '../helpers/fc.js';

function setup(config: object, workload: object): { config: WearConfig; workload: WearWorkload } {
  const parsed = parseWearConfig(config, 'config');
  return { config: parsed, workload: parseWearWorkload(workload, 'workload', parsed) };
}

interface DirectKey {
  key: string;
  size: number;
  everySeconds?: number;
}

/**
 * The same writes as the simulator makes, built by hand and run on a store directly: static
 * keys first, then every periodic write with a time ≤ the horizon, sorted by time (ties in
 * workload order). Values differ from the simulator's but change on every write, as its do.
 */
function directRun(
  config: WearConfig,
  keys: readonly DirectKey[],
  horizonSeconds: number,
): { eraseCounts: readonly number[]; bytesWritten: number; writes: number; failure?: string } {
  const flash = new MemoryFlash(config);
  const store = new KeyValueStore(new FlashPartition(flash), {
    formats: config.formats,
    redundancy: config.redundancy,
    maxEntries: config.maxEntries,
    gcOnWrite: config.gcOnWrite,
  });
  store.init();
  const writes: { time: number; order: number; key: DirectKey }[] = [];
  const statics = keys.filter((key) => key.everySeconds === undefined);
  const periodic = keys.filter((key) => key.everySeconds !== undefined);
  periodic.forEach((key, order) => {
    for (let k = 0; k * key.everySeconds! <= horizonSeconds; k++) {
      writes.push({ time: k * key.everySeconds!, order, key });
    }
  });
  writes.sort((a, b) => a.time - b.time || a.order - b.order);
  const all = [...statics, ...writes.map((write) => write.key)];
  const versions = new Map<string, number>();
  let n = 0;
  for (const key of all) {
    n++;
    // Each write of a key differs from its previous one (an odd step, so also in one byte).
    const version = (versions.get(key.key) ?? 0) + 1;
    versions.set(key.key, version);
    const value = new Uint8Array(key.size).fill(0x5a);
    value[key.size - 1] = (version * 3) & 0xff;
    if (key.size > 1) value[0] = (version >>> 7) & 0xff;
    const status = store.putStatus(key.key, value);
    if (status !== 'OK') {
      return { eraseCounts: [], bytesWritten: 0, writes: n, failure: status };
    }
  }
  return {
    eraseCounts: [...flash.counters.sectorEraseCounts],
    bytesWritten: flash.counters.bytesWritten,
    writes: n,
  };
}

function workloadJson(keys: readonly DirectKey[]): object {
  return {
    keys: keys.map((key) =>
      key.everySeconds === undefined
        ? { key: key.key, size: key.size, static: true }
        : { key: key.key, size: key.size, every_s: key.everySeconds },
    ),
  };
}

describe('simulateWear without fast-forward', () => {
  it('leaves the erase counts and bytes of a direct store run of the same writes', () => {
    const keys: DirectKey[] = [
      { key: 'cal/a', size: 32 },
      { key: 'cal/b', size: 100 },
      { key: 'log', size: 64, everySeconds: 60 },
      { key: 'temp', size: 8, everySeconds: 45 },
    ];
    const { config, workload } = setup({ sector_size: 1024, sector_count: 4 }, workloadJson(keys));
    const horizonYears = 3 / 365.25; // three days
    const report = simulateWear({ config, workload, horizonYears, fastForward: false });
    const direct = directRun(config, keys, horizonYears * SECONDS_PER_YEAR);
    expect(direct.failure).toBeUndefined();
    expect(report.totalWrites).toBe(direct.writes);
    expect(report.simulatedWrites).toBe(direct.writes);
    expect(report.extrapolatedWrites).toBe(0);
    expect(report.eraseCounts).toEqual(direct.eraseCounts);
    expect(report.flashBytesWritten).toBe(direct.bytesWritten);
    expect(report.gcEvents).toBe(direct.eraseCounts.reduce((a, b) => a + b, 0));
    expect(report.gcEvents).toBeGreaterThan(100);
    // 2 static writes, 4321 of "log" (0..3 days every 60 s), 5761 of "temp".
    expect(report.totalWrites).toBe(2 + 4321 + 5761);
    expect(report.valueBytesWritten).toBe(32 + 100 + 4321 * 64 + 5761 * 8);
  });

  it('matches a direct run on random workloads and geometries', () => {
    const geometry = fc.constantFrom(
      { sector_size: 512, sector_count: 4, alignment: 16 },
      { sector_size: 1024, sector_count: 3, alignment: 64 },
      { sector_size: 512, sector_count: 6, alignment: 16, redundancy: 2 },
      { sector_size: 2048, sector_count: 4, alignment: 1, gc_on_write: 'one_sector' },
    );
    const key = (index: number, periodic: boolean): fc.Arbitrary<DirectKey> =>
      fc.record({
        key: fc.constant(`${periodic ? 'p' : 's'}${index}`),
        size: fc.integer({ min: 1, max: 120 }),
        everySeconds: periodic ? fc.integer({ min: 5, max: 300 }) : fc.constant(undefined),
      });
    const keys = fc
      .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 3 }))
      .chain(([statics, periodic]) =>
        fc.tuple(
          ...Array.from({ length: statics }, (_, i) => key(i, false)),
          ...Array.from({ length: periodic }, (_, i) => key(i, true)),
        ),
      );
    fc.assert(
      fc.property(
        geometry,
        keys,
        fc.double({ min: 0.1, max: 1, noNaN: true }),
        (shape, list, days) => {
          const { config, workload } = setup(shape, workloadJson(list));
          const horizonYears = (days * SECONDS_PER_DAY) / SECONDS_PER_YEAR;
          const direct = directRun(config, list, horizonYears * SECONDS_PER_YEAR);
          const simulate = (): WearReport =>
            simulateWear({
              config,
              workload,
              horizonYears,
              fastForward: false,
            });
          if (direct.failure !== undefined) {
            expect(simulate).toThrow(KvsError);
            return;
          }
          const report = simulate();
          expect(report.totalWrites).toBe(direct.writes);
          expect(report.eraseCounts).toEqual(direct.eraseCounts);
          expect(report.flashBytesWritten).toBe(direct.bytesWritten);
        },
      ),
      fcOptions(25),
    );
  });

  it('reports a workload that does not fit as RESOURCE_EXHAUSTED', () => {
    // 200 entries of 64 B need 12 800 B; 4 × 4 KiB keeps 12 288 B writable.
    const { config, workload } = setup(
      { sector_size: 4096, sector_count: 4 },
      { keys: [{ prefix: 'cal/', count: 200, size: 32, static: true }] },
    );
    try {
      simulateWear({ config, workload });
      expect.unreachable();
    } catch (error) {
      expect(KvsError.is(error) && error.code).toBe('RESOURCE_EXHAUSTED');
    }
  });

  it('times writes with the timing model: erases make the worst latency', () => {
    const { config, workload } = setup(
      { sector_size: 512, sector_count: 4 },
      { keys: [{ key: 'k', size: 100, every_s: 1 }] },
    );
    const timing = {
      eraseSectorMs: 50,
      programCallMs: 0,
      programByteMs: 0.001,
      readCallMs: 0,
      readByteMs: 0,
    };
    const report = simulateWear({
      config,
      workload,
      horizonYears: 1000 / SECONDS_PER_YEAR,
      timing,
      fastForward: false,
    });
    // A 100-byte value with a 1-byte key: a 128-byte entry, programmed once per write.
    expect(report.latency.p50Ms).toBeCloseTo(0.128, 9);
    expect(report.latency.maxMs).toBeGreaterThanOrEqual(50);
    const writes = report.latency.histogram.reduce((sum, bucket) => sum + bucket.writes, 0);
    expect(writes).toBe(report.simulatedWrites);
    const slow = report.latency.histogram.filter((bucket) => bucket.ms >= 50);
    expect(slow.reduce((sum, bucket) => sum + bucket.writes, 0)).toBe(report.writesWithGc);
  });
});

/** Workloads short enough to simulate fully, whose erase pattern settles into a cycle. */
const AGREEMENT_CASES: {
  name: string;
  config: object;
  workload: object;
  years: number;
  endurance: number;
}[] = [
  {
    name: 'a log, a counter and calibration keys on 4 × 1 KiB, worn out within the horizon',
    config: { sector_size: 1024, sector_count: 4 },
    workload: {
      keys: [
        { key: 'log/last', size: 64, every_s: 60 },
        { prefix: 'cal/', count: 8, size: 32, static: true },
        { key: 'boot/count', size: 4, per_day: 10 },
      ],
    },
    years: 0.1,
    endurance: 500,
  },
  {
    name: 'two rates with redundancy 2 on 6 × 512 B',
    config: { sector_size: 512, sector_count: 6, redundancy: 2 },
    workload: {
      keys: [
        { key: 'a', size: 20, every_s: 7 },
        { key: 'b', size: 40, per_day: 1000 },
        { prefix: 's', count: 3, size: 12, static: true },
      ],
    },
    years: 0.025,
    endurance: 100_000,
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
    endurance: 100_000,
  },
  {
    name: 'periods with no common multiple on the 1 ms grid (no hyperperiod to align to)',
    config: { sector_size: 1024, sector_count: 4 },
    workload: {
      keys: [
        { key: 'a', size: 64, every_s: 7.0001 },
        { key: 'b', size: 10, every_s: 3.3333 },
        { prefix: 's', count: 4, size: 20, static: true },
      ],
    },
    years: 0.02,
    endurance: 100_000,
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
    endurance: 100_000,
  },
];

function within(actual: number, expected: number, tolerance: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));
}

describe('fast-forward', () => {
  for (const testCase of AGREEMENT_CASES) {
    it(`agrees with the full simulation within 1 %: ${testCase.name}`, () => {
      const { config, workload } = setup(testCase.config, testCase.workload);
      const options = {
        config,
        workload,
        horizonYears: testCase.years,
        enduranceCycles: testCase.endurance,
      };
      const full = simulateWear({ ...options, fastForward: false });
      const fast = simulateWear({ ...options, fastForward: true });
      // The fast-forward really skipped most of the writes.
      expect(fast.steadyState).toBeDefined();
      expect(fast.extrapolatedWrites).toBeGreaterThan(0);
      expect(fast.simulatedWrites + fast.extrapolatedWrites).toBe(full.totalWrites);
      expect(fast.simulatedWrites).toBeLessThan(full.totalWrites * 0.7);
      expect(full.extrapolatedWrites).toBe(0);

      fast.eraseCounts.forEach((count, s) => within(count, full.eraseCounts[s]!, 0.01));
      within(fast.gcEvents, full.gcEvents, 0.01);
      within(fast.writesWithGc, full.writesWithGc, 0.01);
      within(fast.writeAmplification, full.writeAmplification, 0.01);
      within(fast.lifetimeSeconds, full.lifetimeSeconds, 0.01);
      expect(fast.firstWornSector).toBeDefined();
      expect(full.eraseCounts[fast.firstWornSector!]).toBe(Math.max(...full.eraseCounts));
      // Samples over time agree too, simulated or extrapolated.
      expect(fast.samples.length).toBe(full.samples.length);
      fast.samples.forEach((sample, i) => {
        expect(sample.seconds).toBe(full.samples[i]!.seconds);
        sample.eraseCounts.forEach((count, s) =>
          within(count, full.samples[i]!.eraseCounts[s]!, 0.01),
        );
      });
    });
  }

  it('reaches the same lifetime inside the horizon as the full run finds', () => {
    const testCase = AGREEMENT_CASES[0]!;
    const { config, workload } = setup(testCase.config, testCase.workload);
    const options = { config, workload, horizonYears: testCase.years, enduranceCycles: 500 };
    const full = simulateWear({ ...options, fastForward: false });
    expect(full.lifetimeMethod).toBe('simulated');
    expect(full.lifetimeSeconds).toBeLessThan(full.horizonSeconds);
    const fast = simulateWear(options);
    expect(fast.lifetimeMethod).toBe('cycle');
    within(fast.lifetimeSeconds, full.lifetimeSeconds, 0.001);
  });
});
