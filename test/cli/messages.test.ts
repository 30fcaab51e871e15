// Messages a person reads: counts with their noun in the right number, sector lists as ranges,
// and a folder's batch check that checks dumps, not every file beside them.
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plural, sectorRanges } from '../../src/cli/_report.js';
import { flashkv } from './_cli.js';

async function provision(dir: string, name: string, keys: number, sectors = 8): Promise<string> {
  const rows = Array.from({ length: keys }, (_, i) => `key-${i},data,string,value-${i}`);
  writeFileSync(join(dir, `${name}.csv`), ['key,type,encoding,value', ...rows].join('\n'));
  const image = join(dir, name);
  const created = await flashkv([
    'create',
    image,
    '--from',
    join(dir, `${name}.csv`),
    '--sectors',
    String(sectors),
  ]);
  expect(created.status, created.stderr).toBe(0);
  return image;
}

describe('counts and ranges', () => {
  it('names one thing in the singular and groups thousands', () => {
    expect(plural(1, 'key')).toBe('1 key');
    expect(plural(0, 'key')).toBe('0 keys');
    expect(plural(100_000, 'key')).toBe('100,000 keys');
  });

  it('collapses consecutive sectors into ranges', () => {
    expect(sectorRanges([1])).toBe('sector 1');
    expect(sectorRanges([2, 3, 4, 5, 9])).toBe('sectors 2–5, 9');
    expect(sectorRanges([0, 2, 4])).toBe('sectors 0, 2, 4');
    const all = Array.from({ length: 4095 }, (_, i) => i + 1);
    expect(sectorRanges(all)).toBe('sectors 1–4095');
  });

  it('create says "1 key"; diff names the sectors that differ as ranges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-messages-'));
    const one = await provision(dir, 'one.img', 1);
    writeFileSync(join(dir, 'single.csv'), 'key,type,encoding,value\nboot,data,u32,1\n');
    const created = await flashkv([
      'create',
      join(dir, 'single.img'),
      '--from',
      join(dir, 'single.csv'),
    ]);
    expect(created.stdout).toContain(': 1 key, ');
    const other = join(dir, 'two.img');
    copyFileSync(one, other);
    copyFileSync(join(dir, 'one.img.json'), join(dir, 'two.img.json'));
    expect((await flashkv(['put', other, 'key-0', 'changed'])).status).toBe(0);
    const diff = await flashkv(['diff', one, other]);
    expect(diff.stdout).toMatch(/(sector \d+ differs|sectors [\d–, ]+ differ)/);
    expect(diff.stdout).not.toMatch(/sectors \d+, \d+, \d+/);
  });
});

describe('a folder of dumps', () => {
  it('checks its *.bin and *.img files and lists the others as skipped, not unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-folder-'));
    const dumps = join(dir, 'dumps');
    mkdirSync(dumps);
    const image = await provision(dir, 'device.img', 3);
    copyFileSync(image, join(dumps, 'a.img'));
    copyFileSync(image, join(dumps, 'b.BIN'));
    writeFileSync(join(dumps, 'notes.txt'), 'returned unit, screen cracked\n');
    const run = await flashkv(['check', dumps, '--json']);
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      dumps: { image: string }[];
      total: { dumps: number; unreadable: number };
    };
    expect(report.total).toMatchObject({ dumps: 2, unreadable: 0 });
    expect(report.dumps.map((row) => row.image.split('/').pop())).toEqual(['a.img', 'b.BIN']);
    expect(run.stderr).toContain('notes.txt');
  });

  it('--glob chooses the file names, sub-folders included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-glob-'));
    const dumps = join(dir, 'dumps');
    mkdirSync(join(dumps, 'week-49'), { recursive: true });
    const image = await provision(dir, 'device.img', 2);
    copyFileSync(image, join(dumps, 'week-49', 'unit-7.dump'));
    copyFileSync(image, join(dumps, 'unit-8.dump'));
    writeFileSync(join(dumps, 'unit-9.img'), new Uint8Array(10));
    const run = await flashkv(['check', dumps, '--glob', '**/*.dump', '--json']);
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as { dumps: { image: string }[] };
    expect(report.dumps.map((row) => row.image.slice(dumps.length + 1)).sort()).toEqual([
      'unit-8.dump',
      'week-49/unit-7.dump',
    ]);
  });
});
