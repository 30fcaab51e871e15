import type { FlashMemory, FlashResult } from '../flash/flash-memory.js';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore, type KeyValueStoreOptions } from '../engine/key-value-store.js';
import { Crc16Checksum } from '../format/checksum.js';
import { DEFAULT_MAGIC } from '../format/entry-format.js';
import { ENTRY_HEADER_SIZE, alignUp, encodeEntryHeader } from '../format/entry-header.js';
import { KvsError, type StatusCode } from '../status.js';
import { mulberry32 } from '../random.js';
import { generateWorkload } from './workload.js';

/** Thrown by the budget flash when one operation makes more flash calls than it may. */
class FlashBudgetExceeded extends Error {
  override readonly name = 'FlashBudgetExceeded';
}

/**
 * A flash that counts calls and stops an operation that makes more than `budget` of them: no
 * operation may loop without bound, whatever the flash holds.
 */
class BudgetFlash implements FlashMemory {
  calls = 0;
  constructor(
    private readonly inner: MemoryFlash,
    readonly budget: number,
  ) {}

  get sectorSizeBytes(): number {
    return this.inner.sectorSizeBytes;
  }
  get sectorCount(): number {
    return this.inner.sectorCount;
  }
  get alignmentBytes(): number {
    return this.inner.alignmentBytes;
  }
  private spend(): void {
    if (++this.calls > this.budget)
      throw new FlashBudgetExceeded(`more than ${this.budget} flash calls`);
  }
  read(address: number, output: Uint8Array): FlashResult {
    this.spend();
    return this.inner.read(address, output);
  }
  write(address: number, data: Uint8Array): FlashResult {
    this.spend();
    return this.inner.write(address, data);
  }
  erase(address: number, sectorCount: number): StatusCode {
    this.spend();
    return this.inner.erase(address, sectorCount);
  }
}

/** How an image was made. */
export type FuzzKind = 'random' | 'mutated' | 'crafted';

/** Outcome totals of a fuzz run. */
export interface FuzzReport {
  images: number;
  byKind: Record<FuzzKind, number>;
  /** Operations that exceeded the flash-call budget (a loop without bound). */
  hangs: number;
  /** Throws that were not KvsError. */
  nonKvsErrors: number;
  /** Statuses seen, over all operations. */
  statuses: Partial<Record<StatusCode, number>>;
  /** First few problems, with the seed that reproduces each. */
  problems: { seed: number; kind: FuzzKind; problem: string }[];
}

const GEOMETRIES = [
  { sectorSizeBytes: 512, sectorCount: 4, alignmentBytes: 16 },
  { sectorSizeBytes: 1024, sectorCount: 4, alignmentBytes: 64 },
  { sectorSizeBytes: 512, sectorCount: 6, alignmentBytes: 1 },
  { sectorSizeBytes: 2048, sectorCount: 3, alignmentBytes: 256 },
];

/** A valid image: a store that ran a random workload. */
function validImage(
  random: () => number,
  geometryIndex: number,
  options: KeyValueStoreOptions,
): Uint8Array {
  const flash = new MemoryFlash(GEOMETRIES[geometryIndex]!);
  const kvs = new KeyValueStore(new FlashPartition(flash), options);
  kvs.init();
  for (const op of generateWorkload({
    ops: 10 + (random() % 40),
    keys: 6,
    maxValueBytes: 60,
    seed: random(),
  })) {
    if (op.op === 'put') kvs.putStatus(op.key, op.value);
    else if (op.op === 'delete') kvs.deleteStatus(op.key);
  }
  return flash.snapshot();
}

/** An entry with a valid CRC-16 over header fields that may make no sense. */
function craftedEntry(random: () => number): Uint8Array {
  const pick = <T>(values: readonly T[]): T => values[random() % values.length]!;
  const keyLength = pick([0, 1, 5, 63, 64, 255]);
  const valueSize = pick([0, 1, 100, 0xfffe, 0xffff, random() & 0xffff]);
  const alignmentUnits = pick([0, 1, 15, 16, 255, random() & 0xff]);
  const header = {
    magic: DEFAULT_MAGIC,
    checksum: 0,
    alignmentUnits,
    keyLength,
    valueSize,
    transactionId: pick([0, 1, 0x7fffffff, 0xffffffff, random()]),
  };
  const body = new Uint8Array(Math.min(keyLength + (valueSize === 0xffff ? 0 : valueSize), 600));
  for (let i = 0; i < body.length; i++) body[i] = random() & 0xff;
  const padded = new Uint8Array(alignUp(ENTRY_HEADER_SIZE + body.length, 16));
  padded.set(body, ENTRY_HEADER_SIZE);
  const crc = new Crc16Checksum();
  crc.update(encodeEntryHeader(header));
  crc.update(padded.subarray(ENTRY_HEADER_SIZE));
  const state = crc.finish();
  header.checksum = state[0]! | (state[1]! << 8);
  padded.set(encodeEntryHeader(header));
  return padded;
}

