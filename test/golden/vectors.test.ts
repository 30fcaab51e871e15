import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/scenario.js';
import { runScenario } from '../../src/scenario/run-scenario.js';
import { listCases, loadCase } from '../helpers/vectors.js';
import { differences } from './compare.js';

const FAMILIES = [
  'basic',
  'alignment',
  'gc',
  'limits',
  'redundancy',
  'corruption',
  'faults',
  'formats',
  'reconfig',
  'dump',
  'soup',
];

describe.each(FAMILIES)('reference cases from pw_kvs: %s', (family) => {
  const ids = listCases(family);

  it('has cases', () => {
    expect(ids.length).toBeGreaterThan(0);
  });

  it.each(ids)('%s: every status, value, stat and the final image match pw_kvs', (id: string) => {
    const testCase = loadCase(id);
    const report = runScenario(parseScenario(testCase.scenario), testCase.imageIn);
    expect(differences(report, testCase.expected, testCase.imageOut)).toEqual([]);
  });
});
