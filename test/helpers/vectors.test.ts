import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listCases, listHangs, loadCase, loadHang } from './vectors.js';

const FAMILIES = [
  'alignment',
  'basic',
  'corruption',
  'dump',
  'faults',
  'formats',
  'gc',
  'limits',
  'reconfig',
  'redundancy',
  'soup',
];

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('vendored reference cases', () => {
  it('holds 220 cases, 20 in each of 11 families', () => {
    const ids = listCases();
    expect(ids).toHaveLength(220);
    expect(ids).toEqual([...ids].sort());
    const families = new Map<string, number>();
    for (const id of ids) {
      const family = loadCase(id).family;
      expect(id.startsWith(`${family}-`), id).toBe(true);
      families.set(family, (families.get(family) ?? 0) + 1);
    }
    expect([...families.keys()].sort()).toEqual(FAMILIES);
    for (const family of FAMILIES) {
      expect(families.get(family), family).toBe(20);
      expect(listCases(family), family).toHaveLength(20);
    }
  });

  it('decompresses every final image to the bytes pw_kvs produced', () => {
    for (const id of listCases()) {
      const testCase = loadCase(id);
      expect(testCase.id).toBe(id);
      expect(sha256(testCase.imageOut), id).toBe(testCase.expected.image_sha256);
      expect(testCase.expected.results, id).toHaveLength(testCase.scenario.ops.length);
    }
  });

  it('loads a starting image exactly when the scenario names one', () => {
    let withImage = 0;
    for (const id of listCases()) {
      const testCase = loadCase(id);
      const named = typeof testCase.scenario.image_in === 'string';
      expect(testCase.imageIn !== undefined, id).toBe(named);
      if (named) withImage++;
    }
    expect(withImage).toBeGreaterThan(0);
  });

  it('loads the hang scenario with its image', () => {
    expect(listHangs()).toEqual(['damaged-dump-1']);
    const hang = loadHang('damaged-dump-1');
    expect(hang.imageIn.length).toBe(8192);
    expect(hang.scenario.ops.length).toBeGreaterThan(4);
    expect(hang.note).toMatch(/partial_maintenance/);
  });
});
