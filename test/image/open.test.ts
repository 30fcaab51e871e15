import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_CONFIG, type ImageConfig } from '../../src/image/config.js';
import { checkImage, sectorLabel } from '../../src/image/check.js';
import { diffImages } from '../../src/image/diff.js';
import {
  differingSectors,
  openImageBytes,
  refuseDataLoss,
  repairImage,
  storeOn,
} from '../../src/image/open.js';
import { diffJson, valueJson } from '../../src/image/report.js';
import { utf8Encode } from '../../src/utf8.js';
import { fcOptions } from '../helpers/fc.js';

const CONFIG: ImageConfig = { ...DEFAULT_IMAGE_CONFIG, sectorCount: 4 };

/** An image holding `values`, written by the store. */
function imageOf(values: Record<string, string>): Uint8Array {
  const { flash, store } = storeOn(CONFIG);
  store.init();
  for (const [key, value] of Object.entries(values)) store.put(key, value);
  return flash.bytes.slice();
}

describe('the image layer', () => {
  it('opens bytes without changing them, and a clean image checks ok', () => {
    const bytes = imageOf({ a: '1', b: '2' });
    const copy = bytes.slice();
    const image = openImageBytes(bytes, CONFIG);
    expect(image.initStatus).toBe('OK');
    expect(image.scan.liveKeys).toBe(2);
    expect(checkImage(image)).toEqual({ ok: true, problems: [], initChanges: [] });
    expect(bytes).toEqual(copy);
    expect(refuseDataLoss(bytes, CONFIG, image.scan)).toBeUndefined();
    // One store, made once, on its own copy.
    expect(image.store).toBe(image.store);
    expect(image.flash).toBe(image.flash);
    expect(image.flash.bytes).not.toBe(bytes);
    expect(image.store.get('a')).toEqual(utf8Encode('1'));
  });

  it('reuses a scan it is given, and opens the store on the bytes as given', () => {
    const bytes = imageOf({ a: '1' });
    const scan = openImageBytes(bytes, CONFIG).scan;
    const image = openImageBytes(bytes, CONFIG, { scan });
    expect(image.scan).toBe(scan);
    expect([...image.store.items()].map((item) => item.keyText)).toEqual(['a']);
  });

  it('a flipped value byte is corrupt data: refused for a put, allowed for a repair', () => {
    const bytes = imageOf({ wifi: 'home' });
    bytes[4100 + 16] = bytes[4100 + 16]! ^ 0x01; // first entry's value, in sector 1 where pw_kvs starts
    const image = openImageBytes(bytes, CONFIG);
    const verdict = checkImage(image);
    expect(verdict.ok).toBe(false);
    expect(verdict.problems.map((problem) => problem.kind)).toContain('corrupt_data');
    expect(refuseDataLoss(bytes, CONFIG, image.scan)?.why).toMatch(/corrupt region/);
    expect(refuseDataLoss(bytes, CONFIG, image.scan, { isRepair: true })).toBeUndefined();
    expect(sectorLabel(image.scan.sectors[1]!, CONFIG.sectorSizeBytes)).toBe('CORRUPT');
    // A repair works on the copy: it says what it changes and costs, and the bytes stay.
    const before = bytes.slice();
    const repair = repairImage(image);
    expect(repair.effect.lostKeys.map((key) => new TextDecoder().decode(key))).toEqual(['wifi']);
    expect(repair.effect.losesData).toBe(true);
    expect(repair.changedSectors.length).toBeGreaterThan(0);
    expect(bytes).toEqual(before);
  });

  it('diffImages names keys added, removed and changed, and the sectors that differ', () => {
    const a = openImageBytes(imageOf({ same: 'x', gone: 'y', edit: 'old' }), CONFIG);
    const b = openImageBytes(imageOf({ same: 'x', edit: 'new', fresh: 'z' }), CONFIG);
    const diff = diffImages(a, b);
    const text = (key: Uint8Array): string => new TextDecoder().decode(key);
    expect(diff.added.map((item) => text(item.key))).toEqual(['fresh']);
    expect(diff.removed.map((item) => text(item.key))).toEqual(['gone']);
    expect(diff.changed.map((item) => [text(item.key), item.before, item.after])).toEqual([
      ['edit', utf8Encode('old'), utf8Encode('new')],
    ]);
    expect(diff.unchangedKeys).toBe(1);
    expect(diff.changedSectors).toEqual(differingSectors(a.original, b.original, 4096));
    expect(diff.changedSectors).toEqual([1]);
    expect(diffJson(diff).changed).toEqual([
      {
        key: 'edit',
        key_hex: '65646974',
        before: valueJson(utf8Encode('old')),
        after: valueJson(utf8Encode('new')),
      },
    ]);
    const same = diffImages(a, a);
    expect([same.added, same.removed, same.changed, same.changedSectors]).toEqual([[], [], [], []]);
  });

  it('values show as text when printable, else hex', () => {
    expect(valueJson(utf8Encode('hi'))).toMatchObject({ encoding: 'string', value: 'hi' });
    expect(valueJson(new Uint8Array([7, 0]))).toMatchObject({ encoding: 'hex', value: '0700' });
  });
});

describe('differingSectors', () => {
  /** The definition: sectors where any byte differs (a missing byte differs from any). */
  function reference(before: Uint8Array, after: Uint8Array, sectorSizeBytes: number): number[] {
    const changed: number[] = [];
    const length = Math.max(before.length, after.length);
    for (let start = 0; start < length; start += sectorSizeBytes) {
      const end = Math.min(start + sectorSizeBytes, length);
      for (let i = start; i < end; i++) {
        if (before[i] !== after[i]) {
          changed.push(start / sectorSizeBytes);
          break;
        }
      }
    }
    return changed;
  }

  it('names the sectors with a differing byte, word-aligned or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(16, 64, 100),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.nat(), { maxLength: 5 }),
        fc.constantFrom(0, 1, 4),
        fc.integer({ min: -1, max: 1 }),
        (sectorSizeBytes, sectors, flips, offset, extra) => {
          const size = sectorSizeBytes * sectors;
          const before = new Uint8Array(size + 8).fill(0xff).subarray(offset, offset + size);
          const after = new Uint8Array(size + extra + 8)
            .fill(0xff)
            .subarray(offset, offset + size + extra);
          for (const flip of flips) after[flip % after.length]! ^= 1 << (flip % 8);
          expect(differingSectors(before, after, sectorSizeBytes)).toEqual(
            reference(before, after, sectorSizeBytes),
          );
        },
      ),
      fcOptions(500),
    );
  });
});
