import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../src/scenario/run-scenario.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import { listCases, loadCase } from '../helpers/vectors.js';
import { DETECT_GEOMETRIES, workloadImage } from '../image/_images.js';
import { DEFAULT_IMAGE_CONFIG } from '../../src/image/config.js';
import { COMMANDS, type CliRun, flashkv } from './_cli.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-cli-'));
}

/** Every file in a folder with the hash of its bytes: what "unchanged" means. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    files[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  }
  return files;
}

function json<T>(run: CliRun): T {
  expect(run.stderr).toBe('');
  return JSON.parse(run.stdout) as T;
}

/** One line on stderr naming the problem, exit 2, no stack trace. */
function expectInputError(run: CliRun, mentions: string): void {
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(mentions);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

const CSV = [
  'key,type,encoding,value',
  '# factory provisioning',
  'wifi/ssid,data,string,home network',
  'boot/count,data,u32,7',
  'temp/offset,data,i16,-2',
  'serial,data,u64,0xffffffffffffffff',
  'calib/gain,data,f32,-1.5',
  'calib/ref,data,f64,3.25',
  'mac,data,hex,00:11'.replace(':', ''),
  'token,data,base64,aGVsbG8=',
  'cert,file,binary,cert.der',
  'pubkey,file,hex2bin,key.hex',
  'note,data,string,"with, comma"',
].join('\n');

async function provision(dir: string): Promise<string> {
  writeFileSync(join(dir, 'cert.der'), Uint8Array.from([0x30, 0x82, 0x00, 0xff]));
  writeFileSync(join(dir, 'key.hex'), 'c0ffee\n');
  writeFileSync(join(dir, 'keys.csv'), `${CSV}\n`);
  const image = join(dir, 'factory.img');
  const created = await flashkv(['create', image, '--from', join(dir, 'keys.csv')]);
  expect(created.stderr).toBe('');
  expect(created.status).toBe(0);
  return image;
}

describe('flashkv create / export / ls / get', () => {
  it('encodes every manifest encoding as little-endian bytes', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const listed = json<{ keys: { key: string; value: string; encoding: string }[] }>(
      await flashkv(['ls', image, '--json']),
    ).keys;
    const values = Object.fromEntries(listed.map((row) => [row.key, row.value]));
    expect(values).toEqual({
      'wifi/ssid': 'home network',
      'boot/count': '07000000',
      'temp/offset': 'feff',
      serial: 'ffffffffffffffff',
      'calib/gain': '0000c0bf',
      'calib/ref': '0000000000000a40',
      mac: '0011',
      token: 'hello',
      cert: '308200ff',
      pubkey: 'c0ffee',
      note: 'with, comma',
    });
    // Text in quotes, other bytes as hex:…: the u32 7 and the text "07000000" never look alike.
    expect((await flashkv(['get', image, 'wifi/ssid'])).stdout).toBe('"home network"\n');
    expect((await flashkv(['get', image, 'boot/count'])).stdout).toBe('hex:07000000\n');
    expect((await flashkv(['get', image, 'token', '--hex'])).stdout).toBe('68656c6c6f\n');
    expect((await flashkv(['get', image, 'cert', '--base64'])).stdout).toBe('MIIA/w==\n');
    const out = join(dir, 'cert.out');
    expect((await flashkv(['get', image, 'cert', '--out', out])).status).toBe(0);
    expect([...readFileSync(out)]).toEqual([0x30, 0x82, 0x00, 0xff]);
  });

  it('round trip: export as JSON or CSV and create again gives the same bytes', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    for (const format of ['json', 'csv']) {
      const manifest = join(dir, `exported.${format}`);
      const exported = await flashkv(['export', image, '--format', format, '--out', manifest]);
      expect(exported.status).toBe(0);
      const again = join(dir, `again-${format}.img`);
      const created = await flashkv(['create', again, '--from', manifest]);
      expect(created.stderr).toBe('');
      expect(readFileSync(again)).toEqual(readFileSync(image));
    }
  });

  it('equals, byte for byte, pw_kvs writing the same puts (keys of basic reference cases)', async () => {
    let total = 0;
    let cases = 0;
    for (const id of listCases('basic').slice(0, 10)) {
      const testCase = loadCase(id);
      const scenario = parseScenario(testCase.scenario);
      // The first value each key was given by a put pw_kvs accepted: a provisioning manifest.
      const firstPuts = new Map<string, Uint8Array>();
      scenario.ops.forEach((op, i) => {
        if (op.op !== 'put' || testCase.expected.results[i]!.status !== 'OK') return;
        const key = Buffer.from(op.key).toString('hex');
        if (!firstPuts.has(key)) firstPuts.set(key, op.value);
      });
      // As many as fit comfortably: half the space outside the sector kept empty for GC.
      const room = ((scenario.sectorCount - 1) * scenario.sectorSize) / 2 / scenario.redundancy;
      const entryAlignment = Math.max(16, scenario.alignment);
      let used = 0;
      const puts = [...firstPuts].filter(([key, value]) => {
        const size =
          Math.ceil((16 + key.length / 2 + value.length) / entryAlignment) * entryAlignment;
        if (used + size > room || size > scenario.sectorSize / 2) return false;
        used += size;
        return true;
      });
      if (puts.length < 2) continue; // a case about one value filling the flash
      total += puts.length;
      cases++;
      const dir = tempDir();
      const config = {
        sector_size: scenario.sectorSize,
        sector_count: scenario.sectorCount,
        alignment: scenario.alignment,
        magic: scenario.magic,
        checksum: scenario.checksum,
        redundancy: scenario.redundancy,
        max_entries: scenario.maxEntries,
      };
      const manifest = {
        config,
        entries: puts.map(([key, value]) => ({
          key_hex: key,
          encoding: 'hex',
          value: Buffer.from(value).toString('hex'),
        })),
      };
      writeFileSync(join(dir, 'm.json'), JSON.stringify(manifest));
      const created = await flashkv([
        'create',
        join(dir, 'out.img'),
        '--from',
        join(dir, 'm.json'),
      ]);
      expect(created.stderr, id).toBe('');
      // The scenario runner is pw_kvs byte for byte on all 220 reference cases (test/golden).
      const reference = runScenario({
        ...scenario,
        ops: [
          { op: 'init' },
          ...puts.map(([key, value]) => ({
            op: 'put' as const,
            key: Uint8Array.from(Buffer.from(key, 'hex')),
            value,
          })),
        ],
      });
      expect(
        reference.results.every((result) => result.status === 'OK'),
        id,
      ).toBe(true);
      expect(new Uint8Array(readFileSync(join(dir, 'out.img'))), id).toEqual(reference.image);
    }
    expect(cases).toBeGreaterThanOrEqual(8);
    expect(total).toBeGreaterThanOrEqual(30);
  });

  it('saves the config beside the image, and every command picks it up', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'k.json'), JSON.stringify({ entries: [{ key: 'a', value: 'b' }] }));
    const image = join(dir, 'custom.img');
    const created = await flashkv([
      'create',
      image,
      '--from',
      join(dir, 'k.json'),
      '--sector-size',
      '1024',
      '--sectors',
      '6',
      '--magic',
      '0x4b565331',
      '--checksum',
      'crc32',
    ]);
    expect(created.status).toBe(0);
    expect(JSON.parse(readFileSync(`${image}.json`, 'utf8'))).toMatchObject({
      sector_size: 1024,
      sector_count: 6,
      magic: 0x4b565331,
      checksum: 'crc32',
    });
    expect((await flashkv(['get', image, 'a'])).stdout).toBe('"b"\n');
    expect((await flashkv(['check', image])).status).toBe(0);
  });
});

