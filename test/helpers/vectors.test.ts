import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { listCases, loadCase, loadHang } from './vectors.js';

describe('vendored reference cases', () => {
  it('holds 220 cases, 20 in each of 11 families', () => {
    const ids = listCases();
    expect(ids).toHaveLength(220);
    const families = new Map<string, number>();
    for (const id of ids) {
      const family = id.replace(/-\d+$/, '');
      families.set(family, (families.get(family) ?? 0) + 1);
    }
    expect(families.size).toBe(11);
    expect([...families.values()].every((count) => count === 20)).toBe(true);
  });

  it('decompresses every final image to the bytes pw_kvs produced', () => {
    for (const id of listCases()) {
      const testCase = loadCase(id);
      const digest = createHash('sha256').update(testCase.imageOut).digest('hex');
      expect(digest, id).toBe(testCase.expected.image_sha256);
    }
  });

  it('loads the hang scenario with its image', () => {
    const hang = loadHang('damaged-dump-1');
    expect(hang.imageIn.length).toBe(8192);
    expect(Array.isArray(hang.scenario.ops)).toBe(true);
  });
});
