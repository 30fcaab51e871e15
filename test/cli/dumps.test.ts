// Real field dumps: partitions inside whole-chip dumps, truncated and padded files, the wrong
// config, random bytes; and the contract of values, stdin/stdout, bounded reads and locks.
import { chmodSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { flashkv } from './_cli.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-dumps-'));
}

const CSV =
  'key,type,encoding,value\nwifi/ssid,data,string,home\nboot/count,data,u32,7\nraw,data,hex,fffe80\n';

/** A 4 × 4 KiB image with three keys, its config beside it. */
async function image(dir: string, name = 'a.img'): Promise<string> {
  writeFileSync(join(dir, 'keys.csv'), CSV);
  const path = join(dir, name);
  expect((await flashkv(['create', path, '--from', join(dir, 'keys.csv')])).status).toBe(0);
  return path;
}

function keysOf(stdout: string): string[] {
  return (JSON.parse(stdout) as { keys: { key: string }[] }).keys.map((row) => row.key);
}

describe('partitions inside a bigger dump (--offset / --size)', () => {
  it('reads and writes back in place, leaving the bytes around the partition', async () => {
    const dir = tempDir();
    const partition = readFileSync(await image(dir));
    const before = Buffer.alloc(0x3000, 0x5a);
    const after = Buffer.alloc(0x1234, 0xa5);
    const chip = join(dir, 'chip.bin');
    writeFileSync(chip, Buffer.concat([before, partition, after]));
    const window = ['--offset', '0x3000', '--size', String(partition.length)];
    const listed = await flashkv(['ls', chip, ...window, '--json']);
    expect(listed.stderr).toBe('');
    expect(keysOf(listed.stdout)).toEqual(['wifi/ssid', 'boot/count', 'raw']);
    expect((await flashkv(['put', chip, 'added', 'yes', ...window])).status).toBe(0);
    expect((await flashkv(['get', chip, 'added', ...window])).stdout).toBe('"yes"\n');
    const bytes = readFileSync(chip);
    expect(bytes.length).toBe(before.length + partition.length + after.length);
    expect(bytes.subarray(0, before.length)).toEqual(before);
    expect(bytes.subarray(before.length + partition.length)).toEqual(after);
    // The partition alone is what a put on the image file would have made.
    const alone = await image(dir, 'b.img');
    expect((await flashkv(['put', alone, 'added', 'yes'])).status).toBe(0);
    expect(bytes.subarray(before.length, before.length + partition.length)).toEqual(
      readFileSync(alone),
    );
  });

  it('--offset and --size take decimal or hex, and refuse anything else', async () => {
    const dir = tempDir();
    const path = await image(dir);
    expect((await flashkv(['ls', path, '--offset', '0', '--size', '16384'])).status).toBe(0);
    expect((await flashkv(['ls', path, '--offset', '0x0', '--size', '0x4000'])).status).toBe(0);
    const bad = await flashkv(['ls', path, '--offset', '12k']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--offset: expected a byte count, decimal or 0x hex');
  });
});

describe('truncated and padded dumps', () => {
  it('a truncated dump opens read-only, its missing tail read as erased, with a warning', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const short = join(dir, 'short.img');
    writeFileSync(short, readFileSync(path).subarray(0, 10_000));
    writeFileSync(`${short}.json`, readFileSync(`${path}.json`));
    const listed = await flashkv(['ls', short, '--json']);
    expect(listed.status).toBe(1); // the listing is all the file holds, and the file is short
    expect(keysOf(listed.stdout)).toEqual(['wifi/ssid', 'boot/count', 'raw']);
    expect(listed.stderr).toContain('the missing 6384 B are read as erased (a truncated dump)');
    // Without a config, a partial last sector is a truncated one.
    writeFileSync(join(dir, 'bare.img'), readFileSync(path).subarray(0, 10_000));
    expect(keysOf((await flashkv(['ls', join(dir, 'bare.img'), '--json'])).stdout)).toHaveLength(3);
    const put = await flashkv(['put', short, 'a', 'b']);
    expect(put.status).toBe(2);
    expect(put.stderr).toContain('it is truncated');
    expect(readFileSync(short).length).toBe(10_000);
  });

  it('check reports a truncated dump as a problem: exit 1, the bytes missing, the file size', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const short = join(dir, 'short.img');
    writeFileSync(short, readFileSync(path).subarray(0, 10_000));
    const checked = await flashkv(['check', short]);
    expect(checked.status).toBe(1);
    expect(checked.stdout).not.toContain('OK: no problems');
    expect(checked.stdout).toContain('truncated: the partition is 10000 B of the 12288 B');
    expect(checked.stdout).toContain('2288 B missing');
    const json = await flashkv(['check', short, '--json']);
    expect(json.status).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; problems: Record<string, unknown>[] };
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({ kind: 'truncated', missing_bytes: 2288 });
    const batch = await flashkv(['check', short, path, '--json']);
    expect(batch.status).toBe(1);
    const rows = (
      JSON.parse(batch.stdout) as { dumps: { ok: boolean; problems: { kind: string }[] }[] }
    ).dumps;
    expect(rows.map((row) => [row.ok, row.problems[0]?.kind])).toEqual([
      [false, 'truncated'],
      [true, undefined],
    ]);
    const info = await flashkv(['info', short]);
    expect(info.stdout).toContain('(10,000 B; truncated');
    expect(info.stdout).toContain('2,288 B missing');
    const infoJson = JSON.parse((await flashkv(['info', short, '--json'])).stdout) as Record<
      string,
      unknown
    >;
    expect([infoJson.file_size_bytes, infoJson.truncated_bytes]).toEqual([10_000, 2288]);
  });

  it('trailing bytes are reported and kept; the image still opens and changes', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const padded = join(dir, 'padded.img');
    const garbage = Buffer.from('trailing garbage from the dump tool');
    writeFileSync(padded, Buffer.concat([readFileSync(path), garbage]));
    writeFileSync(`${padded}.json`, readFileSync(`${path}.json`));
    const checked = await flashkv(['check', padded]);
    expect(checked.status).toBe(0);
    expect(checked.stderr).toContain(`${garbage.length} B past the partition's 16384 B`);
    expect((await flashkv(['put', padded, 'k', 'v'])).status).toBe(0);
    expect(readFileSync(padded).subarray(16384)).toEqual(garbage);
  });
});