describe('manifests', () => {
  it.each([
    ['a namespace row', 'key,type,encoding,value\nwifi,namespace,,\n', 'pw_kvs keys are flat'],
    [
      'a key given twice',
      'key,type,encoding,value\na,data,string,1\na,data,string,2\n',
      'line 3: key already given at manifest',
    ],
    [
      'a 64-byte key',
      `key,type,encoding,value\n${'k'.repeat(64)},data,string,v\n`,
      "longer than pw_kvs's 63",
    ],
    ['an odd hex value', 'key,type,encoding,value\na,data,hex,abc\n', 'hex digits in pairs'],
    ['a negative unsigned', 'key,type,encoding,value\na,data,u16,-1\n', '-1 does not fit u16'],
    [
      'a missing file',
      'key,type,encoding,value\na,file,binary,nope.bin\n',
      'cannot read file of manifest',
    ],
    ['no header', 'a,data,string,1\n', "no 'key' column"],
  ])('refuses %s, naming the line', async (_name, csv, mentions) => {
    const dir = tempDir();
    writeFileSync(join(dir, 'm.csv'), csv);
    expectInputError(
      await flashkv(['create', join(dir, 'x.img'), '--from', join(dir, 'm.csv')]),
      mentions,
    );
    expect(readdirSync(dir)).toEqual(['m.csv']);
  });

  it('--namespace-prefixes turns NVS namespace rows into key prefixes', async () => {
    const dir = tempDir();
    const csv =
      'key,type,encoding,value\nwifi,namespace,,\nssid,data,string,home\nboot,namespace,,\ncount,data,u8,3\n';
    writeFileSync(join(dir, 'nvs.csv'), csv);
    const image = join(dir, 'nvs.img');
    const created = await flashkv([
      'create',
      image,
      '--from',
      join(dir, 'nvs.csv'),
      '--namespace-prefixes',
    ]);
    expect(created.status).toBe(0);
    const listed = json<{ keys: { key: string; value: string }[] }>(
      await flashkv(['ls', image, '--json']),
    ).keys;
    expect(listed.map((row) => [row.key, row.value])).toEqual([
      ['wifi/ssid', 'home'],
      ['boot/count', '03'],
    ]);
  });

  it('binary keys round-trip through JSON (key_hex); CSV export refuses them', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'm.json'),
      JSON.stringify({ entries: [{ key_hex: '00ff01', encoding: 'hex', value: '0102' }] }),
    );
    const image = join(dir, 'b.img');
    expect((await flashkv(['create', image, '--from', join(dir, 'm.json')])).status).toBe(0);
    const exported = JSON.parse((await flashkv(['export', image])).stdout) as {
      entries: unknown[];
    };
    expect(exported.entries).toEqual([{ key_hex: '00ff01', encoding: 'hex', value: '0102' }]);
    expect((await flashkv(['get', image, '00ff01', '--key-hex'])).stdout).toBe('hex:0102\n');
    expectInputError(await flashkv(['export', image, '--format', 'csv']), 'export as JSON');
  });

  it('an image too small for the manifest fails and writes nothing', async () => {
    const dir = tempDir();
    const rows = Array.from({ length: 40 }, (_, i) => `k${i},data,hex,${'ab'.repeat(100)}`);
    writeFileSync(join(dir, 'm.csv'), ['key,type,encoding,value', ...rows].join('\n'));
    expectInputError(
      await flashkv([
        'create',
        join(dir, 'x.img'),
        '--from',
        join(dir, 'm.csv'),
        '--sector-size',
        '1024',
        '--sectors',
        '2',
      ]),
      'the image is full',
    );
    expect(readdirSync(dir)).toEqual(['m.csv']);
  });
});

