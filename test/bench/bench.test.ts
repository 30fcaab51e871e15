import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { benchKey, benchValue, parseBenchConfig, runBench } from '../../src/bench/bench.js';
import { splitmix64 } from '../../src/random.js';
import type { KvsError } from '../../src/status.js';

const references = JSON.parse(
  readFileSync(new URL('../../bench/pw_kvs-reference.json', import.meta.url), 'utf8'),
) as Record<string, { config: Record<string, unknown>; ops: number; flash_measured: object }>;

const clock = (): number => 0;

describe('benchmark definitions (docs/benchmarks.md)', () => {
  it('builds keys and values as specified', () => {
    expect(new TextDecoder().decode(benchKey(42))).toBe('key000042');
    expect(Array.from(benchValue(3, 0x01020304, 6))).toEqual([
      4,
      3,
      2,
      1,
      (21 + 52 + 0x01020304) & 0xff,
      (21 + 65 + 0x01020304) & 0xff,
    ]);
  });

  it('uses splitmix64', () => {
    // Reference values of splitmix64 seeded with 0 (Vigna's published sequence).
    const next = splitmix64(0n);
    expect(next()).toBe(0xe220a8397b1dcdafn);
    expect(next()).toBe(0x6e789e6aa1b965f4n);
  });

  it('rejects a bad configuration with INVALID_ARGUMENT', () => {
    const code = (call: () => unknown): string | undefined => {
      try {
        call();
      } catch (error) {
        return (error as KvsError).code;
      }
      return undefined;
    };
    expect(code(() => parseBenchConfig({ workload: 'sprint' }))).toBe('INVALID_ARGUMENT');
    expect(code(() => parseBenchConfig({ workload: 'get', n: -1 }))).toBe('INVALID_ARGUMENT');
    const badGeometry = parseBenchConfig({ workload: 'get', sector_size: 100, alignment: 16 });
    expect(code(() => runBench(badGeometry, clock))).toBe('INVALID_ARGUMENT');
  });
});

describe.each(['fill-small', 'get-small', 'init-small', 'overwrite-small'])(
  'reference workload %s',
  (name) => {
    const reference = references[name]!;

    it("with pw_kvs's read calls, every flash count equals pw_kvs's", () => {
      const report = runBench(
        parseBenchConfig({ ...reference.config, read_strategy: 'pw_kvs' }),
        clock,
      );
      expect(report.ops).toBe(reference.ops);
      expect(report.flash_measured).toEqual(reference.flash_measured);
      expect(report.mismatches ?? 0).toBe(0);
    });

    it('with coalesced reads, writes and erases are the same and reads fewer', () => {
      const report = runBench(parseBenchConfig(reference.config), clock);
      const theirs = reference.flash_measured as Record<string, number>;
      expect(report.flash_measured.bytes_written).toBe(theirs.bytes_written);
      expect(report.flash_measured.erase_calls).toBe(theirs.erase_calls);
      expect(report.flash_measured.read_calls).toBeLessThan(theirs.read_calls!);
      expect(report.flash_measured.bytes_read).toBeLessThanOrEqual(theirs.bytes_read!);
    });
  },
);

describe('read targets of the coalesced strategy (flash counts, not time)', () => {
  it('init reads each entry byte about once: ≤ 1.1 × entry bytes + 16 B per sector, ≤ 1 call per entry', () => {
    const config = references['init-small']!.config;
    const report = runBench(parseBenchConfig(config), clock);
    // The image holds k + n entries of 64 bytes minus those garbage collected; the reference
    // configuration leaves 2560 entries (163 840 bytes) on its 64 sectors.
    const entryBytes = 163_840;
    const perInit = report.flash_measured.bytes_read / report.ops;
    expect(perInit).toBeLessThanOrEqual(1.1 * entryBytes + 16 * 64);
    expect(report.flash_measured.read_calls / report.ops).toBeLessThanOrEqual(entryBytes / 64);
  });

  it('a get is one read of header + key + value; an overwrite about one read by default', () => {
    const get = runBench(parseBenchConfig(references['get-small']!.config), clock);
    expect(get.flash_measured.read_calls).toBe(get.ops);
    expect(get.flash_measured.bytes_read).toBe(get.ops * (16 + 9 + 32));
    const overwrite = runBench(parseBenchConfig(references['overwrite-small']!.config), clock);
    expect(overwrite.flash_measured.read_calls / overwrite.ops).toBeLessThanOrEqual(1.2);
    // Re-reading the old entry as pw_kvs does costs a second read.
    const coalesced = runBench(
      parseBenchConfig({ ...references['overwrite-small']!.config, read_strategy: 'coalesced' }),
      clock,
    );
    expect(coalesced.flash_measured.read_calls / coalesced.ops).toBe(2);
    expect(coalesced.flash_measured.bytes_written).toBe(overwrite.flash_measured.bytes_written);
  });
});
