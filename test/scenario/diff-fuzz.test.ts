import { describe, expect, it } from 'vitest';
import { differenceKind } from '../../src/scenario/compare.js';
import { type GeneratedCase, caseSeed, randomCase } from '../../src/scenario/random-scenario.js';
import { runScenario } from '../../src/scenario/run-scenario.js';
import { SCENARIO_OPS, parseScenario } from '../../src/scenario/scenario.js';
import { shrinkCase } from '../../src/scenario/shrink.js';
import { parseExactJson } from '../../src/bench/diff-fuzz.js';

// The differential fuzzer's parts that need no oracle: the generator, the shrinker, the
// comparison's labels and the exact JSON reader.

describe('randomCase', () => {
  it('is a function of the seed and the index', () => {
    expect(randomCase(20261204, 17)).toEqual(randomCase(20261204, 17));
    expect(JSON.stringify(randomCase(20261204, 17))).not.toBe(
      JSON.stringify(randomCase(20261204, 18)),
    );
    expect(caseSeed(1, 0)).not.toBe(caseSeed(2, 0));
  });

  it('writes valid scenario files that flashkv runs to the end, and covers every pw_kvs op', () => {
    const seen = new Set<string>();
    const configs = new Set<string>();
    let withImage = 0;
    for (let index = 0; index < 80; index++) {
      const { scenario, imageIn } = randomCase(5, index);
      if (imageIn !== undefined) withImage++;
      configs.add(`${String(scenario.alignment)}/${String(scenario.redundancy)}`);
      const parsed = parseScenario(scenario);
      for (const op of parsed.ops) seen.add(op.op);
      const report = runScenario(parsed, imageIn);
      expect(report.results).toHaveLength(parsed.ops.length);
    }
    const pwKvsOps = SCENARIO_OPS.filter((op) => op !== 'schedule_power_cut' && op !== 'power_up');
    expect([...seen].sort()).toEqual([...pwKvsOps].sort());
    expect(withImage).toBeGreaterThan(10);
    expect(configs.size).toBeGreaterThan(10);
  });
});

describe('shrinkCase', () => {
  const failing: GeneratedCase = {
    scenario: {
      sector_size: 512,
      sector_count: 8,
      redundancy: 2,
      recovery: 'manual',
      ops: [
        { op: 'init' },
        { op: 'put', key: 'alpha', value_hex: '0102030405' },
        { op: 'stats' },
        { op: 'put', key: 'bug', value_hex: 'aabbccddeeff' },
        { op: 'get', key: 'alpha', buffer_size: 3 },
        { op: 'reboot' },
        { op: 'init' },
        { op: 'list' },
      ],
    },
    imageIn: new Uint8Array(16),
  };

  it('keeps only what the failure needs', async () => {
    // The "failure": a put of a key starting with 'b' whose value is at least 2 bytes.
    const stillFails = (candidate: GeneratedCase) =>
      Promise.resolve(
        candidate.scenario.ops.some(
          (op) =>
            op.op === 'put' &&
            typeof op.key === 'string' &&
            op.key.startsWith('b') &&
            typeof op.value_hex === 'string' &&
            op.value_hex.length >= 4,
        ),
      );
    const { case: shrunk, tries } = await shrinkCase(failing, stillFails);
    expect(shrunk.scenario.ops).toEqual([{ op: 'put', key: 'b', value_hex: '0000' }]);
    expect(shrunk.imageIn).toBeUndefined();
    expect(shrunk.scenario).toEqual({
      sector_size: 512,
      sector_count: 2,
      ops: shrunk.scenario.ops,
    });
    expect(tries).toBeGreaterThan(0);
  });

  it('stops at its budget and never returns a case that passes', async () => {
    const calls: GeneratedCase[] = [];
    const { case: shrunk, tries } = await shrinkCase(
      failing,
      (candidate) => {
        calls.push(candidate);
        return Promise.resolve(candidate.scenario.ops.length >= 7);
      },
      5,
    );
    expect(tries).toBe(5);
    expect(calls).toHaveLength(5);
    expect(shrunk.scenario.ops.length).toBeGreaterThanOrEqual(7);
  });
});

describe('differenceKind', () => {
  const scenario = parseScenario({
    sector_size: 512,
    sector_count: 2,
    ops: [{ op: 'init' }, { op: 'put', key: 'k', value_hex: '01' }, { op: 'stats' }],
  });
  const report = runScenario(scenario);
  const expected = {
    results: report.results.map((result) => ({ ...result })),
    flash: { ...report.flash },
  };

  it('is null when everything matches', () => {
    expect(differenceKind(report, expected, report.image)).toBeNull();
  });

  it('names the first differing op and field, then the image and the counters', () => {
    const status = structuredClone(expected);
    status.results[1]!.status = 'RESOURCE_EXHAUSTED';
    expect(differenceKind(report, status, report.image)).toBe('put.status');
    const stat = structuredClone(expected);
    (stat.results[2]!.stats as Record<string, unknown>).in_use_bytes = 1;
    expect(differenceKind(report, stat, report.image)).toBe('stats.stats.in_use_bytes');
    const image = report.image.slice();
    image[0] = 0;
    expect(differenceKind(report, expected, image)).toBe('image');
    expect(
      differenceKind(
        report,
        { ...expected, flash: { ...expected.flash, bytes_written: 0 } },
        report.image,
      ),
    ).toBe('bytes_written');
    expect(differenceKind(report, { ...expected, results: [] }, report.image)).toBe('op_count');
  });
});

describe('parseExactJson', () => {
  it('keeps u64 integers beyond 2^53 exact and leaves digits inside strings alone', () => {
    const parsed = parseExactJson(
      '{"a": 18446744073709486080, "b": 12, "c": "12345678901234567890", "d": [9007199254740993]}',
    ) as Record<string, unknown>;
    expect(parsed.a).toBe(18446744073709486080n);
    expect(parsed.b).toBe(12);
    expect(parsed.c).toBe('12345678901234567890');
    expect(parsed.d).toEqual([9007199254740993n]);
  });
});
