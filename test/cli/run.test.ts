import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCases, loadCase } from '../helpers/vectors.js';
import { type CliRun, ROOT, flashkv as run } from './_cli.js';

function flashkv(...args: string[]): Promise<CliRun> {
  return run(args);
}

describe('flashkv run', () => {
  it('runs a scenario and writes the final image pw_kvs wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-run-'));
    const id = listCases('basic')[0]!;
    const testCase = loadCase(id);
    const scenarioPath = join(dir, 'scenario.json');
    writeFileSync(scenarioPath, JSON.stringify(testCase.scenario));
    const imagePath = join(dir, 'out.bin');
    const result = await flashkv('run', scenarioPath, '--image-out', imagePath);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { results: { status: string }[] };
    expect(report.results.map((r) => r.status)).toEqual(
      testCase.expected.results.map((r) => r.status),
    );
    expect(new Uint8Array(readFileSync(imagePath))).toEqual(testCase.imageOut);
  });

  it("prints pw_kvs's wrapped u64 statistics exactly", async () => {
    const scenario = join(ROOT, 'test/fixtures/known-limitations/resized-sectors-abort.json');
    const result = await flashkv('run', scenario);
    expect(result.status).toBe(0);
    // 2^64 - 65536: a wrapped count summed mod 2^64, beyond 2^53 (a double would round it).
    expect(result.stdout).toContain('"reclaimable_bytes": 18446744073709486080,');
  });

  it('names the op and the field of a malformed scenario, exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-run-'));
    const missing = join(dir, 'missing-field.json');
    writeFileSync(missing, JSON.stringify({ ops: [{ op: 'init' }, { op: 'put', key: 'a' }] }));
    const result = await flashkv('run', missing);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('op #1 (put)');
    expect(result.stderr).toContain("'value_hex'");
    expect(result.stderr.trim().split('\n')).toHaveLength(1);

    const unknown = join(dir, 'unknown-op.json');
    writeFileSync(unknown, JSON.stringify({ ops: [{ op: 'init' }, { op: 'frobnicate' }] }));
    const second = await flashkv('run', unknown);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain('op #1');
    expect(second.stderr).toContain('"frobnicate"');
  });

  it('reports a missing file and an unknown command with exit 2', async () => {
    expect((await flashkv('run', '/nonexistent/scenario.json')).status).toBe(2);
    const unknown = await flashkv('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
  });
});

describe('flashkv torture and fuzz', () => {
  it('torture ends with the summary line and exits 0 when nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-torture-'));
    const result = await flashkv('torture', '--ops', '60', '--torn', '--failures-dir', dir);
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.at(-1)).toMatch(/^cut points \d+, committed writes lost 0, unrecoverable 0$/);
  });

  it('torture exits 1 and writes a replayable scenario per failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-torture-'));
    // Redundancy 3 on 4 sectors: a known pw_kvs limitation after torn writes.
    const result = await flashkv(
      'torture',
      ...['--ops', '150', '--sectors', '4', '--sector-size', '1024', '--alignment', '64'],
      ...['--redundancy', '3', '--torn', '--failures-dir', dir],
    );
    expect(result.status).toBe(1);
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(/unrecoverable [1-9]\d*$/);
    const replay = await flashkv('run', join(dir, 'failure-1.json'));
    expect(replay.status).toBe(0);
    const report = JSON.parse(replay.stdout) as { results: { op: string; status: string }[] };
    expect(report.results.some((r) => r.op === 'power_up')).toBe(true);
  });

  it('fuzz reports its totals and exits 0', async () => {
    const result = await flashkv('fuzz', '--images', '300', '--seed', '9');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/images 300 .*hangs 0, non-KvsError throws 0/);
  });

  it('rejects bad numbers with exit 2', async () => {
    expect((await flashkv('torture', '--ops', 'many')).status).toBe(2);
    expect((await flashkv('fuzz', '--images', '-3')).status).toBe(2);
  });
});

describe('flashkv bench', () => {
  it('runs the sample configuration shipped in bench/configs, as docs/benchmarks.md says', async () => {
    const result = await flashkv('bench', join(ROOT, 'bench/configs/get-small.json'));
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { ops: number; mismatches: number };
    expect(report.ops).toBe(10000);
    expect(report.mismatches).toBe(0);
  });

  it('ships one sample per reference configuration, each the reference config', () => {
    const references = JSON.parse(
      readFileSync(join(ROOT, 'bench/pw_kvs-reference.json'), 'utf8'),
    ) as Record<string, { config: unknown }>;
    expect(readdirSync(join(ROOT, 'bench/configs')).sort()).toEqual(
      Object.keys(references)
        .map((name) => `${name}.json`)
        .sort(),
    );
    for (const [name, reference] of Object.entries(references)) {
      const sample = JSON.parse(
        readFileSync(join(ROOT, 'bench/configs', `${name}.json`), 'utf8'),
      ) as unknown;
      expect(sample, name).toEqual(reference.config);
    }
  });
});
