import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../src/torture/fuzz.js';

describe('fuzzed images (random, mutated, valid checksums over inconsistent fields)', () => {
  it('every operation ends with a status, within its flash budget, throwing only KvsError', () => {
    const report = runFuzz(5000, Number(process.env.FUZZ_SEED ?? 20261125));
    expect(report.problems).toEqual([]);
    expect(report.hangs).toBe(0);
    expect(report.nonKvsErrors).toBe(0);
    expect(report.images).toBe(5000);
    // The images really are damaged in all the ways meant: the store saw each kind of trouble.
    for (const kind of ['random', 'mutated', 'crafted'] as const) {
      expect(report.byKind[kind]).toBeGreaterThan(1000);
    }
    expect(report.statuses.DATA_LOSS).toBeGreaterThan(100);
    expect(report.statuses.OK).toBeGreaterThan(1000);
  });
});
