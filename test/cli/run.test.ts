import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listCases, loadCase } from '../helpers/vectors.js';
import { CLI } from './_cli.js';

function flashkv(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('flashkv run', () => {
  it('runs a scenario and writes the final image pw_kvs wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-run-'));
    const id = listCases('basic')[0]!;
    const testCase = loadCase(id);
    const scenarioPath = join(dir, 'scenario.json');
    writeFileSync(scenarioPath, JSON.stringify(testCase.scenario));
    const imagePath = join(dir, 'out.bin');
    const result = flashkv('run', scenarioPath, '--image-out', imagePath);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout) as { results: { status: string }[] };
    expect(report.results.map((r) => r.status)).toEqual(
      testCase.expected.results.map((r) => r.status),
    );
    expect(new Uint8Array(readFileSync(imagePath))).toEqual(testCase.imageOut);
  });

  it('names the op and the field of a malformed scenario, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-run-'));
    const missing = join(dir, 'missing-field.json');
    writeFileSync(missing, JSON.stringify({ ops: [{ op: 'init' }, { op: 'put', key: 'a' }] }));
    const result = flashkv('run', missing);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('op #1 (put)');
    expect(result.stderr).toContain("'value_hex'");
    expect(result.stderr.trim().split('\n')).toHaveLength(1);

    const unknown = join(dir, 'unknown-op.json');
    writeFileSync(unknown, JSON.stringify({ ops: [{ op: 'init' }, { op: 'frobnicate' }] }));
    const second = flashkv('run', unknown);
    expect(second.status).toBe(2);
    expect(second.stderr).toContain('op #1');
    expect(second.stderr).toContain('"frobnicate"');
  });

  it('reports a missing file and an unknown command with exit 2', () => {
    expect(flashkv('run', '/nonexistent/scenario.json').status).toBe(2);
    const unknown = flashkv('frobnicate');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('frobnicate');
  });
});
