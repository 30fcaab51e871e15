// `flashkv locate` and `--offset auto` on a whole-chip dump, run as the built CLI on real
// files: a pw_kvs image placed at an odd offset among other bytes, found, read, and the hint
// a misaligned --offset gets.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnFlashkv } from './_cli.js';

const CSV =
  'key,type,encoding,value\ncal/1,data,u32,7\ncal/2,data,string,hello\nboot/count,data,u32,3\n';
const OFFSET = 0x3c001;

let dir: string;
let chip: string;
let noise: string;

/** Deterministic bytes that are neither erased nor pw_kvs entries. */
function noiseBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    bytes[i] = state >>> 24;
  }
  bytes[0] = 0x11;
  bytes[length - 1] = 0x22;
  return bytes;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flashkv-locate-'));
  writeFileSync(join(dir, 'keys.csv'), CSV);
  const image = join(dir, 'kvs.img');
  expect(spawnFlashkv(['create', image, '--from', join(dir, 'keys.csv')]).status).toBe(0);
  chip = join(dir, 'chip.bin');
  const partition = readFileSync(image);
  writeFileSync(
    chip,
    Buffer.concat([
      noiseBytes(OFFSET, 1),
      partition,
      noiseBytes(0x3000, 2),
      Buffer.alloc(0x8000, 0xff),
      noiseBytes(0x20000, 4),
    ]),
  );
  noise = join(dir, 'noise.bin');
  writeFileSync(noise, noiseBytes(0x40000, 3));
});

interface LocateReport {
  kind: string;
  partitions: {
    offset: number;
    size_bytes: number;
    sector_size: number;
    sector_count: number;
    formats: { magic: number; checksum: string }[];
    live_keys: number;
    confidence: string;
  }[];
}

describe('flashkv locate', () => {
  it('finds the partition: one row with offset, size, sector size, format, keys, confidence', () => {
    const run = spawnFlashkv(['locate', chip]);
    expect(run.status).toBe(0);
    const row = run.stdout.split('\n').find((line) => line.startsWith('0x3c001'));
    expect(row?.split(/\s+/)).toEqual(
      expect.arrayContaining(['0x3c001', '0x4000', '4096', '4', '0xd255a8a9', 'crc16', '3']),
    );
    // Other data on both sides bound it exactly.
    expect(row).toContain('high');
    expect(run.stdout).toContain('--offset 0x3c001 --size 0x4000');
  });

  it('--json: the same partition as data', () => {
    const run = spawnFlashkv(['locate', chip, '--json']);
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as LocateReport;
    expect(report.kind).toBe('locate');
    expect(report.partitions).toEqual([
      expect.objectContaining({
        offset: OFFSET,
        size_bytes: 0x4000,
        sector_size: 4096,
        sector_count: 4,
        formats: [{ magic: 0xd255a8a9, checksum: 'crc16' }],
        live_keys: 3,
      }),
    ]);
  });

  it('exits 1 when there is no partition', () => {
    const run = spawnFlashkv(['locate', noise, '--json']);
    expect(run.status).toBe(1);
    expect((JSON.parse(run.stdout) as LocateReport).partitions).toEqual([]);
    expect(spawnFlashkv(['locate', noise]).stdout).toContain('no pw_kvs partition found');
  });
});

describe('--offset auto', () => {
  it('reads the partition locate finds, with its config', () => {
    const listed = spawnFlashkv(['ls', chip, '--offset', 'auto', '--json']);
    expect(listed.status).toBe(0);
    const keys = (JSON.parse(listed.stdout) as { keys: { key: string }[] }).keys;
    expect(keys.map((row) => row.key)).toEqual(['cal/1', 'cal/2', 'boot/count']);
    expect(spawnFlashkv(['get', chip, 'cal/2', '--offset', 'auto']).stdout).toBe('"hello"\n');
  });

  it('--detect inside a chip dump', () => {
    const run = spawnFlashkv(['info', chip, '--offset', 'auto', '--detect', '--json']);
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout) as {
      offset: number;
      size_bytes: number;
      config: { sector_size: number; sector_count: number };
      keys: number;
    };
    expect(info).toMatchObject({
      offset: OFFSET,
      size_bytes: 0x4000,
      config: { sector_size: 4096, sector_count: 4 },
      keys: 3,
    });
  });

  it('a change through --offset auto writes the partition in place', () => {
    const copy = join(dir, 'chip-copy.bin');
    const before = readFileSync(chip);
    writeFileSync(copy, before);
    expect(spawnFlashkv(['put', copy, 'added', 'yes', '--offset', 'auto']).status).toBe(0);
    const after = readFileSync(copy);
    expect(after.length).toBe(before.length);
    expect(after.subarray(0, OFFSET)).toEqual(before.subarray(0, OFFSET));
    expect(after.subarray(OFFSET + 0x4000)).toEqual(before.subarray(OFFSET + 0x4000));
    expect(spawnFlashkv(['get', copy, 'added', '--offset', 'auto']).stdout).toBe('"yes"\n');
  });

  it('fails with one line when no partition is found', () => {
    const run = spawnFlashkv(['ls', noise, '--offset', 'auto']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--offset auto: no pw_kvs partition found');
  });
});

describe('a misaligned --offset', () => {
  it('gets the hint of the offset that reads the entries, and exit 1', () => {
    for (const command of [['ls'], ['info'], ['check']]) {
      const run = spawnFlashkv([command[0]!, chip, '--offset', '0x3c000', '--size', '0x4000']);
      expect(run.status, command[0]).toBe(1);
      expect(run.stderr, command[0]).toContain(
        'another offset would read 3 entries (--offset 0x3c001 --size 0x4000)',
      );
    }
    const json = spawnFlashkv(['check', chip, '--offset', '0x3c000', '--size', '0x4000', '--json']);
    expect(json.status).toBe(1);
    const problems = (JSON.parse(json.stdout) as { problems: { kind: string; message: string }[] })
      .problems;
    expect(problems.find((problem) => problem.kind === 'other_config')?.message).toContain(
      '--offset 0x3c001',
    );
  });

  it('no hint where the offset is right', () => {
    const run = spawnFlashkv(['ls', chip, '--offset', '0x3c001', '--size', '0x4000']);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
  });
});
