import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { flashkv } from '../cli/_cli.js';

let dir: string;
const path = (name: string): string => join(dir, name);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flashkv-wear-'));
  const files: Record<string, string> = {
    'kvs.json': JSON.stringify({ sector_size: 1024, sector_count: 4 }),
    'small.json': JSON.stringify({ sector_size: 512, sector_count: 2 }),
    'workload.json': JSON.stringify({
      keys: [
        { key: 'log/last', size: 64, every_s: 60 },
        { prefix: 'cal/', count: 8, size: 32, static: true },
        { key: 'boot/count', size: 4, per_day: 10 },
      ],
    }),
    'big-static.json': JSON.stringify({
      keys: [{ prefix: 'cal/', count: 40, size: 32, static: true }],
    }),
    'timing.json': JSON.stringify({ erase_sector_ms: 300 }),
    'broken.json': '{"sector_size": 1024,',
    'bad-config.json': JSON.stringify({ sector_size: 1000, sector_count: 4 }),
    'bad-workload.json': JSON.stringify({ keys: [{ key: 'a', size: 4, every_s: -1 }] }),
    'bad-timing.json': JSON.stringify({ erase_sector_ms: 'slow' }),
  };
  for (const [name, text] of Object.entries(files)) writeFileSync(path(name), text);
});

const BASE = (): string[] => [
  'wear',
  '--config',
  path('kvs.json'),
  '--workload',
  path('workload.json'),
];