describe('the wrong config', () => {
  it('every looking command says another config sees the entries, and exits 1', async () => {
    const dir = tempDir();
    const small = join(dir, 'small.img');
    writeFileSync(join(dir, 'keys.csv'), CSV);
    const created = await flashkv([
      'create',
      small,
      '--from',
      join(dir, 'keys.csv'),
      '--sector-size',
      '1024',
      '--sectors',
      '16',
    ]);
    expect(created.status).toBe(0);
    const dump = join(dir, 'dump.bin');
    writeFileSync(dump, readFileSync(small)); // no config beside it: the defaults say 4 KiB
    for (const command of [['ls'], ['get', 'raw'], ['info'], ['check'], ['dump'], ['export']]) {
      const [name, ...rest] = command;
      const run = await flashkv([name!, dump, ...rest, '--sector-size', '4096']);
      expect(run.status, name).toBe(1);
      expect(run.stderr, name).toContain('sees no valid entry, but 3 entries are readable as');
    }
  });

  it('detection proposes only power-of-two sector sizes, or the one given', async () => {
    const dir = tempDir();
    const path = await image(dir);
    // 5 × 4 KiB = 20 KiB would split into 5 sectors of 4096 or, before, 400 / 800 / … B ones.
    const five = join(dir, 'five.img');
    writeFileSync(five, Buffer.concat([readFileSync(path), Buffer.alloc(4096, 0xff)]));
    const info = JSON.parse((await flashkv(['info', five, '--detect', '--json'])).stdout) as {
      config: { sector_size: number };
      detection: { other_sector_sizes: number[] };
    };
    for (const size of [info.config.sector_size, ...info.detection.other_sector_sizes]) {
      expect(Math.log2(size) % 1).toBe(0);
    }
    const given = JSON.parse(
      (await flashkv(['info', five, '--detect', '--sector-size', '4096', '--json'])).stdout,
    ) as { config: { sector_size: number; sector_count: number } };
    expect(given.config).toMatchObject({ sector_size: 4096, sector_count: 5 });
  });
});

describe('honest repair', () => {
  it('refuses to repair random bytes (no valid entry found); --dry-run says so', async () => {
    const dir = tempDir();
    const random = join(dir, 'random.bin');
    let seed = 7;
    const bytes = Buffer.alloc(32 * 1024).map(() => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed >> 16;
    });
    writeFileSync(random, bytes);
    const dry = await flashkv(['repair', random, '--dry-run']);
    expect(dry.stdout).toContain('no valid entry found');
    const refused = await flashkv(['repair', random]);
    expect(refused.status).toBe(2);
    // A refused repair reports what it would have done, never that it did it.
    expect(refused.stdout).toContain('would change 8 of 8 sectors');
    expect(refused.stdout).not.toMatch(/\bchanged \d/);
    expect(readFileSync(random)).toEqual(bytes);
    expect(readdirSync(dir)).toEqual(['random.bin']);
  });

  it('--dry-run --json names lost and older-value keys', async () => {
    const dir = tempDir();
    const path = await image(dir);
    expect((await flashkv(['put', path, 'wifi/ssid', 'office'])).status).toBe(0);
    const dump = JSON.parse((await flashkv(['dump', path, '--json'])).stdout) as {
      entries: { address: number; key: string; state: string }[];
    };
    const bytes = readFileSync(path);
    for (const entry of dump.entries) {
      // Damage the newest wifi/ssid (an older value remains) and raw (its only entry).
      if ((entry.key === 'wifi/ssid' && entry.state === 'live') || entry.key === 'raw') {
        const at = entry.address + 16 + entry.key.length;
        bytes[at] = bytes[at]! ^ 0x01;
      }
    }
    writeFileSync(path, bytes);
    const report = JSON.parse((await flashkv(['repair', path, '--dry-run', '--json'])).stdout) as {
      lost_keys: { key: string }[];
      older_value_keys: { key: string }[];
      keys_before: number;
    };
    expect(report.lost_keys.map((key) => key.key)).toEqual(['raw']);
    expect(report.older_value_keys.map((key) => key.key)).toEqual(['wifi/ssid']);
    expect(report.keys_before).toBe(3);
  });
});

