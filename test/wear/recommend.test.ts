import { describe, expect, it } from 'vitest';
import { KvsError } from '../../src/index.js';
import { recommendSectorCount } from '../../src/wear/recommend.js';
import { simulateWear } from '../../src/wear/simulate.js';
import { parseWearConfig, parseWearWorkload } from '../../src/wear/workload.js';

function setup(config: object, workload: object) {
  const parsed = parseWearConfig(config, 'config');
  return { config: parsed, workload: parseWearWorkload(workload, 'workload', parsed) };
}

/** Workloads whose lifetime grows with the sector count, each with a first count that fails. */
const CASES: { name: string; config: object; workload: object }[] = [
  {
    name: 'static calibration data that only fits from 4 sectors on',
    config: { sector_size: 512, sector_count: 4 },
    workload: {
      keys: [
        { key: 'log', size: 40, every_s: 30 },
        { prefix: 'cal/', count: 12, size: 20, static: true },
      ],
    },
  },
  {
    name: 'two rates, alignment 64',
    config: { sector_size: 512, sector_count: 4, alignment: 64 },
    workload: {
      keys: [
        { key: 'a', size: 24, every_s: 20 },
        { key: 'b', size: 60, per_day: 2000 },
        { prefix: 's', count: 4, size: 8, static: true },
      ],
    },
  },
];

describe('recommendSectorCount', () => {
  for (const testCase of CASES) {
    it(`is monotone: more sectors never live shorter (${testCase.name})`, () => {
      const { config, workload } = setup(testCase.config, testCase.workload);
      // An unreachable target makes it try every count up to the limit.
      const recommendation = recommendSectorCount({
        config,
        workload,
        targetYears: 1e6,
        maxSectorCount: 10,
        horizonYears: 0.05,
      });
      const counts = recommendation.trials.map((trial) => trial.sectorCount);
      const first = config.redundancy + 1;
      expect(counts).toEqual(Array.from({ length: 11 - first }, (_, i) => first + i));
      expect(recommendation.sectorCount).toBeUndefined();
      const lifetimes = recommendation.trials.map((trial) => trial.lifetimeYears);
      for (let i = 1; i < lifetimes.length; i++) {
        expect(lifetimes[i]).toBeGreaterThanOrEqual(lifetimes[i - 1]!);
      }
      expect(lifetimes.at(-1)).toBeGreaterThan(lifetimes[0]!);
      expect(recommendation.trials.every((trial) => trial.outlivedBy === undefined)).toBe(true);
    });
  }

  it('flags a count that lives shorter than a smaller one (data pinned by redundancy)', () => {
    // With redundancy 2, 6 sectors leave the static keys' two copies in two sectors that are
    // never collected, so 4 sectors share the wear; with 5, space is tight enough that all 5
    // rotate. The full simulation agrees (the dip is the store's, not the fast-forward's).
    const { config, workload } = setup(
      { sector_size: 512, sector_count: 4, redundancy: 2 },
      {
        keys: [
          { key: 'a', size: 24, every_s: 20 },
          { key: 'b', size: 60, per_day: 2000 },
          { prefix: 's', count: 4, size: 8, static: true },
        ],
      },
    );
    const recommendation = recommendSectorCount({
      config,
      workload,
      targetYears: 1e6,
      maxSectorCount: 6,
      horizonYears: 0.02,
    });
    const [, , five, six] = recommendation.trials;
    expect(five!.sectorCount).toBe(5);
    expect(six!.lifetimeYears).toBeLessThan(five!.lifetimeYears);
    expect(six!.outlivedBy).toBe(5);
    expect(six!.report!.eraseCounts.filter((count) => count === 0)).toHaveLength(2);
    expect(five!.report!.eraseCounts.every((count) => count > 0)).toBe(true);
    // Simulating every write shows the same dip.
    const [fullFive, fullSix] = [5, 6].map((sectorCount) =>
      simulateWear({
        config: { ...config, sectorCount },
        workload,
        horizonYears: 0.02,
        fastForward: false,
      }),
    );
    expect(fullSix!.lifetimeSeconds).toBeLessThan(fullFive!.lifetimeSeconds);
  });

  it('returns the smallest count that meets the target, and stops there', () => {
    const { config, workload } = setup(CASES[0]!.config, CASES[0]!.workload);
    const all = recommendSectorCount({
      config,
      workload,
      targetYears: 1e6,
      maxSectorCount: 8,
      horizonYears: 0.05,
    });
    const target = all.trials[4]!.lifetimeYears; // the lifetime of 6 sectors
    expect(all.trials[4]!.sectorCount).toBe(6);
    expect(all.trials[3]!.lifetimeYears).toBeLessThan(target);
    const recommendation = recommendSectorCount({
      config,
      workload,
      targetYears: target,
      horizonYears: 0.05,
    });
    expect(recommendation.sectorCount).toBe(6);
    expect(recommendation.trials.map((trial) => trial.sectorCount)).toEqual([2, 3, 4, 5, 6]);
  });

  it('marks counts the workload does not fit in, with lifetime 0', () => {
    const { config, workload } = setup(CASES[0]!.config, CASES[0]!.workload);
    const recommendation = recommendSectorCount({
      config,
      workload,
      targetYears: 1e6,
      maxSectorCount: 4,
      horizonYears: 0.01,
    });
    // 12 entries of 48 B and a 64 B log entry: 640 B of live data, one 512 B sector writable.
    const two = recommendation.trials[0]!;
    expect(two.sectorCount).toBe(2);
    expect(two.lifetimeYears).toBe(0);
    expect(two.failure).toMatch(/RESOURCE_EXHAUSTED/);
    expect(two.report).toBeUndefined();
    expect(recommendation.trials.at(-1)!.failure).toBeUndefined();
  });

  it('refuses a bad target or limit with INVALID_ARGUMENT', () => {
    const { config, workload } = setup(CASES[0]!.config, CASES[0]!.workload);
    for (const bad of [
      { targetYears: 0 },
      { targetYears: Number.NaN },
      { targetYears: 10, maxSectorCount: 1 },
    ]) {
      try {
        recommendSectorCount({ config, workload, ...bad });
        expect.unreachable();
      } catch (error) {
        expect(KvsError.is(error) && error.code).toBe('INVALID_ARGUMENT');
      }
    }
  });
});