function makeImage(kind: FuzzKind, random: () => number, geometryIndex: number): Uint8Array {
  const geometry = GEOMETRIES[geometryIndex]!;
  const size = geometry.sectorSizeBytes * geometry.sectorCount;
  if (kind === 'random') {
    const image = new Uint8Array(size).fill(0xff);
    const filled = random() % size;
    for (let i = 0; i < filled; i++) image[i] = random() & 0xff;
    return image;
  }
  const image = validImage(random, geometryIndex, { maxEntries: 16 });
  if (kind === 'crafted') {
    const entry = craftedEntry(random);
    const at = (random() % (size / 16)) * 16;
    image.set(entry.subarray(0, Math.min(entry.length, size - at)), at);
    return image;
  }
  // Mutations: bit flips, byte runs, truncation, header fields at boundary values.
  const mutations = 1 + (random() % 4);
  for (let m = 0; m < mutations; m++) {
    const at = random() % size;
    switch (random() % 5) {
      case 0:
        image[at] = image[at]! ^ (1 << (random() % 8));
        break;
      case 1: {
        const run = 1 + (random() % 64);
        image.fill(random() & 0xff, at, Math.min(size, at + run));
        break;
      }
      case 2:
        image.fill(0xff, at); // truncated dump: the rest reads erased
        break;
      case 3: {
        const header = at - (at % 16);
        const field = [8, 9, 10, 11][random() % 4]!;
        image[header + field] = [0x00, 0x3f, 0x40, 0xff][random() % 4]!;
        break;
      }
      default:
        image[at] = random() & 0xff;
    }
  }
  return image;
}

/**
 * Opens `count` fuzzed images (random bytes, mutated valid images, valid checksums over
 * inconsistent fields) and runs init, iteration, reads, maintenance and writes on each, with
 * lazy and manual recovery. Every operation must end with a status, within a flash-call budget
 * that follows from the geometry, and throw nothing but KvsError.
 */
export function runFuzz(
  count: number,
  seed: number,
  onProgress?: (done: number) => void,
): FuzzReport {
  const report: FuzzReport = {
    images: 0,
    byKind: { random: 0, mutated: 0, crafted: 0 },
    hangs: 0,
    nonKvsErrors: 0,
    statuses: {},
    problems: [],
  };
  const kinds: FuzzKind[] = ['random', 'mutated', 'crafted'];
  for (let i = 0; i < count; i++) {
    const imageSeed = (seed + i * 0x9e3779b1) >>> 0;
    const random = mulberry32(imageSeed);
    const kind = kinds[random() % kinds.length]!;
    const geometryIndex = random() % GEOMETRIES.length;
    const problem = fuzzOne(makeImage(kind, random, geometryIndex), geometryIndex, random, report);
    report.images++;
    report.byKind[kind]++;
    if (problem !== undefined) {
      if (problem.startsWith('hang')) report.hangs++;
      else report.nonKvsErrors++;
      if (report.problems.length < 20) report.problems.push({ seed: imageSeed, kind, problem });
    }
    onProgress?.(i + 1);
  }
  return report;
}

/** Reproduces one image of a run from its seed (as reported in `problems`). */
export function fuzzImageForSeed(imageSeed: number): {
  image: Uint8Array;
  geometryIndex: number;
  kind: FuzzKind;
} {
  const random = mulberry32(imageSeed);
  const kind = (['random', 'mutated', 'crafted'] as const)[random() % 3]!;
  const geometryIndex = random() % GEOMETRIES.length;
  return { image: makeImage(kind, random, geometryIndex), geometryIndex, kind };
}

function fuzzOne(
  image: Uint8Array,
  geometryIndex: number,
  random: () => number,
  report: FuzzReport,
): string | undefined {
  const geometry = GEOMETRIES[geometryIndex]!;
  const flash = new MemoryFlash({ ...geometry, contents: image });
  // A budget no bounded operation comes near: every byte read 64 times over, per sector.
  const budget = 64 * geometry.sectorCount * geometry.sectorSizeBytes;
  const budgeted = new BudgetFlash(flash, budget);
  const recovery = random() % 2 === 0 ? 'lazy' : 'manual';
  const kvs = new KeyValueStore(new FlashPartition(budgeted), {
    maxEntries: 8 + (random() % 24),
    redundancy: 1 + (random() % 2),
    recovery,
  });
  const count = (status: StatusCode): void => {
    report.statuses[status] = (report.statuses[status] ?? 0) + 1;
  };
  const steps: [string, () => void][] = [
    ['init', () => count(kvs.initStatus())],
    [
      'iterate',
      () => {
        for (const item of kvs.items()) {
          try {
            item.value();
            count('OK');
          } catch (error) {
            if (!KvsError.is(error)) throw error;
            count(error.code);
          }
        }
      },
    ],
    ['get', () => count(kvs.valueSizeStatus('k1').status)],
    ['partial maintenance', () => count(kvs.partialMaintenanceStatus())],
    ['put', () => count(kvs.putStatus('k2', new Uint8Array(random() % 80)))],
    ['full maintenance', () => count(kvs.fullMaintenanceStatus())],
    ['heavy maintenance', () => count(kvs.heavyMaintenanceStatus())],
    ['delete', () => count(kvs.deleteStatus('k3'))],
    ['re-init', () => count(kvs.initStatus())],
  ];
  for (const [name, step] of steps) {
    budgeted.calls = 0;
    try {
      step();
    } catch (error) {
      if (error instanceof FlashBudgetExceeded) return `hang in ${name}: ${error.message}`;
      if (!KvsError.is(error)) {
        return `${name} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      }
      count(error.code);
    }
  }
  return undefined;
}
