// A truncated dump, as a user meets one: `head -c` of a real image, then every command that
// judges it, run as the built CLI on the files. Each says `truncated`, exits 1, names the bytes
// missing, and prints the file's size, never the config's as if it were the file's.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnFlashkv } from './_cli.js';

const CSV =
  'key,type,encoding,value\ncal/1,data,u32,7\ncal/2,data,string,hello\nboot/count,data,u32,3\n';

interface Problem {
  kind: string;
  missing_bytes?: number;
}

let dir: string;
let whole: string;
/** The first 10 000 B of a 4 × 4 KiB image, its config beside it: 6 384 B missing. */
let short: string;
/** The same bytes with no config: the defaults sized to it say 3 sectors, 2 288 B missing. */
let bare: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flashkv-truncated-'));
  writeFileSync(join(dir, 'keys.csv'), CSV);
  whole = join(dir, 'whole.img');
  expect(spawnFlashkv(['create', whole, '--from', join(dir, 'keys.csv')]).status).toBe(0);
  const head = readFileSync(whole).subarray(0, 10_000);
  short = join(dir, 'short.img');
  writeFileSync(short, head);
  writeFileSync(`${short}.json`, readFileSync(`${whole}.json`));
  mkdirSync(join(dir, 'bare'));
  bare = join(dir, 'bare', 'dump.bin');
  writeFileSync(bare, head);
});

describe('a truncated dump is a problem everywhere it is judged', () => {
  it('check: exit 1, the truncated problem with its missing bytes, the cut sectors labelled', () => {
    const run = spawnFlashkv(['check', short]);
    expect(run.status).toBe(1);
    expect(run.stdout).not.toContain('OK: no problems');
    expect(run.stdout).toContain('truncated: the partition is 10000 B of the 16384 B');
    expect(run.stdout).toContain('6384 B missing');
    // Sector 2 is cut at 10 000 B and sector 3 is not in the file at all.
    const states = run.stdout
      .split('\n')
      .filter((line) => /^[0-3]\s+\d/.test(line))
      .map((line) => line.trim().split(/\s+/).at(-1));
    expect(states).toEqual(['empty', 'ok', 'TRUNCATED', 'TRUNCATED']);
  });

  it('check --json: not ok, exit 1, the problem first with missing_bytes', () => {
    const run = spawnFlashkv(['check', short, '--json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as { ok: boolean; problems: Problem[] };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: 'truncated', missing_bytes: 6384 });
  });

  it('check DIR: the batch row is not ok and names truncated; JSON and CSV too', () => {
    const folder = join(dir, 'batch');
    mkdirSync(folder);
    for (const [from, to] of [
      [whole, 'a-whole.img'],
      [short, 'b-short.img'],
    ] as const) {
      writeFileSync(join(folder, to), readFileSync(from));
      writeFileSync(join(folder, `${to}.json`), readFileSync(`${from}.json`));
    }
    const text = spawnFlashkv(['check', folder]);
    expect(text.status).toBe(1);
    const row = text.stdout.split('\n').find((line) => line.includes('b-short.img'))!;
    expect(row).toContain('PROBLEMS');
    expect(row).toContain('truncated:');
    expect(row).toContain('6384 B missing');
    expect(text.stdout).toContain('1 ok, 1 with problems');
    const json = spawnFlashkv(['check', folder, '--json']);
    expect(json.status).toBe(1);
    const rows = (JSON.parse(json.stdout) as { dumps: { ok: boolean; problems: Problem[] }[] })
      .dumps;
    expect(rows.map((dump) => [dump.ok, dump.problems[0]?.kind])).toEqual([
      [true, undefined],
      [false, 'truncated'],
    ]);
    expect(rows[1]!.problems[0]!.missing_bytes).toBe(6384);
    const csv = spawnFlashkv(['check', folder, '--csv']);
    expect(csv.status).toBe(1);
    expect(csv.stdout.split('\n').find((line) => line.includes('b-short.img'))).toMatch(
      /,false,.*truncated/,
    );
  });

  it("info: the file's size, the bytes missing, truncated among the problems; exit 1", () => {
    const text = spawnFlashkv(['info', short]);
    expect(text.status).toBe(1);
    expect(text.stdout).toContain('(10,000 B; truncated');
    expect(text.stdout).toContain('6,384 B missing');
    expect(text.stdout).toMatch(/problems\s+1 \(truncated; see flashkv check\)/);
    const json = spawnFlashkv(['info', short, '--json']);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as {
      file_size_bytes: number;
      size_bytes: number;
      truncated_bytes: number;
      problems: Problem[];
    };
    expect(report).toMatchObject({
      file_size_bytes: 10_000,
      size_bytes: 16_384,
      truncated_bytes: 6384,
    });
    expect(report.problems).toEqual([expect.objectContaining({ kind: 'truncated' })]);
  });

  it('ls, get and dump: what the file holds, a warning naming the missing bytes, exit 1', () => {
    for (const args of [['ls'], ['get', 'cal/2'], ['dump']]) {
      const [command, ...rest] = args;
      const run = spawnFlashkv([command!, short, ...rest]);
      expect(run.status, command).toBe(1);
      expect(run.stderr, command).toContain('the missing 6384 B are read as erased');
    }
    expect(spawnFlashkv(['get', short, 'cal/2']).stdout).toBe('"hello"\n');
  });

  it('a change is refused and the file is left as it was', () => {
    const before = readFileSync(short);
    const put = spawnFlashkv(['put', short, 'new', 'value']);
    expect(put.status).toBe(2);
    expect(put.stderr).toContain('it is truncated (6384 B missing)');
    expect(readFileSync(short)).toEqual(before);
  });

  it('without a config, and with --detect, a partial last sector is a truncated dump', () => {
    const plain = JSON.parse(spawnFlashkv(['check', bare, '--json']).stdout) as {
      problems: Problem[];
    };
    expect(plain.problems[0]).toMatchObject({ kind: 'truncated', missing_bytes: 2288 });
    // Detection used to fail on a size no sector size divides; it now reads the cut sector.
    const detected = spawnFlashkv(['check', bare, '--detect', '--json']);
    expect(detected.status).toBe(1);
    const report = JSON.parse(detected.stdout) as { live_keys: number; problems: Problem[] };
    expect(report.live_keys).toBe(3);
    expect(report.problems[0]).toMatchObject({ kind: 'truncated', missing_bytes: 2288 });
    const info = JSON.parse(spawnFlashkv(['info', bare, '--detect', '--json']).stdout) as {
      config: { sector_size: number; sector_count: number };
      detection: { notes: string[] };
    };
    expect(info.config).toMatchObject({ sector_size: 4096, sector_count: 3 });
    expect(info.detection.notes.some((note) => note.includes('truncated dump'))).toBe(true);
    const bound = JSON.parse(
      spawnFlashkv(['info', bare, '--detect', '--sector-size', '2048', '--json']).stdout,
    ) as { config: { sector_size: number; sector_count: number }; truncated_bytes: number };
    expect([bound.config.sector_count, bound.truncated_bytes]).toEqual([5, 240]);
  });

  it('a whole image is not truncated', () => {
    const run = spawnFlashkv(['check', whole, '--json']);
    expect(run.status).toBe(0);
    expect((JSON.parse(run.stdout) as { problems: Problem[] }).problems).toEqual([]);
    const info = JSON.parse(spawnFlashkv(['info', whole, '--json']).stdout) as {
      truncated_bytes: number;
    };
    expect(info.truncated_bytes).toBe(0);
  });
});