describe('flashkv put / rm', () => {
  it('changes the image as pw_kvs would, atomically, keeping the file mode', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const mode = statSync(image).mode;
    expect((await flashkv(['put', image, 'wifi/ssid', 'office'])).status).toBe(0);
    expect((await flashkv(['put', image, 'blob', '0a0b', '--hex'])).status).toBe(0);
    expect((await flashkv(['rm', image, 'token'])).status).toBe(0);
    expect((await flashkv(['get', image, 'wifi/ssid'])).stdout).toBe('"office"\n');
    expect((await flashkv(['get', image, 'blob'])).stdout).toBe('hex:0a0b\n');
    // A missing key is exit 1 (not found), not a usage error.
    for (const missing of [
      ['get', image, 'token'],
      ['rm', image, 'token'],
    ]) {
      const run = await flashkv(missing);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('not found');
    }
    expect(statSync(image).mode).toBe(mode);
    // No temporary file is left behind.
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses to change an image when pw_kvs would drop entries, unless --force', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const before = snapshot(dir);
    const refused = await flashkv(['put', image, 'x', 'y', '--max-entries', '4']);
    expectInputError(refused, 'more than max_entries 4');
    expect(snapshot(dir)).toEqual(before);
    const foreign = await flashkv(['put', image, 'x', 'y', '--magic', '0x12345678']);
    expectInputError(foreign, 'does not list');
    expect(snapshot(dir)).toEqual(before);
    // With --force, pw_kvs's init drops the surplus keys, as the firmware would.
    const forced = await flashkv(['put', image, 'wifi/ssid', 'y', '--max-entries', '4', '--force']);
    expect(forced.stderr).toContain('more than max_entries 4');
    expect(forced.status).toBe(0);
    const left = json<{ keys: unknown[] }>(
      await flashkv(['ls', image, '--json', '--max-entries', '4']),
    ).keys;
    expect(left).toHaveLength(4);
  });
});