describe('flashkv wear', () => {
  it('prints versioned snake_case JSON with the lifetime, wear, amplification and latency', async () => {
    const result = await flashkv([...BASE(), '--years', '0.1', '--json']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report.schema_version).toBe(1);
    expect(typeof report.lifetime_years).toBe('number');
    expect(report.first_worn_sector).toEqual(expect.any(Number));
    expect(report.erases_per_sector_per_day).toHaveLength(4);
    expect(report.write_amplification).toBeGreaterThan(1);
    const latency = report.latency_ms as Record<string, number>;
    expect(latency.p50).toBeGreaterThan(0);
    expect(latency.p99).toBeGreaterThanOrEqual(latency.p50!);
    expect(latency.max).toBeGreaterThanOrEqual(latency.p99!);
    expect((report.simulated_writes as number) + (report.extrapolated_writes as number)).toBe(
      report.total_writes,
    );
    expect(report.extrapolated_writes).toBeGreaterThan(0);
  });

  it('simulates every write with --no-fast-forward and finds the same erase counts', async () => {
    const fast = JSON.parse((await flashkv([...BASE(), '--years', '0.02', '--json'])).stdout) as {
      erase_counts: number[];
    };
    const full = await flashkv([...BASE(), '--years', '0.02', '--json', '--no-fast-forward']);
    expect(full.status).toBe(0);
    const report = JSON.parse(full.stdout) as {
      erase_counts: number[];
      extrapolated_writes: number;
    };
    expect(report.extrapolated_writes).toBe(0);
    expect(report.erase_counts).toEqual(fast.erase_counts);
  });

  it('prints a readable table, and the timing model changes the latency', async () => {
    const result = await flashkv([...BASE(), '--years', '0.1', '--timing', path('timing.json')]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^lifetime +\d/m);
    expect(result.stdout).toMatch(/^write amplification +\d/m);
    expect(result.stdout).toMatch(/max 300\.\d+ ms/);
    expect(result.stdout).toMatch(/^sector +erases +erases\/day/m);
  });

  it('writes SVG charts with --plot', async () => {
    const plots = path('plots');
    const result = await flashkv([...BASE(), '--years', '0.1', '--plot', plots]);
    expect(result.status).toBe(0);
    expect(readdirSync(plots).sort()).toEqual([
      'erase-counts.svg',
      'erase-rate.svg',
      'latency.svg',
    ]);
    for (const name of readdirSync(plots)) {
      const svg = readFileSync(join(plots, name), 'utf8');
      expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
    expect(readFileSync(join(plots, 'erase-counts.svg'), 'utf8')).toMatch(/<path d="M/);
  });

  it('recommends the smallest sector count with --recommend --target-years', async () => {
    const result = await flashkv([
      ...BASE(),
      '--years',
      '0.1',
      '--recommend',
      '--target-years',
      '0.05',
      '--json',
    ]);
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as {
      recommended_sector_count: number;
      trials: { sector_count: number; lifetime_years: number }[];
    };
    const last = report.trials.at(-1)!;
    expect(last.sector_count).toBe(report.recommended_sector_count);
    expect(last.lifetime_years).toBeGreaterThanOrEqual(0.05);
    for (const trial of report.trials.slice(0, -1)) expect(trial.lifetime_years).toBeLessThan(0.05);
  });

  it('says when the workload does not fit (exit 1, one line)', async () => {
    const result = await flashkv([
      'wear',
      '--config',
      path('small.json'),
      '--workload',
      path('big-static.json'),
    ]);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^flashkv: .*RESOURCE_EXHAUSTED.*does not fit in 2 × 512 B\n$/);
  });

  it("counts pw_kvs's reads by default, flashkv's with --reads flashkv (same wear)", async () => {
    const run = async (extra: string[]): Promise<Record<string, unknown>> => {
      const result = await flashkv([...BASE(), '--years', '0.05', '--json', ...extra]);
      expect(result.status).toBe(0);
      return JSON.parse(result.stdout) as Record<string, unknown>;
    };
    const pwKvs = await run([]);
    const flashkvReads = await run(['--reads', 'flashkv']);
    expect(pwKvs.read_strategy).toBe('pw_kvs');
    expect(flashkvReads.read_strategy).toBe('flashkv');
    expect(flashkvReads.erase_counts).toEqual(pwKvs.erase_counts);
    expect(flashkvReads.flash_bytes_written).toBe(pwKvs.flash_bytes_written);
    const mean = (report: Record<string, unknown>): number =>
      (report.latency_ms as { mean: number }).mean;
    expect(mean(flashkvReads)).toBeLessThan(mean(pwKvs));
    const bad = await flashkv([...BASE(), '--reads', 'fast']);
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
  });

  it('explains itself in --help, with the workload format and examples', async () => {
    const result = await flashkv(['wear', '--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('"every_s": 60');
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('--recommend --target-years 10');
  });

  const BAD: [string, string[], RegExp][] = [
    ['missing --config', ['wear', '--workload', 'w.json'], /missing --config/],
    ['missing --workload', ['wear', '--config', 'c.json'], /missing --workload/],
    [
      'config file not found',
      ['wear', '--config', 'nope.json', '--workload', 'w.json'],
      /cannot read config nope\.json: no such file/,
    ],
    [
      'malformed config JSON',
      ['wear', '--config', 'broken.json', '--workload', 'workload.json'],
      /config broken\.json is not valid JSON/,
    ],
    [
      'unusable config',
      ['wear', '--config', 'bad-config.json', '--workload', 'workload.json'],
      /config bad-config\.json.*multiple/,
    ],
    [
      'bad workload',
      ['wear', '--config', 'kvs.json', '--workload', 'bad-workload.json'],
      /workload bad-workload\.json keys\[0\].*every_s/,
    ],
    [
      'bad timing',
      [
        'wear',
        '--config',
        'kvs.json',
        '--workload',
        'workload.json',
        '--timing',
        'bad-timing.json',
      ],
      /erase_sector_ms/,
    ],
    [
      'bad --endurance',
      ['wear', '--config', 'kvs.json', '--workload', 'workload.json', '--endurance', 'lots'],
      /--endurance must be an integer ≥ 1, got lots/,
    ],
    [
      'fractional --endurance',
      ['wear', '--config', 'kvs.json', '--workload', 'workload.json', '--endurance', '1.5'],
      /--endurance/,
    ],
    [
      'negative --years',
      ['wear', '--config', 'kvs.json', '--workload', 'workload.json', '--years', '-1'],
      /--years must be a number > 0, got -1/,
    ],
    [
      'zero --target-years',
      [
        'wear',
        '--config',
        'kvs.json',
        '--workload',
        'workload.json',
        '--recommend',
        '--target-years',
        '0',
      ],
      /--target-years/,
    ],
    [
      'unknown option',
      ['wear', '--config', 'kvs.json', '--workload', 'workload.json', '--yeras', '3'],
      /unknown option --yeras/,
    ],
  ];
  for (const [name, args, message] of BAD) {
    it(`refuses ${name}: one clear line, exit 2`, async () => {
      const result = await flashkv(args, { cwd: dir });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(result.stderr.startsWith('flashkv: ')).toBe(true);
    });
  }
});
