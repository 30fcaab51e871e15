import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/scenario.js';
import { runScenario } from '../../src/scenario/run-scenario.js';
import { listCases, loadCase } from '../helpers/vectors.js';
import { differences } from './compare.js';

// The coalesced read strategy serves pw_kvs's small reads from one read per entry. It must not
// change a status, a value or a byte written: every reference case whose outcome does not depend on
// counting read calls (no injected read errors) must still match pw_kvs exactly, with fewer
// reads.
const cases = listCases().filter((id) => {
  const ops = loadCase(id).scenario.ops as { op: string }[];
  return !ops.some((op) => op.op === 'inject_read_error');
});

// The `trusted` strategy (the library default) also skips re-reading an old entry before
// overwriting it when its value's fingerprint differs. It departs from pw_kvs only when the
// key or header of the entry being replaced was damaged behind the store's back; every
// reference case, those that damage flash included, must still match pw_kvs.
describe('coalesced and trusted reads: pw_kvs results, fewer read calls', () => {
  it('covers most cases', () => {
    expect(cases.length).toBeGreaterThan(200);
  });

  describe.each(['coalesced', 'trusted'] as const)('%s', (readStrategy) => {
    it.each(cases)('%s', (id: string) => {
      const testCase = loadCase(id);
      const report = runScenario(parseScenario(testCase.scenario), testCase.imageIn, {
        readStrategy,
      });
      expect(differences(report, testCase.expected, testCase.imageOut)).toEqual([]);
      expect(report.flash.read_calls).toBeLessThanOrEqual(
        testCase.expected.flash.read_calls as number,
      );
    });
  });
});
