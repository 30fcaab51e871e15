import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import {
  DEFAULT_IMAGE_CONFIG,
  type ImageConfig,
  geometryOf,
  storeOptionsOf,
} from '../../src/image/config.js';
import { parseScenario } from '../../src/scenario/scenario.js';
import type { VectorCase } from '../helpers/vectors.js';

/** The config of a reference case, as an image config. */
export function caseConfig(testCase: VectorCase): ImageConfig {
  const scenario = parseScenario(testCase.scenario);
  return {
    sectorSizeBytes: scenario.sectorSize,
    sectorCount: scenario.sectorCount,
    alignmentBytes: scenario.alignment,
    formats: [
      { magic: scenario.magic, checksum: scenario.checksum },
      ...scenario.extraFormats.map((format) => ({
        magic: format.magic,
        checksum: format.checksum,
      })),
    ],
    redundancy: scenario.redundancy,
    maxEntries: scenario.maxEntries,
  };
}

/** A store over `config`'s geometry (on `contents`, or erased), initialised. */
export function openStore(
  config: ImageConfig,
  contents?: Uint8Array,
): { flash: MemoryFlash; store: KeyValueStore } {
  const flash = new MemoryFlash({
    ...geometryOf(config),
    ...(contents === undefined ? {} : { contents }),
  });
  const store = new KeyValueStore(new FlashPartition(flash), storeOptionsOf(config));
  store.init();
  return { flash, store };
}

/**
 * An image written by a seeded workload of puts and deletes over as many keys as fill about
 * 40 % of the flash, run long enough for garbage collection to cycle through the sectors.
 */
export function workloadImage(config: ImageConfig, seed = 1, ops = 400): Uint8Array {
  const { flash, store } = openStore(config);
  let state = seed >>> 0 || 1;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const maxValue = Math.min(64, Math.floor(config.sectorSizeBytes / 8));
  const capacityBytes = config.sectorSizeBytes * (config.sectorCount - 1);
  const keys = Math.min(
    config.maxEntries,
    Math.max(4, Math.floor((0.4 * capacityBytes) / config.redundancy / 64)),
  );
  for (let op = 0; op < ops; op++) {
    const key = `key-${Math.floor(next() * keys)}`;
    if (next() < 0.1) store.deleteStatus(key);
    else store.putStatus(key, new Uint8Array(1 + Math.floor(next() * maxValue)).fill(op & 0xff));
  }
  return flash.bytes.slice();
}

/** Geometries and formats `--detect` must recognise from a well-used image. */
export const DETECT_GEOMETRIES: [string, ImageConfig][] = [
  ['4 × 4 KiB, defaults', DEFAULT_IMAGE_CONFIG],
  [
    '8 × 512 B, CRC-32',
    {
      ...DEFAULT_IMAGE_CONFIG,
      sectorSizeBytes: 512,
      sectorCount: 8,
      formats: [{ magic: 0x4b565331, checksum: 'crc32' }],
    },
  ],
  [
    '6 × 1 KiB, alignment 64, redundancy 2',
    {
      ...DEFAULT_IMAGE_CONFIG,
      sectorSizeBytes: 1024,
      sectorCount: 6,
      alignmentBytes: 64,
      redundancy: 2,
      formats: [{ magic: 0xfeedbeef, checksum: 'crc16' }],
    },
  ],
  [
    '16 × 2 KiB, alignment 32',
    { ...DEFAULT_IMAGE_CONFIG, sectorSizeBytes: 2048, sectorCount: 16, alignmentBytes: 32 },
  ],
  [
    '3 × 8 KiB, no checksums',
    {
      ...DEFAULT_IMAGE_CONFIG,
      sectorSizeBytes: 8192,
      sectorCount: 3,
      formats: [{ magic: 0x600df00d, checksum: 'none' }],
    },
  ],
];
