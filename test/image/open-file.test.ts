import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_CONFIG } from '../../src/image/config.js';
import { checkImage } from '../../src/image/check.js';
import { openImageFile, resolveImageConfig } from '../../src/image/open-file.js';
import { storeOn } from '../../src/image/open.js';
import { KvsError } from '../../src/status.js';

/** A 4 × 4 KiB image holding two keys. */
function imageBytes(): Uint8Array {
  const { flash, store } = storeOn(DEFAULT_IMAGE_CONFIG);
  store.init();
  store.put('a', '1');
  store.put('b', '2');
  return flash.bytes.slice();
}

function code(call: () => unknown): string | undefined {
  try {
    call();
  } catch (error) {
    if (KvsError.is(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('openImageFile', () => {
  it('a whole image opens with no warnings, problems or refusal', () => {
    const opened = openImageFile(imageBytes(), { purpose: 'change' });
    expect([opened.warnings, opened.fileProblems, opened.refusal]).toEqual([[], [], undefined]);
    expect(opened.store.size).toBe(2);
    expect(opened.resolved.source).toBe('defaults');
  });

  it('a short file is truncated: a problem with the bytes missing, refused for a change', () => {
    const short = imageBytes().subarray(0, 10_000);
    const looked = openImageFile(short, { name: 'short.img' });
    expect(looked.truncatedBytes).toBe(12_288 - 10_000);
    expect(looked.fileProblems).toEqual([
      expect.objectContaining({ kind: 'truncated', missingBytes: 2288 }),
    ]);
    expect(looked.warnings[0]).toMatch(/^short\.img: /);
    const verdict = checkImage(looked);
    expect([verdict.ok, verdict.problems[0]]).toEqual([
      false,
      expect.objectContaining({ kind: 'truncated', missing_bytes: 2288 }),
    ]);
    // --force does not make a truncated file writable.
    const changing = openImageFile(short, { purpose: 'change', force: true });
    expect(changing.refusal).toMatchObject({ forceable: false });
  });

  it('--offset / --size pick the partition; bytes around it stay in the file', () => {
    const image = imageBytes();
    const file = new Uint8Array(image.length + 0x2000).fill(0x5a);
    file.set(image, 0x1000);
    const opened = openImageFile(file, {
      flags: { offset: '0x1000', size: String(image.length) },
    });
    expect(opened.window).toEqual({ offset: 0x1000, sizeBytes: image.length });
    expect(opened.trailingBytes).toBe(0x1000);
    expect(opened.store.size).toBe(2);
    expect(code(() => openImageFile(file, { flags: { size: '0' } }))).toBe('INVALID_ARGUMENT');
    expect(code(() => openImageFile(file, { flags: { offset: '0x100000' } }))).toBe('OUT_OF_RANGE');
  });

  it('corrupt data is refused for a change unless forced; looking refuses nothing', () => {
    const image = imageBytes();
    image[20] = image[20]! ^ 0xff; // inside the first entry
    expect(openImageFile(image, { purpose: 'change' }).refusal).toMatchObject({ forceable: true });
    expect(openImageFile(image, { purpose: 'change', force: true }).refusal).toBeUndefined();
    expect(openImageFile(image).refusal).toBeUndefined(); // looking refuses nothing
  });

  it('a config file gives the fields and value types; detection ignores it', () => {
    const json = { sector_count: 4, value_types: { a: 'u32', 'hex:62': 'u8' } };
    const resolved = resolveImageConfig(imageBytes(), { configFile: { json, name: 'c.json' } });
    expect(resolved.source).toBe('file');
    expect([...(resolved.valueTypes ?? [])]).toEqual([
      ['61', 'u32'],
      ['62', 'u8'],
    ]);
    const detected = resolveImageConfig(imageBytes(), {
      detect: true,
      configFile: { json: { bogus: 1 }, name: 'c.json' },
    });
    expect(detected.source).toBe('detected');
    const bad = { json: { value_types: { a: 'u7' } }, name: 'c.json' };
    expect(code(() => resolveImageConfig(undefined, { configFile: bad }))).toBe('INVALID_ARGUMENT');
  });

  it("detect 'or-defaults' falls back to the defaults sized to the file", () => {
    const erased = new Uint8Array(3 * 4096).fill(0xff);
    expect(code(() => resolveImageConfig(erased, { detect: true }))).toBe('INVALID_ARGUMENT');
    const resolved = resolveImageConfig(erased, { detect: 'or-defaults' });
    expect([resolved.source, resolved.config.sectorCount]).toEqual(['defaults', 3]);
  });
});

describe('geometry that asks for more than the file, or than 1 GiB', () => {
  it('--sectors past the end of the file is OUT_OF_RANGE, decided before anything is allocated', () => {
    const image = imageBytes();
    expect(code(() => openImageFile(image, { flags: { sectors: '99999999' } }))).toBe(
      'OUT_OF_RANGE',
    );
    expect(code(() => openImageFile(image, { flags: { sectors: '5' } }))).toBe('OUT_OF_RANGE');
    // As many sectors as the file holds, or fewer (the rest is trailing bytes), still open.
    expect(openImageFile(image, { flags: { sectors: '4' } }).config.sectorCount).toBe(4);
    expect(openImageFile(image, { flags: { sectors: '3' } }).trailingBytes).toBe(4096);
  });

  it('--size past the end of the file is OUT_OF_RANGE', () => {
    const image = imageBytes();
    expect(code(() => openImageFile(image, { flags: { size: '0x7fffffff' } }))).toBe(
      'OUT_OF_RANGE',
    );
    expect(code(() => openImageFile(image, { flags: { offset: '0x1000', size: '0x4000' } }))).toBe(
      'OUT_OF_RANGE',
    );
    expect(openImageFile(image, { flags: { size: '0x4000' } }).window.sizeBytes).toBe(0x4000);
  });

  it('a config file past 1 GiB is INVALID_ARGUMENT; one past the file is a truncated dump', () => {
    const image = imageBytes();
    const configFile = (sectorCount: number) => ({
      json: { sector_size: 4096, sector_count: sectorCount },
      name: 'x.json',
    });
    expect(code(() => openImageFile(image, { configFile: configFile(99_999_999) }))).toBe(
      'INVALID_ARGUMENT',
    );
    // 2^18 sectors of 4 KiB are 1 GiB and one sector more.
    expect(code(() => openImageFile(image, { configFile: configFile(2 ** 18 + 1) }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(openImageFile(image, { configFile: configFile(6) }).truncatedBytes).toBe(8192);
  });

  it('an image not made yet is capped at 1 GiB too', () => {
    expect(code(() => resolveImageConfig(undefined, { flags: { sectors: '99999999' } }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      resolveImageConfig(undefined, { flags: { sectors: String(2 ** 18) } }).config.sectorCount,
    ).toBe(2 ** 18);
  });
});
