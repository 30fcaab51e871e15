import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoalescingReader } from '../../src/engine/_coalescing-reader.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { fcOptions } from '../helpers/fc.js';

const SECTOR = 256;
const SECTORS = 4;

function flashWith(contents: Uint8Array, faultEvery: number): MemoryFlash {
  const flash = new MemoryFlash({
    sectorSizeBytes: SECTOR,
    sectorCount: SECTORS,
    alignmentBytes: 16,
    contents,
  });
  if (faultEvery > 0) flash.injectReadError({ status: 'DATA_LOSS', delay: faultEvery, times: 1 });
  return flash;
}

type Step = { kind: 'read'; address: number; length: number } | { kind: 'prefetch' | 'drop' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('read' as const),
      address: fc.integer({ min: -8, max: SECTOR * SECTORS + 8 }),
      length: fc.integer({ min: 0, max: 80 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom('prefetch' as const, 'drop' as const) }),
  },
);

describe('CoalescingReader.load', () => {
  it('makes the flash calls read makes, reports its status, and exposes the same bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: SECTOR * SECTORS, maxLength: SECTOR * SECTORS }),
        fc.boolean(),
        fc.nat(12),
        fc.array(step, { maxLength: 40 }),
        (contents, enabled, faultEvery, steps) => {
          const readFlash = flashWith(contents, faultEvery);
          const loadFlash = flashWith(contents, faultEvery);
          const reader = new CoalescingReader(new FlashPartition(readFlash), enabled);
          const loader = new CoalescingReader(new FlashPartition(loadFlash), enabled);
          let previous = 0;
          for (const action of steps) {
            if (action.kind === 'drop') {
              reader.invalidate();
              loader.invalidate();
            } else if (action.kind === 'prefetch') {
              reader.prefetch(previous, 64);
              loader.prefetch(previous, 64);
            } else if (action.kind === 'read') {
              const output = new Uint8Array(action.length);
              const read = reader.read(action.address, output);
              const status = loader.load(action.address, action.length);
              expect(status).toBe(read.status);
              if (read.status === 'OK' || read.size > 0) {
                const at = loader.loadedOffset;
                expect(Array.from(loader.loadedBytes.subarray(at, at + action.length))).toEqual(
                  Array.from(output),
                );
              }
              previous = action.address;
            }
            expect(loadFlash.counters).toEqual(readFlash.counters);
          }
        },
      ),
      fcOptions(300),
    );
  });
});
