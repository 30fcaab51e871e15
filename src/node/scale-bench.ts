import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore } from '../engine/key-value-store.js';
import { benchKey, benchValue } from '../bench/bench.js';

/** Figures of the large-store benchmark. */
export interface ScaleReport {
  keys: number;
  partitionBytes: number;
  initMs: number;
  /** Heap growth (JS heap plus array buffers) from creating and initialising the store. */
  heapBytesPerKey: number;
  /** What the index's own arrays hold. */
  indexBytesPerKey: number;
  getUs: number;
  putUs: number;
  initReadCalls: number;
  initBytesRead: number;
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * A 16 MiB partition of 4 KiB sectors holding `keys` keys: how long init takes, how much
 * memory the index needs per key, and what gets and puts cost at that size.
 */
export function runScaleBench(keys = 100_000, sectorCount = 4096): ScaleReport {
  const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount, alignmentBytes: 16 });
  const options = { maxEntries: keys };
  const filler = new KeyValueStore(new FlashPartition(flash), options);
  filler.init();
  for (let i = 0; i < keys; i++) filler.put(benchKey(i), benchValue(i, 0, 32));

  collectGarbage();
  const before = process.memoryUsage();
  const store = new KeyValueStore(new FlashPartition(flash), options);
  flash.resetCounters();
  let start = performance.now();
  store.init();
  const initMs = performance.now() - start;
  const initReadCalls = flash.counters.readCalls;
  const initBytesRead = flash.counters.bytesRead;
  collectGarbage();
  const after = process.memoryUsage();
  const heapBytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);

  const sample = Array.from({ length: 20_000 }, (_, t) => benchKey((t * 7919) % keys));
  start = performance.now();
  for (const key of sample) store.get(key);
  const getUs = ((performance.now() - start) * 1000) / sample.length;
  const values = sample.map((_, t) => benchValue(t, t + 1, 32));
  start = performance.now();
  for (let t = 0; t < sample.length; t++) store.put(sample[t]!, values[t]!);
  const putUs = ((performance.now() - start) * 1000) / sample.length;
  return {
    keys,
    partitionBytes: flash.sizeBytes,
    initMs,
    heapBytesPerKey: heapBytes / keys,
    indexBytesPerKey: store.indexMemoryBytes / keys,
    getUs,
    putUs,
    initReadCalls,
    initBytesRead,
  };
}
