import { describe, expect, it } from 'vitest';
import type * as ScaleBench from '../../src/bench/scale-bench.js';
import { buildScaleFlash } from '../../src/bench/scale-bench.js';

// The built module: it spawns the built CLI beside it (dist/cli/main.js, made by global setup).
const built = (await import(
  new URL('../../dist/bench/scale-bench.js', import.meta.url).href
)) as typeof ScaleBench;

describe('runCliScaleBench', () => {
  it('times each command as a fresh process, several runs, the median reported', () => {
    const keys = 300;
    const timings = built.runCliScaleBench(buildScaleFlash(keys, 16), keys, 3);
    expect(timings.map((timing) => timing.command.split(' ')[0])).toEqual([
      'ls',
      'dump',
      'check',
      'export',
    ]);
    for (const timing of timings) {
      expect(timing.status).toBe(0);
      expect(timing.outputBytes).toBeGreaterThan(0);
      expect(timing.runsMs).toHaveLength(3);
      expect(timing.ms).toBe([...timing.runsMs].sort((a, b) => a - b)[1]);
      if (process.platform === 'linux') expect(timing.cpuMs).toBeGreaterThan(0);
    }
  });
});
