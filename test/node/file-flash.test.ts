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
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FileFlash } from '../../src/node/file-flash.js';
import { KvsError } from '../../src/status.js';

const geometry = { sectorSizeBytes: 512, sectorCount: 4, alignmentBytes: 16 };
const folder = (): string => mkdtempSync(join(tmpdir(), 'flashkv-file-'));
const code = (call: () => unknown): string | undefined => {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(KvsError);
    return (error as KvsError).code;
  }
  return undefined;
};

describe('FileFlash', () => {
  it('round-trips a store through an image file', () => {
    const path = join(folder(), 'kvs.img');
    const flash = FileFlash.open(path, geometry, { create: true });
    expect(existsSync(path)).toBe(false); // nothing written before save
    const kvs = new KeyValueStore(new FlashPartition(flash));
    kvs.init();
    kvs.put('serial', 'SN-0042');
    flash.save();
    expect(statSync(path).size).toBe(2048);
    const reopened = new KeyValueStore(new FlashPartition(FileFlash.open(path, geometry)));
    reopened.init();
    expect(new TextDecoder().decode(reopened.get('serial'))).toBe('SN-0042');
    expect(readdirSync(join(path, '..'))).toEqual(['kvs.img']); // no temporary left
  });

  it('never touches the file without save', () => {
    const path = join(folder(), 'kvs.img');
    writeFileSync(path, new Uint8Array(2048).fill(0xff));
    const before = readFileSync(path);
    const kvs = new KeyValueStore(new FlashPartition(FileFlash.open(path, geometry)));
    kvs.init();
    kvs.put('k', 'v');
    expect(readFileSync(path)).toEqual(before);
  });

  it('reads a truncated dump as erased past its end', () => {
    const path = join(folder(), 'short.img');
    writeFileSync(path, new Uint8Array(512).fill(0xff));
    const flash = FileFlash.open(path, geometry);
    const out = new Uint8Array(4);
    expect(flash.read(1536, out).status).toBe('OK');
    expect(Array.from(out)).toEqual([255, 255, 255, 255]);
  });

  it('refuses missing, oversized and ragged files with a code', () => {
    const dir = folder();
    expect(code(() => FileFlash.open(join(dir, 'missing.img'), geometry))).toBe('NOT_FOUND');
    writeFileSync(join(dir, 'big.img'), new Uint8Array(4096));
    expect(code(() => FileFlash.open(join(dir, 'big.img'), geometry))).toBe('INVALID_ARGUMENT');
    writeFileSync(join(dir, 'ragged.img'), new Uint8Array(700));
    expect(code(() => FileFlash.open(join(dir, 'ragged.img'), geometry))).toBe('INVALID_ARGUMENT');
    expect(
      code(() =>
        FileFlash.open(join(dir, 'x.img'), { ...geometry, alignmentBytes: 3 }, { create: true }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });
});
