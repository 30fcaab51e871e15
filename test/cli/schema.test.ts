import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { ROOT, flashkv } from './_cli.js';

const schema = JSON.parse(
  readFileSync(join(ROOT, 'schema/flashkv-report.schema.json'), 'utf8'),
) as Record<string, unknown>;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

/** Parses stdout as one JSON document and checks it against the published schema. */
function expectValid(stdout: string, kind: string): Record<string, unknown> {
  const report = JSON.parse(stdout) as Record<string, unknown>;
  const ok = validate(report);
  expect(validate.errors ?? [], `${kind}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toEqual(
    [],
  );
  expect(ok).toBe(true);
  expect(report.schema_version).toBe(1);
  expect(report.kind).toBe(kind);
  return report;
}

/** Every field name in a JSON value, deeply (map keys of pw_status names included). */
function fieldNames(value: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) fieldNames(item, names);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      names.add(key);
      fieldNames(inner, names);
    }
  }
  return names;
}

async function fixture(): Promise<{ dir: string; image: string; damaged: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'flashkv-schema-'));
  writeFileSync(
    join(dir, 'keys.csv'),
    'key,type,encoding,value\nwifi/ssid,data,string,home\nboot/count,data,u32,7\nraw,data,hex,fffe80\n',
  );
  const image = join(dir, 'a.img');
  expect((await flashkv(['create', image, '--from', join(dir, 'keys.csv')])).status).toBe(0);
  const bytes = readFileSync(image);
  const valueAt = 4096 + 16 + 'wifi/ssid'.length; // the first entry's value (pw_kvs starts in sector 1)
  bytes[valueAt] = bytes[valueAt]! ^ 0x01;
  const damaged = join(dir, 'damaged.img');
  writeFileSync(damaged, bytes);
  writeFileSync(`${damaged}.json`, readFileSync(`${image}.json`));
  return { dir, image, damaged };
}

describe('every --json output follows schema/flashkv-report.schema.json', () => {
  it('image commands, on clean, damaged, truncated and padded images, and batch check', async () => {
    const { dir, image, damaged } = await fixture();
    const truncated = join(dir, 'short.img');
    writeFileSync(truncated, readFileSync(image).subarray(0, 10_000));
    const runs: [string, string[]][] = [
      ['ls', ['ls', image, '--json']],
      ['ls', ['ls', damaged, '--json']],
      ['ls', ['ls', truncated, '--json', '--sector-size', '4096']],
      ['get', ['get', image, 'raw', '--json']],
      ['get', ['get', image, 'wifi/ssid', '--json']],
      ['info', ['info', image, '--json']],
      ['info', ['info', damaged, '--detect', '--json']],
      ['check', ['check', image, '--json']],
      ['check', ['check', damaged, '--json']],
      ['dump', ['dump', image, '--json']],
      ['dump', ['dump', damaged, '--json']],
      ['check_batch', ['check', image, damaged, truncated, join(dir, 'nope.img'), '--json']],
      ['repair', ['repair', damaged, '--dry-run', '--json']],
      ['diff', ['diff', image, damaged, '--json']],
      ['diff', ['diff', image, image, '--json']],
      ['put', ['put', image, 'new', 'value', '--json']],
      ['rm', ['rm', image, 'new', '--json']],
      ['create', ['create', join(dir, 'b.img'), '--from', join(dir, 'keys.csv'), '--json']],
    ];
    const names = new Set<string>();
    for (const [kind, args] of runs) {
      const run = await flashkv(args);
      expect(run.status, args.join(' ')).toBeLessThanOrEqual(2);
      fieldNames(expectValid(run.stdout, kind), names);
    }
    // One naming style: snake_case fields everywhere.
    for (const name of names) expect(name, name).toMatch(/^[a-z0-9_]+$/);
  });

  it('errors under --json are JSON too, with the exit code', async () => {
    const { dir, image } = await fixture();
    const cases: [string[], number][] = [
      [['ls', join(dir, 'missing.img'), '--json'], 2],
      [['get', image, 'absent', '--json'], 1],
      [['get', image, 'raw', '--hex', '--json'], 2],
      [['ls', image, '--json', '--sectors', 'many'], 2],
    ];
    for (const [args, exitCode] of cases) {
      const run = await flashkv(args);
      expect(run.status).toBe(exitCode);
      const report = expectValid(run.stdout, 'error') as { error: { exit_code: number } };
      expect(report.error.exit_code).toBe(exitCode);
      expect(run.stderr).toMatch(/^flashkv: /);
    }
  });

  it('torture, fuzz and bench-all: one JSON document, snake_case, nothing after it', async () => {
    const torture = await flashkv(['torture', '--ops', '30', '--json']);
    expect(torture.status).toBe(0);
    const report = expectValid(torture.stdout, 'torture');
    for (const name of fieldNames(report)) expect(name).toMatch(/^[a-z0-9_]+$/);
    const fuzz = await flashkv(['fuzz', '--images', '20', '--json']);
    expect(fuzz.status).toBe(0);
    expectValid(fuzz.stdout, 'fuzz');
    const bench = await flashkv([
      'bench-all',
      '--repeat',
      '1',
      '--skip-scale',
      '--skip-wear',
      '--json',
    ]);
    expect(bench.status).toBe(0);
    expectValid(bench.stdout, 'bench_all');
  });

  it('wear and wear --recommend', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-schema-wear-'));
    writeFileSync(join(dir, 'kvs.json'), JSON.stringify({ sector_size: 512, sector_count: 4 }));
    writeFileSync(
      join(dir, 'workload.json'),
      JSON.stringify({
        keys: [
          { key: 'log/last', size: 16, every_s: 60 },
          { prefix: 'cal/', count: 2, size: 8, static: true },
        ],
      }),
    );
    const base = [
      'wear',
      '--config',
      join(dir, 'kvs.json'),
      '--workload',
      join(dir, 'workload.json'),
    ];
    for (const [kind, extra] of [
      ['wear', ['--years', '0.05']],
      ['wear_recommendation', ['--years', '0.05', '--recommend', '--target-years', '0.01']],
    ] as const) {
      const run = await flashkv([...base, ...extra, '--json']);
      expect(run.status, run.stderr).toBe(0);
      const report = expectValid(run.stdout, kind);
      for (const name of fieldNames(report)) expect(name).toMatch(/^[a-z0-9_]+$/);
    }
  });
});
