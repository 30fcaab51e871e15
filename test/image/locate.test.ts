import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectImageConfig } from '../../src/image/detect.js';
import { locatePartitions } from '../../src/image/locate.js';
import { scanImage } from '../../src/image/scan.js';
import { listCases, loadCase } from '../helpers/vectors.js';
import { caseConfig } from './_images.js';

// Chip dumps built from the images the real pw_kvs wrote (test/fixtures/vectors), placed at
// random offsets, sector-aligned or not, among random and erased bytes: locate must find each
// at its offset, with its size and sector size.

interface Reference {
  readonly id: string;
  readonly image: Uint8Array;
  readonly sectorSizeBytes: number;
  readonly liveKeys: number;
  /** Offsets (in the image) of its valid entries. */
  readonly entries: readonly number[];
}

/**
 * The reference images locate can be held to exactly: two or more valid entries, none corrupt,
 * and detection on the image alone finds its true sector size (where it cannot, nothing in a
 * chip dump could).
 */
const REFERENCES: Reference[] = listCases().flatMap((id) => {
  const testCase = loadCase(id);
  const config = caseConfig(testCase);
  const image = testCase.imageOut;
  if (image.length !== config.sectorSizeBytes * config.sectorCount) return [];
  const scan = scanImage(image, config);
  const valid = scan.entries.filter((entry) => entry.state !== 'corrupt');
  if (valid.length < 2 || scan.entryCounts.corrupt > 0) return [];
  try {
    if (detectImageConfig(image).config.sectorSizeBytes !== config.sectorSizeBytes) return [];
  } catch {
    return [];
  }
  return [
    {
      id,
      image,
      sectorSizeBytes: config.sectorSizeBytes,
      liveKeys: scan.liveKeys,
      entries: valid.map((entry) => entry.address),
    },
  ];
});

/** Random bytes, or erased ones, of a given length. */
const chunk = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 6000 }),
  fc.integer({ min: 1, max: 20_000 }).map((length) => new Uint8Array(length).fill(0xff)),
);

/** Random bytes whose byte next to the partition is not erased: the partition's edge is sure. */
const edge = (side: 'before' | 'after') =>
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => {
    const at = side === 'before' ? bytes.length - 1 : 0;
    if (bytes[at] === 0xff) bytes[at] = 0x5a;
    return bytes;
  });

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** `before` padded so that the partition starts on its sector grid, or not, as `aligned`. */
function placed(before: Uint8Array, sectorSizeBytes: number, aligned: boolean): Uint8Array {
  if (!aligned) return before;
  const pad = (sectorSizeBytes - (before.length % sectorSizeBytes)) % sectorSizeBytes;
  // The padding goes before the edge bytes: the byte next to the partition stays not erased.
  const fill = new Uint8Array(pad).map((_, i) => (i * 37 + 11) & 0x7f);
  return concat([fill, before]);
}

const reference = fc.constantFrom(...REFERENCES);

describe('locatePartitions on chip dumps of reference images', () => {
  it('has reference images to place', () => {
    expect(REFERENCES.length).toBeGreaterThan(50);
  });

  it('finds a partition bounded by other data at its offset, size and sector size', () => {
    fc.assert(
      fc.property(
        reference,
        fc.array(chunk, { maxLength: 4 }),
        edge('before'),
        edge('after'),
        fc.array(chunk, { maxLength: 4 }),
        fc.boolean(),
        (ref, prefix, before, after, suffix, aligned) => {
          const head = placed(concat([...prefix, before]), ref.sectorSizeBytes, aligned);
          const chip = concat([head, ref.image, after, ...suffix]);
          const found = locatePartitions(chip);
          expect(found.map((p) => [p.offset, p.sizeBytes, p.config.sectorSizeBytes])).toEqual([
            [head.length, ref.image.length, ref.sectorSizeBytes],
          ]);
          expect(found[0]!.liveKeys).toBe(ref.liveKeys);
          expect(found[0]!.confidence).toBe('high');
        },
      ),
      { numRuns: 60, seed: 19 },
    );
  });

  it('finds a partition at the start or the end of the chip', () => {
    fc.assert(
      fc.property(reference, edge('after'), fc.boolean(), (ref, other, atStart) => {
        const chip = atStart
          ? concat([ref.image, other])
          : concat([placed(other.reverse(), ref.sectorSizeBytes, true), ref.image]);
        const offset = atStart ? 0 : chip.length - ref.image.length;
        const found = locatePartitions(chip);
        expect(found.map((p) => [p.offset, p.sizeBytes, p.config.sectorSizeBytes])).toEqual([
          [offset, ref.image.length, ref.sectorSizeBytes],
        ]);
      }),
      { numRuns: 30, seed: 7 },
    );
  });

  it('next to erased flash: one partition holding every entry and key, its bounds a guess', () => {
    fc.assert(
      fc.property(
        reference,
        fc.array(chunk, { maxLength: 3 }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        fc.array(chunk, { maxLength: 3 }),
        (ref, prefix, erasedBefore, erasedAfter, suffix) => {
          const head = concat([...prefix, new Uint8Array(erasedBefore).fill(0xff)]);
          const chip = concat([head, ref.image, new Uint8Array(erasedAfter).fill(0xff), ...suffix]);
          const found = locatePartitions(chip);
          expect(found).toHaveLength(1);
          const [partition] = found;
          for (const address of ref.entries) {
            const at = head.length + address;
            expect(at).toBeGreaterThanOrEqual(partition!.offset);
            expect(at).toBeLessThan(partition!.offset + partition!.sizeBytes);
          }
          expect(partition!.liveKeys).toBe(ref.liveKeys);
        },
      ),
      { numRuns: 30, seed: 3 },
    );
  });

  it('finds two partitions of one chip apart, in chip order', () => {
    fc.assert(
      fc.property(
        reference,
        reference,
        edge('before'),
        fc.uint8Array({ minLength: 8192, maxLength: 9000 }),
        edge('after'),
        (a, b, before, between, after) => {
          if (between[0] === 0xff) between[0] = 1;
          if (between[between.length - 1] === 0xff) between[between.length - 1] = 1;
          const chip = concat([before, a.image, between, b.image, after]);
          const found = locatePartitions(chip);
          const second = before.length + a.image.length + between.length;
          expect(found.map((p) => [p.offset, p.sizeBytes])).toEqual([
            [before.length, a.image.length],
            [second, b.image.length],
          ]);
        },
      ),
      { numRuns: 20, seed: 11 },
    );
  });

  it('finds nothing in random or erased bytes', () => {
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 8 }), (chunks) => {
        expect(locatePartitions(concat(chunks))).toEqual([]);
      }),
      { numRuns: 30, seed: 5 },
    );
  });
});
