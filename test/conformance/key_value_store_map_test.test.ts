// pw_kvs/key_value_store_map_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead),
// ported: a model-based test, a Map beside the store, on upstream's five geometries
// (RUN_TESTS_WITH_PARAMETERS) and its ten tests each. The random inputs come from mt19937
// with upstream's seeds, drawn in upstream's order; upstream's RandomPresentKey returns the
// *value* of the first map entry (std::unordered_map's first), which the port keeps: it
// returns the value of the Map's first entry (so the key sequence differs from upstream's
// where the two maps' first entries differ).
import { describe, expect, it } from 'vitest';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';

/** std::mt19937. */
function mt19937(seed: number): () => number {
  const state = new Uint32Array(624);
  state[0] = seed >>> 0;
  for (let i = 1; i < 624; i++) {
    const prev = state[i - 1]! ^ (state[i - 1]! >>> 30);
    state[i] = (Math.imul(1812433253, prev) + i) >>> 0;
  }
  let index = 624;
  return () => {
    if (index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (state[i]! & 0x80000000) | (state[(i + 1) % 624]! & 0x7fffffff);
        state[i] = state[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = state[index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
}

const CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MAX_VALUE_LENGTH = 64;
const MAX_KEY_LENGTH = 63;
const MAX_ENTRIES = 256;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Params {
  name: string;
  sectorSize: number;
  sectorCount: number;
  sectorAlignment: number;
  redundancy: number;
  partitionStartSector: number;
  partitionSectorCount: number;
  partitionAlignment: number;
}

const PARAMS: Params[] = [
  {
    name: 'Basic',
    sectorSize: 4096,
    sectorCount: 4,
    sectorAlignment: 16,
    redundancy: 1,
    partitionStartSector: 0,
    partitionSectorCount: 4,
    partitionAlignment: 16,
  },
  {
    name: 'BasicRedundant',
    sectorSize: 4096,
    sectorCount: 4,
    sectorAlignment: 16,
    redundancy: 2,
    partitionStartSector: 0,
    partitionSectorCount: 4,
    partitionAlignment: 16,
  },
  {
    name: 'LotsOfSmallSectors',
    sectorSize: 160,
    sectorCount: 100,
    sectorAlignment: 32,
    redundancy: 1,
    partitionStartSector: 5,
    partitionSectorCount: 95,
    partitionAlignment: 32,
  },
  {
    name: 'LotsOfSmallSectorsRedundant',
    sectorSize: 160,
    sectorCount: 100,
    sectorAlignment: 32,
    redundancy: 2,
    partitionStartSector: 5,
    partitionSectorCount: 95,
    partitionAlignment: 32,
  },
  {
    name: 'OnlyTwoSectors',
    sectorSize: 4096,
    sectorCount: 20,
    sectorAlignment: 16,
    redundancy: 1,
    partitionStartSector: 18,
    partitionSectorCount: 2,
    partitionAlignment: 64,
  },
];

type Option = 'none' | 'reinit' | 'reinitWithFullGC' | 'reinitWithPartialGC';

/** KvsTester: the store, the map of what it should hold, and upstream's checks. */
class KvsTester {
  readonly map = new Map<string, string>();
  readonly kvs: KeyValueStore;
  readonly partition: FlashPartition;

  constructor(params: Params) {
    const flash = new MemoryFlash({
      sectorSizeBytes: params.sectorSize,
      sectorCount: params.sectorCount * params.redundancy,
      alignmentBytes: params.sectorAlignment,
    });
    this.partition = new FlashPartition(flash, {
      startSector: params.partitionStartSector,
      sectorCount: params.partitionSectorCount,
      alignmentBytes: params.partitionAlignment,
    });
    this.kvs = new KeyValueStore(this.partition, {
      maxEntries: MAX_ENTRIES,
      maxSectors: 256,
      redundancy: params.redundancy,
      formats: [{ magic: 0xc857e51d, checksum: 'none' }],
    });
    expect(this.kvs.initStatus()).toBe('OK');
  }

  put(key: string, value: string): void {
    this.#checkSize();
    const result = this.kvs.putStatus(key, encoder.encode(value));
    const keyBytes = encoder.encode(key).length;
    if (keyBytes === 0 || keyBytes > MAX_KEY_LENGTH) expect(result).toBe('INVALID_ARGUMENT');
    else if (this.map.size === MAX_ENTRIES) expect(result).toBe('RESOURCE_EXHAUSTED');
    else if (result === 'RESOURCE_EXHAUSTED') expect(this.map.size).toBeGreaterThan(0);
    else {
      expect(result).toBe('OK');
      this.map.set(key, value);
    }
    this.#checkSize();
  }

  delete(key: string): void {
    this.#checkSize();
    const result = this.kvs.deleteStatus(key);
    const keyBytes = encoder.encode(key).length;
    if (keyBytes === 0 || keyBytes > MAX_KEY_LENGTH) expect(result).toBe('INVALID_ARGUMENT');
    else if (!this.map.has(key)) expect(result).toBe('NOT_FOUND');
    else if (result !== 'RESOURCE_EXHAUSTED') {
      expect(result).toBe('OK');
      this.map.delete(key);
    }
    this.#checkSize();
  }

  init(): void {
    expect(this.kvs.initStatus()).toBe('OK');
    this.#checkSize();
  }

  gcFull(): void {
    expect(this.kvs.fullMaintenanceStatus()).toBe('OK');
    const stats = this.kvs.storageStats();
    if (stats.inUseBytes > (this.partition.sizeBytes * 70) / 100) {
      expect(stats.reclaimableBytes).toBe(0);
    }
  }

  gcPartial(): void {
    const before = this.kvs.storageStats().reclaimableBytes;
    const status = this.kvs.partialMaintenanceStatus();
    const after = this.kvs.storageStats().reclaimableBytes;
    if (before !== 0) {
      expect(status).toBe('OK');
      expect(after).toBeLessThan(before);
    } else {
      expect(status).toBe('NOT_FOUND');
      expect(after).toBe(0);
    }
  }

  /** RandomPresentKey: the value of the first entry (upstream's quirk, kept). */
  randomPresentKey(): string {
    const first = this.map.values().next();
    return first.done === true ? '' : first.value;
  }

  /** CompareContents (upstream's destructor): the store holds exactly the map. */
  compareContents(): void {
    expect(this.kvs.size).toBe(this.map.size);
    let count = 0;
    for (const item of this.kvs.items()) {
      count++;
      expect(this.map.has(item.keyText)).toBe(true);
      expect(decoder.decode(item.value())).toBe(this.map.get(item.keyText));
    }
    expect(count).toBe(this.map.size);
  }

  #checkSize(): void {
    if (this.kvs.size !== this.map.size) expect(this.kvs.size).toBe(this.map.size);
  }

  testRandomValidInputs(iterations: number, seed: number, option: Option): void {
    const randomInt = mt19937(seed);
    const randomString = (length: number) => {
      let value = '';
      for (let i = 0; i < length; i++) value += CHARS[randomInt() % CHARS.length];
      return value;
    };
    for (let i = 0; i < iterations; i++) {
      if (option !== 'none' && randomInt() % 10 === 0) this.init();
      // One time in four, a delete.
      if (randomInt() % 4 === 0) {
        if (this.map.size === 0 || randomInt() % 8 === 0) {
          this.delete(`not_a_key${randomInt()}`);
        } else {
          this.delete(this.randomPresentKey());
        }
      } else {
        const key =
          this.map.size === 0 || randomInt() % 16 === 0
            ? randomString(randomInt() % (MAX_KEY_LENGTH + 1))
            : this.randomPresentKey();
        this.put(key, randomString(randomInt() % MAX_VALUE_LENGTH));
      }
      if (option === 'reinitWithFullGC' && randomInt() % 250 === 0) this.gcFull();
      else if (option === 'reinitWithPartialGC' && randomInt() % 40 === 0) this.gcPartial();
    }
  }

  testPut(): void {
    this.put('base_key', 'base_value');
    for (let i = 0; i < 100; i++) this.put('other_key', String(i));
    for (let i = 0; i < 100; i++) this.put(`key_${i}`, String(i));
  }

  testPutAndDeleteRelocateDeletedEntriesShouldStayDeleted(): void {
    for (let i = 0; i < 100; i++) {
      const key = `key_${i}`;
      this.put(key, '?'.repeat(MAX_VALUE_LENGTH));
      this.delete(key);
    }
  }
}

const RANDOM_VARIANTS: [string, number, number, Option][] = [
  ['1', 1000, 6006411, 'none'],
  ['1WithReinit', 500, 6006411, 'reinit'],
  ['2', 100, 123, 'none'],
  ['2WithReinit', 100, 123, 'reinit'],
  ['1ReinitFullGC', 300, 6006411, 'reinitWithFullGC'],
  ['2ReinitFullGC', 300, 123, 'reinitWithFullGC'],
  ['1ReinitPartialGC', 100, 6006411, 'reinitWithPartialGC'],
  ['2ReinitPartialGC', 200, 123, 'reinitWithPartialGC'],
];

describe('key_value_store_map_test.cc', () => {
  it('mt19937 is the standard generator (10 000th output of the default seed)', () => {
    const random = mt19937(5489);
    let value = 0;
    for (let i = 0; i < 10000; i++) value = random();
    expect(value).toBe(4123659995);
  });

  for (const params of PARAMS) {
    const run = (body: (tester: KvsTester) => void) => () => {
      const tester = new KvsTester(params);
      body(tester);
      tester.compareContents();
    };
    it(
      `${params.name}.Put`,
      run((tester) => tester.testPut()),
    );
    it(
      `${params.name}.PutAndDelete_RelocateDeletedEntriesShouldStayDeleted`,
      run((tester) => tester.testPutAndDeleteRelocateDeletedEntriesShouldStayDeleted()),
    );
    for (const [variant, iterations, seed, option] of RANDOM_VARIANTS) {
      it(
        `${params.name}.RandomValidInputs${variant}`,
        run((tester) => tester.testRandomValidInputs(iterations, seed, option)),
      );
    }
  }
});
