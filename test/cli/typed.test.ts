// Typed values end to end: `put --type`, a key's saved value type, --hex's strictness, export
// keeping the type, and manifests that are not UTF-8. Every run is the CLI on real files.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VALUE_ENCODINGS } from '../../src/image/value-types.js';
import { type CliRun, flashkv } from './_cli.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-typed-'));
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

function ok(run: CliRun): CliRun {
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return run;
}

/** An image made from a manifest with a u32 and an untyped key, its config beside it. */
async function provision(dir: string): Promise<string> {
  writeFileSync(
    join(dir, 'keys.csv'),
    'key,type,encoding,value\nboot/count,data,u32,7\nwifi/ssid,data,string,home\n',
  );
  const image = join(dir, 'device.img');
  ok(await flashkv(['create', image, '--from', join(dir, 'keys.csv')]));
  return image;
}

async function valueHex(image: string, key: string): Promise<string> {
  return ok(await flashkv(['get', image, key, '--hex'])).stdout.trim();
}

function savedTypes(configFile: string): unknown {
  return (JSON.parse(readFileSync(configFile, 'utf8')) as { value_types?: unknown }).value_types;
}

/** Sample values for each encoding, as a manifest row and `put --type` take them. */
const SAMPLES: Record<(typeof VALUE_ENCODINGS)[number], readonly string[]> = {
  string: ['home network', 'ünïcode ✓'],
  hex: ['00', 'c0ffee'],
  u8: ['0', '255', '0x7f'],
  u16: ['65535', '258'],
  u32: ['7', '4294967295'],
  u64: ['18446744073709551615', '0xffffffffffffffff'],
  i8: ['-128', '127'],
  i16: ['-2', '32767'],
  i32: ['-2147483648', '12345'],
  i64: ['-9223372036854775808', '-1'],
  f32: ['-1.5', '3.25'],
  f64: ['3.25', '-0'],
};

