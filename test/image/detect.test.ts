import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_CONFIG, type ImageConfig } from '../../src/image/config.js';
import { detectImageConfig } from '../../src/image/detect.js';
import { KvsError } from '../../src/status.js';
import { fcOptions } from '../helpers/fc.js';
import { listCases, loadCase } from '../helpers/vectors.js';
import { DETECT_GEOMETRIES, caseConfig, openStore, workloadImage } from './_images.js';

/** What a config writes: 'ignore' and 'none' both write zero checksums. */
function writes(config: ImageConfig): unknown {
  return {
    sectorSizeBytes: config.sectorSizeBytes,
    sectorCount: config.sectorCount,
    entryAlignment: Math.max(16, config.alignmentBytes),
    formats: config.formats.map((f) => ({
      magic: f.magic,
      checksum: f.checksum === 'ignore' ? 'none' : f.checksum,
    })),
    redundancy: config.redundancy,
  };
}

describe('detectImageConfig', () => {
  it.each(DETECT_GEOMETRIES)('finds the config of a well-used image: %s', (_name, config) => {
    const image = workloadImage(config, 7, 2000);
    const detected = detectImageConfig(image);
    expect(writes(detected.config)).toEqual(writes(config));
    expect(detected.otherSectorSizes).toEqual([]);
    expect(detected.inconsistentSectors).toBe(0);
  });

  it('on the reference images: formats and alignment always right, the sector size whenever it is certain', () => {
    let right = 0;
    for (const id of listCases()) {
      const testCase = loadCase(id);
      const expected = writes(caseConfig(testCase)) as ReturnType<typeof writes> &
        Record<string, unknown>;
      const detected = detectImageConfig(testCase.imageOut);
      const got = writes(detected.config) as Record<string, unknown>;
      // With several formats, which one is primary is a guess (the newest entry's); the set is not.
      const sortFormats = (formats: unknown): unknown =>
        [...(formats as { magic: number }[])].sort((a, b) => a.magic - b.magic);
      const present = new Set((got.formats as { magic: number }[]).map((f) => f.magic));
      expect(sortFormats(got.formats), id).toEqual(
        sortFormats((expected.formats as { magic: number }[]).filter((f) => present.has(f.magic))),
      );
      expect(got.entryAlignment, id).toBe(expected.entryAlignment);
      if (detected.otherSectorSizes.length === 0)
        expect(got.sectorSizeBytes, id).toBe(expected.sectorSizeBytes);
      const primary = (formats: unknown): unknown => (formats as unknown[])[0];
      if (
        got.sectorSizeBytes === expected.sectorSizeBytes &&
        got.sectorCount === expected.sectorCount &&
        got.redundancy === expected.redundancy &&
        JSON.stringify(primary(got.formats)) === JSON.stringify(primary(expected.formats))
      ) {
        right++;
      }
    }
    // Measured: 194 of 220 exactly right; the rest are too sparse to pin the sector size down.
    expect(right).toBeGreaterThanOrEqual(190);
  });

  it('an erased image has nothing to detect from: NOT_FOUND', () => {
    expect(() => detectImageConfig(new Uint8Array(4096).fill(0xff))).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it('random bytes give a config or a KvsError, never anything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 4096 }), (bytes) => {
        try {
          detectImageConfig(bytes);
        } catch (error) {
          expect(KvsError.is(error)).toBe(true);
        }
      }),
      fcOptions(200),
    );
  });
});

describe('detectImageConfig on a large dump', () => {
  it('detects an image of more entries than a function call takes arguments (150 000)', () => {
    // One key given a new value 150 000 times: 32-byte entries, none garbage collected, every
    // one a valid entry of the magic.
    const config: ImageConfig = {
      ...DEFAULT_IMAGE_CONFIG,
      sectorSizeBytes: 4096,
      sectorCount: 1200,
      maxEntries: 4,
    };
    const { flash, store } = openStore(config);
    const value = new Uint8Array(4);
    const view = new DataView(value.buffer);
    for (let i = 0; i < 150_000; i++) {
      view.setUint32(0, i, true);
      store.put('k', value);
    }
    expect(flash.counters.eraseCalls).toBe(0);
    const detected = detectImageConfig(flash.bytes);
    expect(detected.config.formats).toEqual(config.formats);
    expect(detected.config.sectorSizeBytes * detected.config.sectorCount).toBe(4096 * 1200);
  });
});