/** An image with one corrupted entry (a flipped value bit). */
async function damaged(dir: string): Promise<string> {
  const image = await provision(dir);
  const dump = json<{ entries: { address: number; key: string }[] }>(
    await flashkv(['dump', image, '--json']),
  );
  const entry = dump.entries.find((e) => e.key === 'boot/count')!;
  const bytes = readFileSync(image);
  const valueAt = entry.address + 16 + 'boot/count'.length;
  bytes[valueAt] = bytes[valueAt]! ^ 0x01;
  writeFileSync(image, bytes);
  return image;
}

describe('changing a damaged image', () => {
  it('put and rm refuse an image with corrupt data, which init would erase, unless --force', async () => {
    const image = await damaged(tempDir());
    const dir = join(image, '..');
    const before = snapshot(dir);
    expectInputError(await flashkv(['put', image, 'a', 'b']), 'corrupt region');
    expectInputError(await flashkv(['rm', image, 'serial']), 'corrupt region');
    expect(snapshot(dir)).toEqual(before);
    expect((await flashkv(['put', image, 'a', 'b', '--force'])).status).toBe(0);
  });

  it('repair refuses a config whose sector size the entries do not fit', async () => {
    const dir = tempDir();
    const image = join(dir, 'busy.img');
    writeFileSync(image, workloadImage(DEFAULT_IMAGE_CONFIG, 5, 2000));
    const before = snapshot(dir);
    expectInputError(
      await flashkv(['repair', image, '--sector-size', '1024']),
      'not the 1024 B of the config',
    );
    expect(snapshot(dir)).toEqual(before);
    expect((await flashkv(['check', image])).status).toBe(0);
  });
});

