import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as SideBySide from '../../src/bench/side-by-side.js';
import { flashkv } from '../cli/_cli.js';

// The built module: it spawns the built CLI beside it (dist/cli/main.js, made by global setup).
const built = (await import(
  new URL('../../dist/bench/side-by-side.js', import.meta.url).href
)) as typeof SideBySide;

const folder = mkdtempSync(join(tmpdir(), 'flashkv-side-by-side-test-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const FLASH = {
  read_calls: 7,
  bytes_read: 70,
  write_calls: 3,
  bytes_written: 48,
  erase_calls: 1,
};

/**
 * A stand-in for the oracle (tests never need the real one): prints a fixed report in the
 * shape `oracle bench` prints, and records each configuration file it was given.
 */
function fakeOracle(): { path: string; log: string } {
  const path = join(folder, 'oracle');
  const log = join(folder, 'oracle.log');
  const report = JSON.stringify({
    ops: 40,
    wall_s_all: [0.0004, 0.0002, 0.0001],
    wall_s_median: 0.0002,
    flash_measured: FLASH,
  });
  writeFileSync(path, `#!/bin/sh\n{ echo "$1"; cat "$2"; echo; } >> '${log}'\necho '${report}'\n`);
  chmodSync(path, 0o755);
  return { path, log };
}

const CONFIG = {
  sector_size: 512,
  sector_count: 4,
  alignment: 16,
  max_entries: 64,
  workload: 'fill',
  n: 40,
  k: 40,
  value_size: 8,
  seed: 3,
};

describe('runSideBySide', () => {
  it('runs each configuration on both, every round, and keeps the lowest median', () => {
    const oracle = fakeOracle();
    const rows = built.runSideBySide(
      oracle.path,
      { fill: CONFIG, get: { ...CONFIG, workload: 'get', n: 20, k: 10 } },
      { rounds: 2, repeat: 1 },
    );
    expect(rows.map((row) => row.name)).toEqual(['fill', 'get']);
    // Two rounds of both configurations, each handed over as a file with the repeat asked for.
    const calls = readFileSync(oracle.log, 'utf8').trim().split('\n');
    expect(calls.filter((line) => line === 'bench')).toHaveLength(4);
    const handed = calls.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(handed.map((config: { workload: string }) => config.workload)).toEqual([
      'fill',
      'get',
      'fill',
      'get',
    ]);
    for (const config of handed) expect(config).toMatchObject({ repeat: 1, sector_size: 512 });
    for (const row of rows) {
      expect(row.rounds).toHaveLength(2);
      expect(row.ops).toBe(40);
      // pw_kvs: its median and its first run (the fresh process), per op.
      expect(row.pwKvsUs).toBeCloseTo(5, 9);
      expect(row.pwKvsColdUs).toBeCloseTo(10, 9);
      expect(row.pwKvsFlash).toEqual(FLASH);
      for (const key of ['warmUs', 'standaloneUs', 'coldUs'] as const) {
        expect(row[key]).toBeGreaterThan(0);
        expect(row[key]).toBe(Math.min(...row.rounds.map((round) => round[key])));
      }
    }
  });

  it('fails when the oracle fails, instead of reporting a figure', () => {
    const path = join(folder, 'broken-oracle');
    writeFileSync(path, '#!/bin/sh\necho nope >&2\nexit 3\n');
    chmodSync(path, 0o755);
    expect(() => built.runSideBySide(path, { fill: CONFIG }, { rounds: 1, repeat: 1 })).toThrow(
      /exit 3/,
    );
  });
});

describe('bench-all --pw-kvs', () => {
  it('refuses a path that is not an executable, before running anything', async () => {
    const run = await flashkv(['bench-all', '--pw-kvs', join(folder, 'missing'), '--skip-scale']);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
  });
});