describe('the contract', () => {
  it('- is stdin for manifests and values, stdout for outputs', async () => {
    const dir = tempDir();
    const path = join(dir, 'in.img');
    expect((await flashkv(['create', path, '--from', '-'], { input: CSV })).status).toBe(0);
    const value = Uint8Array.from([0, 1, 2, 0xff]);
    expect((await flashkv(['put', path, 'blob', '--file', '-'], { input: value })).status).toBe(0);
    const raw = await flashkv(['get', path, 'blob', '--out', '-']);
    expect([...raw.stdoutBytes]).toEqual([...value]);
    const exported = await flashkv(['export', path, '--out', '-', '--format', 'csv']);
    expect(exported.stdout).toContain('boot/count,data,u32,7');
  });

  it('value files larger than a sector are refused before they are read (/dev/zero ends)', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const zero = await flashkv(['put', path, 'z', '--file', '/dev/zero']);
    expect(zero.status).toBe(2);
    expect(zero.stderr).toContain('larger than 4096 B');
    const piped = await flashkv(['put', path, 'z', '--file', '-'], { input: new Uint8Array(5000) });
    expect(piped.status).toBe(2);
  });

  it('typed values export with their type, from the config create saved or --types', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const csv = (await flashkv(['export', path, '--format', 'csv'])).stdout;
    expect(csv).toContain('boot/count,data,u32,7');
    expect(csv).toContain('raw,data,hex,fffe80');
    const bare = join(dir, 'bare.img');
    writeFileSync(bare, readFileSync(path));
    expect((await flashkv(['export', bare, '--format', 'csv'])).stdout).toContain(
      'boot/count,data,hex,07000000',
    );
    // info --save-config keeps the types of the config it read.
    expect((await flashkv(['info', path, '--save-config'])).status).toBe(0);
    expect((await flashkv(['export', path, '--format', 'csv'])).stdout).toContain(
      'boot/count,data,u32,7',
    );
    const typed = await flashkv(['export', bare, '--types', join(dir, 'keys.csv')]);
    expect(JSON.parse(typed.stdout).entries).toContainEqual({
      key: 'boot/count',
      encoding: 'u32',
      value: '7',
    });
  });

  it('a read-only image is refused; a held lock times out with a clear message', async () => {
    const dir = tempDir();
    const path = await image(dir);
    chmodSync(path, 0o444);
    const readOnly = await flashkv(['put', path, 'a', 'b']);
    expect(readOnly.status).toBe(2);
    expect(readOnly.stderr).toContain('is read-only');
    chmodSync(path, 0o644);
    const release = await lockfile.lock(path, { lockfilePath: `${path}.lock`, realpath: false });
    try {
      const stdout = new PassThrough();
      const stderr: string[] = [];
      const status = await cli(['put', path, 'a', 'b'], {
        stdout,
        stderr: { write: (chunk: string | Uint8Array) => stderr.push(String(chunk)) },
        env: { FLASHKV_LOCK_TIMEOUT_MS: '300' },
      });
      expect(status).toBe(2);
      expect(stderr.join('')).toContain('is being changed by another flashkv');
    } finally {
      await release();
    }
  });

  it('the shell cancels the line on Ctrl-C and takes bytes as hex:', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => stdin });
    const output: string[] = [];
    const stdout = Object.assign(new PassThrough(), { isTTY: false, columns: 80 });
    stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const running = cli(['shell', path], {
      stdin,
      stdout,
      stderr: { write: () => true },
      env: { NO_COLOR: '1', HOME: dir },
    });
    const type = async (text: string): Promise<void> => {
      stdin.write(text);
      await new Promise((resolve) => setTimeout(resolve, 20));
    };
    await type('put cancelled 1');
    await type('\u0003'); // Ctrl-C: the line is dropped
    await type('put bytes hex:00ff\r');
    await type('exit\r');
    expect(await running).toBe(0);
    expect(output.join('')).toContain('^C');
    const listed = keysOf((await flashkv(['ls', path, '--json'])).stdout);
    expect(listed).not.toContain('cancelled');
    expect((await flashkv(['get', path, 'bytes'])).stdout).toBe('hex:00ff\n');
  });
});