describe('flashkv check / repair / dump', () => {
  it('check exits 0 on a clean image and 1 on a damaged one', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const clean = await flashkv(['check', image]);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toContain('OK: no problems');
    const bad = await damaged(tempDir());
    const report = await flashkv(['check', bad]);
    expect(report.status).toBe(1);
    expect(report.stdout).toContain('boot/count');
    expect(report.stdout).toContain('CORRUPT');
    expect(report.stdout).toMatch(
      /"boot\/count"\s+checksum does not match \(crc16\)\s+the key is lost/,
    );
    const asJson = await flashkv(['check', bad, '--json']);
    expect(asJson.status).toBe(1);
    const checked = JSON.parse(asJson.stdout) as {
      ok: boolean;
      init_would_rewrite_sectors: number[];
    };
    expect(checked.ok).toBe(false);
    expect(checked.init_would_rewrite_sectors).toContain(1);
  });

  it('check tells what a corrupt entry costs: a key falls back to its older value', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    await flashkv(['put', image, 'wifi/ssid', 'office']);
    const dump = json<{ entries: { address: number; key: string; state: string }[] }>(
      await flashkv(['dump', image, '--json']),
    );
    const newest = dump.entries.find((e) => e.key === 'wifi/ssid' && e.state === 'live')!;
    const bytes = readFileSync(image);
    const valueAt = newest.address + 16 + 'wifi/ssid'.length;
    bytes[valueAt] = bytes[valueAt]! ^ 0x01;
    writeFileSync(image, bytes);
    const report = await flashkv(['check', image]);
    expect(report.status).toBe(1);
    expect(report.stdout).toMatch(
      /"wifi\/ssid"\s+checksum does not match \(crc16\)\s+an older value is used/,
    );
    expect((await flashkv(['get', image, 'wifi/ssid'])).stdout).toBe('"home network"\n');
  });

  it('looking never writes: ls, get, info, check, dump, export leave a damaged image as it was', async () => {
    const image = await damaged(tempDir());
    const dir = join(image, '..');
    const before = snapshot(dir);
    const mtime = statSync(image).mtimeMs;
    for (const args of [['ls'], ['get', 'wifi/ssid'], ['info'], ['check'], ['dump'], ['export']]) {
      const [command, ...rest] = args;
      const run = await flashkv([command!, image, ...rest]);
      expect(run.status, command).toBeLessThanOrEqual(1);
    }
    expect(snapshot(dir)).toEqual(before);
    expect(statSync(image).mtimeMs).toBe(mtime);
  });

  it('repair --dry-run names the lost key and leaves the file; repair refuses, --force fixes it with a backup', async () => {
    const image = await damaged(tempDir());
    const dir = join(image, '..');
    const before = snapshot(dir);
    const dry = await flashkv(['repair', image, '--dry-run']);
    // The repair would lose a key: exit 1, and it says which.
    expect(dry.status).toBe(1);
    expect(dry.stdout).toContain('would change 2 of 4 sectors; keeps 10 of 11 keys');
    expect(dry.stdout).toContain('lost: key "boot/count"');
    expect(dry.stdout).toContain('dry run: nothing written');
    expect(dry.stdout).toContain('repair would refuse this without --force');
    expect(snapshot(dir)).toEqual(before);
    const refused = await flashkv(['repair', image]);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toContain('lost: key "boot/count"');
    expect(refused.stderr).toContain('keeps 10 of the 11 keys the image had; pass --force');
    expect(snapshot(dir)).toEqual(before);
    const repaired = await flashkv(['repair', image, '--force']);
    expect(repaired.status).toBe(0);
    expect(repaired.stdout).toContain(`original kept as`);
    expect(readFileSync(`${image}.bak`)).toEqual(readFileSync(join(dir, 'factory.img.bak')));
    expect(
      createHash('sha256')
        .update(readFileSync(`${image}.bak`))
        .digest('hex'),
    ).toBe(before['factory.img']);
    expect((await flashkv(['check', image])).status).toBe(0);
  });

  it('dump prints the entry log and the sector map', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    await flashkv(['put', image, 'wifi/ssid', 'office']);
    const dump = await flashkv(['dump', image]);
    expect(dump.status).toBe(0);
    const lines = dump.stdout.split('\n');
    expect(lines[0]).toMatch(/^address\s+sector\s+format\s+transaction\s+key\s+value\s+state$/);
    expect(lines[1]).toMatch(/^0x001000\s+1\s+primary\s+1\s+"wifi\/ssid"\s+12 B\s+stale$/);
    expect(dump.stdout).toMatch(/\n1\s+█+·+\s+368\s+48\s+3680\s+0\n/);
    expect(dump.stdout).toContain('█ valid   ▒ stale   · free   × corrupt');
  });
});

describe('flashkv --detect', () => {
  it.each(DETECT_GEOMETRIES.slice(0, 3))(
    'finds the config of a field dump: %s',
    async (_name, config) => {
      const dir = tempDir();
      const image = join(dir, 'dump.bin');
      writeFileSync(image, workloadImage(config, 3, 2000));
      const info = json<{ config: Record<string, unknown> }>(
        await flashkv(['info', image, '--detect', '--json']),
      );
      expect(info.config).toMatchObject({
        sector_size: config.sectorSizeBytes,
        sector_count: config.sectorCount,
        alignment: Math.max(16, config.alignmentBytes),
        magic: config.formats[0]!.magic,
        checksum: config.formats[0]!.checksum,
        redundancy: config.redundancy,
      });
      // --save-config makes it stick for every later command.
      expect((await flashkv(['info', image, '--detect', '--save-config'])).status).toBe(0);
      expect(existsSync(`${image}.json`)).toBe(true);
      expect((await flashkv(['check', image])).status).toBe(0);
    },
  );
});