describe('flashkv put --type', () => {
  it('encodes every type exactly as a manifest row of that encoding does', async () => {
    const dir = tempDir();
    const rows: string[] = ['key,type,encoding,value'];
    const puts: string[][] = [];
    let n = 0;
    for (const encoding of VALUE_ENCODINGS) {
      for (const value of SAMPLES[encoding]) {
        const key = `k${n++}`;
        rows.push(`${key},data,${encoding},${value}`);
        puts.push([key, value, encoding]);
      }
    }
    writeFileSync(join(dir, 'all.csv'), `${rows.join('\n')}\n`);
    const fromManifest = join(dir, 'manifest.img');
    ok(await flashkv(['create', fromManifest, '--from', join(dir, 'all.csv')]));
    const byPut = join(dir, 'put.img');
    writeFileSync(join(dir, 'empty.csv'), 'key,type,encoding,value\n');
    ok(await flashkv(['create', byPut, '--from', join(dir, 'empty.csv')]));
    for (const [key, value, encoding] of puts) {
      ok(await flashkv(['put', byPut, key!, '--type', encoding!, '--', value!]));
    }
    // The same puts in the same order: the same bytes on flash, and the same saved types.
    expect(readFileSync(byPut)).toEqual(readFileSync(fromManifest));
    expect(savedTypes(`${byPut}.json`)).toEqual(savedTypes(`${fromManifest}.json`));
  });

  it('without --type, a key with a saved type takes a number of that type or is refused', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const before = snapshot(dir);
    // -5 does not fit the u32 key: refused (an input error), nothing written.
    const refused = await flashkv(['put', image, 'boot/count', '--', '-5']);
    expect(refused.status).toBe(2);
    expect(refused.stdout).toBe('');
    expect(snapshot(dir)).toEqual(before);
    for (const text of ['seven', '4294967296', '1.5']) {
      expect((await flashkv(['put', image, 'boot/count', text])).status).toBe(2);
    }
    expect(snapshot(dir)).toEqual(before);
    // A number that fits is stored as the u32, little-endian; the type stays.
    ok(await flashkv(['put', image, 'boot/count', '9']));
    expect(await valueHex(image, 'boot/count')).toBe('09000000');
    expect(savedTypes(`${image}.json`)).toEqual({ 'boot/count': 'u32' });
    // An untyped key takes text.
    ok(await flashkv(['put', image, 'wifi/ssid', '--', '-5']));
    expect(await valueHex(image, 'wifi/ssid')).toBe(Buffer.from('-5').toString('hex'));
  });

  it('--hex takes digits in pairs only, and raw bytes must be the saved type size', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const before = snapshot(dir);
    for (const hex of ['0x01', '0X0100', '010', 'zz', '0x']) {
      const run = await flashkv(['put', image, 'blob', hex, '--hex']);
      expect(run.status, hex).toBe(2);
    }
    // The u32 key's bytes must be 4 of them.
    expect((await flashkv(['put', image, 'boot/count', '0900', '--hex'])).status).toBe(2);
    expect(snapshot(dir)).toEqual(before);
    ok(await flashkv(['put', image, 'boot/count', '0a000000', '--hex']));
    expect(await valueHex(image, 'boot/count')).toBe('0a000000');
    expect(savedTypes(`${image}.json`)).toEqual({ 'boot/count': 'u32' });
    ok(await flashkv(['put', image, 'blob', '01', '--hex']));
    expect(await valueHex(image, 'blob')).toBe('01');
  });

  it('records, changes and drops the type in IMAGE.json, and export keeps it', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    ok(await flashkv(['put', image, 'temp/offset', '--type', 'i16', '--', '-2']));
    ok(await flashkv(['put', image, 'wifi/ssid', '--type', 'string', 'office']));
    expect(savedTypes(`${image}.json`)).toEqual({ 'boot/count': 'u32', 'temp/offset': 'i16' });
    const csv = ok(await flashkv(['export', image, '--format', 'csv'])).stdout;
    expect(csv.trim().split('\n').sort()).toEqual(
      [
        'boot/count,data,u32,7',
        'key,type,encoding,value',
        'temp/offset,data,i16,-2',
        'wifi/ssid,data,string,office',
      ].sort(),
    );
    const exported = JSON.parse(ok(await flashkv(['export', image])).stdout) as {
      entries: { key: string; encoding: string; value: string }[];
    };
    expect(exported.entries.find((row) => row.key === 'boot/count')).toMatchObject({
      encoding: 'u32',
      value: '7',
    });
    // The exported manifest makes the same image and the same types again.
    writeFileSync(join(dir, 'again.csv'), csv);
    const again = join(dir, 'again.img');
    ok(await flashkv(['create', again, '--from', join(dir, 'again.csv')]));
    expect(savedTypes(`${again}.json`)).toEqual(savedTypes(`${image}.json`));
    // --type string turns the u32 key into text; its type is dropped, and text is accepted.
    ok(await flashkv(['put', image, 'boot/count', '--type', 'string', 'many']));
    expect(savedTypes(`${image}.json`)).toEqual({ 'temp/offset': 'i16' });
    ok(await flashkv(['put', image, 'boot/count', 'lots']));
    expect(await valueHex(image, 'boot/count')).toBe(Buffer.from('lots').toString('hex'));
    // The same type again writes no config file: its bytes stay.
    const config = readFileSync(`${image}.json`);
    ok(await flashkv(['put', image, 'temp/offset', '--type', 'i16', '5']));
    expect(readFileSync(`${image}.json`)).toEqual(config);
  });

  it('makes IMAGE.json from the config used for an image that had none', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const bare = join(dir, 'bare.bin');
    writeFileSync(bare, readFileSync(image));
    ok(await flashkv(['put', bare, 'boot/count', '--type', 'u32', '8']));
    const made = JSON.parse(readFileSync(`${bare}.json`, 'utf8')) as Record<string, unknown>;
    expect(made.value_types).toEqual({ 'boot/count': 'u32' });
    expect(made.sector_size).toBe(4096);
    const csv = ok(await flashkv(['export', bare, '--format', 'csv'])).stdout;
    expect(csv).toContain('boot/count,data,u32,8');
  });

  it('never writes a --config file kept elsewhere: the put is saved, the type is not', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    const shared = join(dir, 'shared.json');
    writeFileSync(shared, readFileSync(`${image}.json`));
    const bare = join(dir, 'bare.bin');
    writeFileSync(bare, readFileSync(image));
    const run = await flashkv(['put', bare, 'level', '--type', 'u8', '3', '--config', shared]);
    expect(run.status).toBe(0);
    expect(run.stderr).not.toBe('');
    expect(readFileSync(shared)).toEqual(readFileSync(`${image}.json`));
    expect(existsSync(`${bare}.json`)).toBe(false);
    expect(await valueHex(bare, 'level')).toBe('03');
  });

  it('refuses an unknown type and --type with --hex or --file', async () => {
    const dir = tempDir();
    const image = await provision(dir);
    writeFileSync(join(dir, 'v.bin'), Uint8Array.from([1]));
    const before = snapshot(dir);
    for (const args of [
      ['--type', 'u12', '5'],
      ['--type', 'u8', '05', '--hex'],
      ['--type', 'u8', '--file', join(dir, 'v.bin')],
    ]) {
      expect((await flashkv(['put', image, 'level', ...args])).status, args.join(' ')).toBe(2);
    }
    expect(snapshot(dir)).toEqual(before);
    // "text" is the inspector's name for string.
    ok(await flashkv(['put', image, 'level', '--type', 'text', '05']));
    expect(await valueHex(image, 'level')).toBe('3035');
  });
});

describe('manifests that are not UTF-8', () => {
  it('fail naming the line, and nothing is created', async () => {
    const dir = tempDir();
    for (const [name, lines] of [
      ['bad.csv', ['key,type,encoding,value', 'a,data,string,ok', 'b,data,string,\xff\xfe']],
      [
        'bad.json',
        ['{"entries": [', '{"key": "a", "value": "ok"},', '{"key": "b", "value": "\xff"}]}'],
      ],
    ] as const) {
      const bytes = Buffer.concat(
        lines.map((line) => Buffer.concat([Buffer.from(line, 'latin1'), Buffer.from('\n')])),
      );
      writeFileSync(join(dir, name), bytes);
      const image = join(dir, `${name}.img`);
      const run = await flashkv(['create', image, '--from', join(dir, name)]);
      expect(run.status, name).toBe(2);
      expect(run.stderr, name).toContain('line 3');
      expect(existsSync(image), name).toBe(false);
    }
    // The same bytes as a hex row are fine.
    writeFileSync(join(dir, 'hex.csv'), 'key,type,encoding,value\nb,data,hex,fffe\n');
    ok(await flashkv(['create', join(dir, 'hex.img'), '--from', join(dir, 'hex.csv')]));
    expect(await valueHex(join(dir, 'hex.img'), 'b')).toBe('fffe');
  });
});
