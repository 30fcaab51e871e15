// Damaged padding on the command line, on the dumps recorded from the real pw_kvs
// (test/fixtures/padding): every command that judges or shows the image says what pw_kvs's
// next boot will do with the key.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { paddingDump } from '../helpers/padding.js';
import { flashkv } from './_cli.js';

/** The case's dump as a file of its own (no config beside it: pw_kvs's defaults fit). */
function dumpFile(id: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'flashkv-padding-')), `${id}.bin`);
  writeFileSync(path, paddingDump(id));
  return path;
}

const LOST =
  /key cal\/5 will be lost at the next boot: its entry at 0x1020 \(sector 1\) fails its checksum as stored \(padding\)/;

describe('damaged padding on the command line', () => {
  it('check: the entry, its key, the reason, the sector corrupt; exit 1', async () => {
    const path = dumpFile('lost');
    const run = await flashkv(['check', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('(1 live, 0 tombstones, 0 stale, 1 corrupt)');
    expect(run.stdout).toMatch(/^1 +2 +32 +0 +0 +4064 +CORRUPT$/m);
    expect(run.stdout).toMatch(
      /0x1020 +1 +"cal\/5" +fails its checksum as stored \(padding\) +the key is lost/,
    );
    expect(run.stdout).toMatch(LOST);
  });

  it('check --json: the entry corrupt with its reason, the sector corrupt, the problem kind', async () => {
    const path = dumpFile('lost');
    const run = await flashkv(['check', path, '--json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      entries: { address: number; key: string; state: string; reason?: string }[];
      sectors: { index: number; corrupt_bytes: number }[];
      problems: { kind: string; message: string; sector?: number; address?: number }[];
    };
    expect(report.ok).toBe(false);
    expect(report.entries).toContainEqual(
      expect.objectContaining({
        address: 0x1020,
        key: 'cal/5',
        state: 'corrupt',
        reason: 'fails its checksum as stored (padding)',
      }),
    );
    expect(report.sectors[1]!.corrupt_bytes).toBe(4064);
    expect(report.problems.map((problem) => problem.kind)).toEqual([
      'corrupt_data',
      'damaged_padding',
    ]);
    expect(report.problems[1]).toMatchObject({ sector: 1, address: 0x1020 });
  });

  it('batch check: the row has problems', async () => {
    const run = await flashkv(['check', dumpFile('lost'), dumpFile('redundant-copy'), '--json']);
    expect(run.status).toBe(1);
    const rows = (JSON.parse(run.stdout) as { dumps: { ok: boolean; corrupt_entries: number }[] })
      .dumps;
    expect(rows.map((row) => [row.ok, row.corrupt_entries])).toEqual([
      [false, 1],
      [false, 1],
    ]);
  });

  it('dump: the entry is corrupt, not live', async () => {
    const run = await flashkv(['dump', dumpFile('lost')]);
    expect(run.stdout).toMatch(
      /0x001020 +1 +primary +2 +"cal\/5" +3 B +corrupt: fails its checksum as stored \(padding\)/,
    );
  });

  it('ls: lists what the next boot sees, warns that cal/5 will be lost, exit 1', async () => {
    const path = dumpFile('lost');
    const run = await flashkv(['ls', path]);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('"cal/4"');
    expect(run.stdout).not.toContain('cal/5');
    expect(run.stderr).toMatch(LOST);
    const json = await flashkv(['ls', path, '--json']);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as { warnings: string[] };
    expect(report.warnings).toEqual([expect.stringMatching(LOST)]);
  });

  it('get: warns, says what a running device reads now, and what the next boot reads; exit 1', async () => {
    const lost = await flashkv(['get', dumpFile('lost'), 'cal/5']);
    expect(lost.status).toBe(1);
    expect(lost.stderr).toMatch(LOST);
    expect(lost.stderr).toContain('a running device reads key "cal/5" as "xyz" (3 B)');
    expect(lost.stderr).toContain('key "cal/5" not found');
    const older = await flashkv(['get', dumpFile('older-value'), 'cal/5']);
    expect(older.status).toBe(1);
    expect(older.stdout).toBe('"old"\n');
    expect(older.stderr).toMatch(/key cal\/5 will go back to an older value at the next boot/);
    // Another key of the same image is read as ever, but the image still has the warning.
    const other = await flashkv(['get', dumpFile('lost'), 'cal/4']);
    expect(other.stdout).toBe('"abc"\n');
    expect(other.status).toBe(1);
  });

  it('an intact copy keeps the key: no warning that it is lost, the value as ever', async () => {
    const run = await flashkv(['get', dumpFile('redundant-copy'), 'cal/5', '--redundancy', '2']);
    expect(run.stdout).toBe('"xyz"\n');
    expect(run.stderr).not.toContain('next boot');
  });

  it('repair --dry-run names the key and why; nothing is written', async () => {
    const lost = await flashkv(['repair', dumpFile('lost'), '--dry-run']);
    expect(lost.stdout).toContain(
      'lost: key "cal/5" (its newest entry fails its checksum as stored (padding))',
    );
    expect(lost.stdout).toContain('dry run: nothing written');
    const older = await flashkv(['repair', dumpFile('older-value'), '--dry-run']);
    expect(older.stdout).toContain(
      'older value: key "cal/5" (its newest entry fails its checksum as stored (padding))',
    );
  });

  it('put refuses: init would erase the damaged entry', async () => {
    const run = await flashkv(['put', dumpFile('lost'), 'x', 'y']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('fails its checksum as stored (padding)');
  });
});