describe('flashkv shell', () => {
  it('runs piped commands on the image and exits', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const run = await flashkv(['shell', image], {
      input:
        'help\nput greeting hello world\nget greeting\nrm token\nls\nstats\nmap\ngc\nexit\nls\n',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('"hello world"\n');
    expect(run.stdout).toMatch(/"greeting"\s+11\s+"hello world"/);
    expect(run.stdout).not.toMatch(/^"token"/m);
    expect(run.stdout).toMatch(/^put KEY VALUE\s+store VALUE/m);
    expect(run.stdout).toMatch(/^transactions\s+\d+$/m);
    expect(run.stdout).toContain('█ valid   ▒ stale   · free   × corrupt');
    expect(run.stdout).toMatch(/^maintenance done: \d+ sectors? erased$/m);
    // exit ends the session: the ls after it never runs.
    expect(run.stdout.match(/^key\s+size\s+value$/gm)).toHaveLength(1);
    expect((await flashkv(['get', image, 'greeting'])).stdout).toBe('"hello world"\n');
  });

  it('reports a failed command, keeps going, and exits 1', async () => {
    const dir = tempDir();
    const run = await flashkv(['shell'], {
      cwd: dir,
      input: 'frob\nput a 1\nget missing\nget a\n',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'error: unknown command "frob" (try help)\nerror: get: key "missing" not found\n',
    );
    expect(run.stdout).toContain('"1"\n');
    // A bare shell creates ./flashkv.img: 4 sectors of 4 KiB.
    expect(statSync(join(dir, 'flashkv.img')).size).toBe(4 * 4096);
  });
});

describe('bad input: one line, exit 2, nothing changed', () => {
  it.each([
    ['a missing image', (dir: string) => ['ls', join(dir, 'missing.img')], 'does not exist'],
    [
      'a change to a truncated image (it opens read-only)',
      (dir: string) => ['put', join(dir, 'truncated.img'), 'a', 'b', '--sector-size', '4096'],
      'it is truncated',
    ],
    [
      'an offset past the end of the file',
      (dir: string) => ['ls', join(dir, 'factory.img'), '--offset', '0x100000'],
      'past the end',
    ],
    [
      'conflicting flags',
      (dir: string) => ['get', join(dir, 'factory.img'), 'token', '--hex', '--base64'],
      '--hex and --base64 cannot be used together',
    ],
    [
      'a value file larger than a sector',
      (dir: string) => ['put', join(dir, 'factory.img'), 'big', '--file', join(dir, 'big.bin')],
      'larger than 4096 B',
    ],
    [
      'a malformed manifest row',
      (dir: string) => ['create', join(dir, 'new.img'), '--from', join(dir, 'bad.csv')],
      'bad.csv line 3: 300 does not fit u8',
    ],
    [
      'an unknown command',
      () => ['frobnicate'],
      'unknown command "frobnicate" (see flashkv --help)',
    ],
    ['a mistyped command', () => ['chekc'], 'did you mean check?'],
    [
      'an extra argument',
      (dir: string) => ['ls', join(dir, 'factory.img'), join(dir, 'other.img')],
      'unexpected argument',
    ],
    [
      'a mistyped option',
      (dir: string) => ['ls', join(dir, 'factory.img'), '--sector-sise', '1024'],
      'unknown option --sector-sise for flashkv ls',
    ],
    [
      'a bad flag value',
      (dir: string) => ['ls', join(dir, 'factory.img'), '--sectors', 'many'],
      '--sectors: expected a positive integer',
    ],
    [
      'an existing image for create',
      (dir: string) => ['create', join(dir, 'factory.img'), '--from', join(dir, 'keys.csv')],
      'already exists',
    ],
  ])('%s', async (_name, args, mentions) => {
    const dir = tempDir();
    await provision(dir);
    writeFileSync(
      join(dir, 'truncated.img'),
      readFileSync(join(dir, 'factory.img')).subarray(0, 10000),
    );
    writeFileSync(join(dir, 'bad.csv'), 'key,type,encoding,value\na,data,u8,1\nb,data,u8,300\n');
    writeFileSync(join(dir, 'big.bin'), new Uint8Array(4097));
    const before = snapshot(dir);
    expectInputError(await flashkv(args(dir)), mentions);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('flashkv --help', () => {
  it('matches the snapshot, with examples on every command', async () => {
    const top = await flashkv(['--help']);
    expect(top.status).toBe(0);
    expect(top.stdout).toMatchSnapshot();
    // Recorded here: wear's and fleet's help are recorded by their own tests; diff's and
    // inspect's layout is checked for every command in conventions.test.ts.
    const separate = new Set(['diff', 'inspect', 'wear', 'fleet']);
    const commands = COMMANDS.filter((command) => !separate.has(command));
    for (const command of commands) {
      const help = await flashkv([command, '--help']);
      expect(help.status, command).toBe(0);
      expect(help.stdout, command).toContain('Examples:');
      expect(help.stdout, command).toMatchSnapshot(command);
    }
  });
});
