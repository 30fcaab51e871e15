import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Embedded from '../../src/bench/embedded.js';
import { type BenchReport, parseBenchConfig, runBench } from '../../src/bench/bench.js';

// The built module: it bundles the built guest beside it (dist/bench/embedded-guest.js, made
// by global setup), as `npm run bench:embedded` does.
const built = (await import(
  new URL('../../dist/bench/embedded.js', import.meta.url).href
)) as typeof Embedded;

/** A small configuration of each workload: the same store as bench/configs, fewer ops. */
const CONFIGS = {
  get: { workload: 'get', n: 300, k: 64 },
  fill: { workload: 'fill', n: 200, k: 200 },
  overwrite: { workload: 'overwrite', n: 400, k: 64 },
  init: { workload: 'init', n: 600, k: 64, m: 2 },
};
const STORE = {
  sector_size: 4096,
  sector_count: 8,
  alignment: 16,
  checksum: 'crc16',
  max_entries: 256,
  verify_on_read: true,
  verify_on_write: true,
  seed: 42,
};

/** What a report says about the store and the flash, without its timings. */
function outcome(report: BenchReport) {
  const { ops, status_counts, mismatches, flash_measured, index_bytes } = report;
  return { ops, status_counts, mismatches, flash_measured, index_bytes };
}

describe.each(built.EMBEDDED_ENGINES)('the core bundle under %s', (engine) => {
  let guest: Embedded.EmbeddedGuest;
  beforeAll(async () => {
    guest = await built.startEmbeddedGuest(engine);
  });
  afterAll(() => guest.dispose());

  it.each(Object.entries(CONFIGS))('runs %s exactly as V8 does', (_, workload) => {
    const config = { ...STORE, ...workload };
    const embedded = guest.run(config);
    const v8 = runBench(parseBenchConfig(config), () => performance.now());
    expect(outcome(embedded)).toEqual(outcome(v8));
    // Every operation ran and every read matched: the flash really was exercised.
    expect(embedded.ops).toBeGreaterThan(0);
    expect(
      embedded.flash_measured.read_calls + embedded.flash_measured.write_calls,
    ).toBeGreaterThan(0);
  });

  it('reports a refused configuration as the error it is', () => {
    expect(() => guest.run({ ...STORE, workload: 'get', sector_size: 100 })).toThrow(
      /INVALID_ARGUMENT|sector/,
    );
  });
});
