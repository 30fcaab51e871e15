// Random scenarios for differential fuzzing (`npm run diff-fuzz`): a random configuration and a
// random list of operations — puts, gets, deletes, listings, statistics, maintenance, reboots,
// corruption behind the store's back and injected flash errors — written in the scenario-file
// format (docs/scenario.md), so that the same file runs on flashkv and on the real pw_kvs.
import { bytesToHex, printableText } from '../bytes.js';
import { mulberry32 } from '../random.js';
import { parseScenario } from './scenario.js';
import { runScenario } from './run-scenario.js';

/** A scenario file's JSON: configuration fields and `ops`, as docs/scenario.md defines them. */
export type ScenarioJson = Record<string, unknown> & { ops: Record<string, unknown>[] };

/** A generated case: the scenario and, when it starts from one, the flash it starts from. */
export interface GeneratedCase {
  scenario: ScenarioJson;
  /** The starting flash (`image_in`): what another configuration's scenario left behind. */
  imageIn?: Uint8Array;
}

/** The random choices of one case, from a 32-bit generator. */
class Chooser {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** Uniform in [0, 1). */
  unit(): number {
    return this.#next() / 2 ** 32;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.unit() * n);
  }
  /** Uniform integer in [low, high]. */
  between(low: number, high: number): number {
    return low + this.below(high - low + 1);
  }
  chance(p: number): boolean {
    return this.unit() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [T, number])[]): T {
    const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
    let at = this.unit() * total;
    for (const [choice, weight] of choices) {
      at -= weight;
      if (at < 0) return choice;
    }
    return choices[choices.length - 1]![0];
  }
  bytes(length: number, avoidZero = false): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = avoidZero ? 1 + this.below(255) : this.below(256);
    return out;
  }
}

/** The seed of case `index` of a run seeded `seed`: each case reproduces on its own. */
export function caseSeed(seed: number, index: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = (h + Math.imul(index + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const ALIGNMENTS = [1, 2, 4, 8, 16, 16, 16, 32, 64, 128, 256] as const;
const CHECKSUMS = ['crc16', 'crc16', 'crc32', 'none', 'ignore'] as const;
const FAULT_STATUSES = ['INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNKNOWN', 'OUT_OF_RANGE'];
/** Two keys with the same 32-bit pw_kvs hash (x86, signed char). */
const COLLIDING_KEYS = ['a0naq', 'qp0ca'];
/** pw_kvs's key length limit. */
const MAX_KEY = 63;
const ENTRY_HEADER = 16;
/** The oracle holds at most this many injected errors at once. */
const MAX_INJECTED = 16;

/** A key or value field for an op: text when it is printable ASCII, hex otherwise. */
function keyField(key: Uint8Array): Record<string, string> {
  const text = printableText(key);
  return text !== undefined && key.every((byte) => byte >= 0x20 && byte < 0x7f)
    ? { key: text }
    : { key_hex: bytesToHex(key) };
}

function valueField(c: Chooser, length: number): Record<string, unknown> {
  if (length > 256 || c.chance(0.25)) {
    return { value_len: length, value_byte: c.pick([0x00, 0xff, 0x5a, c.below(256)]) };
  }
  return { value_hex: bytesToHex(c.bytes(length)) };
}

interface Geometry {
  sectorSize: number;
  sectorCount: number;
  alignment: number;
  partitionAlignment: number;
}

function randomGeometry(c: Chooser): Geometry {
  const alignment = c.pick(ALIGNMENTS);
  const partitionAlignment = c.chance(0.15) ? Math.min(256, alignment * c.pick([2, 4])) : alignment;
  const unit = Math.max(alignment, partitionAlignment, 16);
  // Small sectors make garbage collection, full sectors and tight fits common.
  const base = c.weighted<number>([
    [256, 2],
    [512, 4],
    [1024, 3],
    [2048, 1],
    [4096, 1],
    [768, 1],
  ]);
  const sectorSize = Math.max(unit, Math.ceil(base / unit) * unit);
  const sectorCount = c.weighted<number>([
    [1, 0.3],
    [2, 2],
    [3, 2],
    [4, 3],
    [c.between(5, 8), 2],
    [c.between(9, 16), 1],
  ]);
  return { sectorSize, sectorCount, alignment, partitionAlignment };
}

function randomMagic(c: Chooser): number {
  return c.chance(0.5) ? 3528829097 : c.pick([0x12345678, 0xc001beef, c.below(2 ** 32)]);
}

/** Configuration fields over a geometry (everything but `ops` and `image_in`). */
function randomConfig(c: Chooser, geometry: Geometry): Record<string, unknown> {
  const config: Record<string, unknown> = {
    sector_size: geometry.sectorSize,
    sector_count: geometry.sectorCount,
    alignment: geometry.alignment,
  };
  if (geometry.partitionAlignment !== geometry.alignment) {
    config.partition_alignment = geometry.partitionAlignment;
  }
  if (c.chance(0.3)) config.magic = randomMagic(c);
  if (c.chance(0.4)) config.checksum = c.pick(CHECKSUMS);
  config.redundancy = c.weighted([
    [1, 5],
    [2, 2],
    [3, 1],
  ]);
  config.max_entries = c.weighted([
    [1, 1],
    [2, 1],
    [4, 2],
    [8, 2],
    [16, 2],
    [32, 1],
    [256, 2],
  ]);
  // pw_kvs sizes its address list max_entries × (redundancy + 1) where max_entries × redundancy
  // + redundancy are needed (KeyValueStoreBuffer swaps AddressList's template arguments): with
  // fewer entries than copies a put writes past it, over the entry formats (docs/compatibility.md,
  // test/fixtures/known-limitations/swapped-address-list-magic.json). Not a difference worth
  // finding again and again.
  if ((config.max_entries as number) < (config.redundancy as number)) {
    config.max_entries = 4;
  }
  if (c.chance(0.05)) config.max_sectors = 4096;
  if (c.chance(0.4))
    config.gc_on_write = c.pick(['as_many_sectors_needed', 'one_sector', 'disabled']);
  if (c.chance(0.5)) config.recovery = c.pick(['lazy', 'immediate', 'manual']);
  if (c.chance(0.15)) config.verify_on_read = false;
  if (c.chance(0.15)) config.verify_on_write = false;
  return config;
}

/** The keys a scenario uses: short and long, ASCII and not, sometimes invalid, sometimes colliding. */
function randomKeys(c: Chooser): Uint8Array[] {
  const keys: Uint8Array[] = [];
  const count = c.between(1, 10);
  for (let i = 0; i < count; i++) {
    const length = c.weighted<number>([
      [c.between(1, 4), 5],
      [c.between(5, 16), 3],
      [c.between(17, MAX_KEY), 1],
      [MAX_KEY, 0.4],
      [MAX_KEY + 1, 0.2],
      [0, 0.1],
    ]);
    // No 0x00 bytes: pw_kvs's iteration truncates such a key (a known, documented deviation).
    const key = c.chance(0.8)
      ? Uint8Array.from({ length }, () =>
          c.pick([...'abcdefghijklmnopqrstuvwxyz0123456789_/.']).charCodeAt(0),
        )
      : c.bytes(length, true);
    keys.push(key);
  }
  if (c.chance(0.05))
    for (const key of COLLIDING_KEYS) keys.push(Uint8Array.from(key, (ch) => ch.charCodeAt(0)));
  return keys;
}

function randomValueLength(c: Chooser, geometry: Geometry, key: Uint8Array): number {
  const fits = geometry.sectorSize - ENTRY_HEADER - key.length;
  return Math.max(
    0,
    c.weighted<number>([
      [c.between(0, 16), 5],
      [c.between(0, 64), 3],
      [c.between(0, Math.max(0, Math.floor(fits / 2))), 2],
      [fits + c.between(-20, 2), 0.7],
      [0, 0.4],
      [65535, 0.05],
    ]),
  );
}

/** A flash address biased to the start of sectors, where headers live. */
function randomAddress(c: Chooser, geometry: Geometry): number {
  const sector = c.below(geometry.sectorCount);
  const offset = c.chance(0.5)
    ? c.below(Math.min(geometry.sectorSize, 48))
    : Math.floor(geometry.sectorSize * c.unit() ** 2);
  return sector * geometry.sectorSize + offset;
}

interface OpState {
  injected: number;
}

function randomFault(c: Chooser, geometry: Geometry): Record<string, unknown> {
  const fault: Record<string, unknown> = { status: c.pick(FAULT_STATUSES) };
  if (c.chance(0.8))
    fault.times = c.weighted([
      [1, 4],
      [2, 1],
      [c.between(3, 8), 1],
    ]);
  if (c.chance(0.5)) fault.delay = c.between(0, 6);
  if (c.chance(0.4)) {
    fault.address = randomAddress(c, geometry);
    fault.size = c.between(1, geometry.sectorSize);
  }
  return fault;
}

function randomOp(
  c: Chooser,
  geometry: Geometry,
  keys: readonly Uint8Array[],
  state: OpState,
  withFaults: boolean,
): Record<string, unknown>[] {
  const key = c.pick(keys);
  const kind = c.weighted<string>([
    ['put', 34],
    ['get', 12],
    ['delete', 8],
    ['value_size', 3],
    ['list', 4],
    ['stats', 6],
    ['check_for_errors', 2],
    ['partial_maintenance', 2],
    ['full_maintenance', 2],
    ['heavy_maintenance', 1.5],
    ['reboot', 5],
    ['init', 1],
    ['corrupt', withFaults ? 3 : 0],
    ['erase_sector', withFaults ? 1 : 0],
    ['write_raw', withFaults ? 1 : 0],
    ['inject_read_error', withFaults ? 1.5 : 0],
    ['inject_write_error', withFaults ? 1.5 : 0],
    ['clear_injected_errors', withFaults ? 1.5 : 0],
  ]);
  switch (kind) {
    case 'put':
      return [
        { op: 'put', ...keyField(key), ...valueField(c, randomValueLength(c, geometry, key)) },
      ];
    case 'get': {
      const op: Record<string, unknown> = { op: 'get', ...keyField(key) };
      if (c.chance(0.2)) op.buffer_size = c.between(0, 40);
      if (c.chance(0.15)) op.offset = c.between(0, 40);
      return [op];
    }
    case 'delete':
    case 'value_size':
      return [{ op: kind, ...keyField(key) }];
    case 'reboot':
      return c.chance(0.9) ? [{ op: 'reboot' }, { op: 'init' }] : [{ op: 'reboot' }];
    case 'corrupt':
      return [{ op: 'corrupt', address: randomAddress(c, geometry), xor: c.between(1, 255) }];
    case 'erase_sector':
      return [{ op: 'erase_sector', sector: c.below(geometry.sectorCount) }];
    case 'write_raw': {
      const address = randomAddress(c, geometry);
      const length = Math.min(
        c.between(1, 16),
        geometry.sectorSize * geometry.sectorCount - address,
      );
      const bytes = c.chance(0.5) ? new Uint8Array(length).fill(0xff) : c.bytes(length);
      return [{ op: 'write_raw', address, hex: bytesToHex(bytes) }];
    }
    case 'inject_read_error':
    case 'inject_write_error':
      if (state.injected >= MAX_INJECTED) return [{ op: 'clear_injected_errors' }];
      state.injected++;
      return [{ op: kind, ...randomFault(c, geometry) }];
    case 'clear_injected_errors':
      state.injected = 0;
      return [{ op: kind }];
    default:
      return [{ op: kind }];
  }
}

function randomOps(
  c: Chooser,
  geometry: Geometry,
  keys: readonly Uint8Array[],
  count: number,
  withFaults: boolean,
): Record<string, unknown>[] {
  const ops: Record<string, unknown>[] = c.chance(0.97) ? [{ op: 'init' }] : [];
  const state: OpState = { injected: 0 };
  while (ops.length < count) ops.push(...randomOp(c, geometry, keys, state, withFaults));
  // End by looking at everything: the listing, the statistics, and a fresh init's view.
  ops.push({ op: 'list' }, { op: 'stats' });
  if (c.chance(0.5)) ops.push({ op: 'reboot' }, { op: 'init' }, { op: 'list' }, { op: 'stats' });
  return ops;
}

/**
 * Case `index` of a differential-fuzzing run seeded `seed`: a random configuration and ops, and
 * with some chance a starting image that another random configuration (another format, alignment,
 * redundancy or capacity) left behind, so that re-opening, legacy formats and reconfiguration
 * are exercised too. The same seed and index always give the same case.
 */
export function randomCase(seed: number, index: number): GeneratedCase {
  const c = new Chooser(caseSeed(seed, index));
  const geometry = randomGeometry(c);
  const keys = randomKeys(c);
  const config = randomConfig(c, geometry);
  const length = c.weighted<number>([
    [c.between(3, 12), 3],
    [c.between(13, 40), 4],
    [c.between(41, 120), 2],
  ]);
  let imageIn: Uint8Array | undefined;
  if (c.chance(0.2)) {
    // An earlier life of the flash, under another configuration of the same sectors.
    const before: Geometry = { ...geometry, alignment: c.pick(ALIGNMENTS) };
    before.partitionAlignment = before.alignment;
    if (before.sectorSize % before.alignment !== 0) before.alignment = geometry.alignment;
    before.partitionAlignment = before.alignment;
    const earlier: Record<string, unknown> = { ...randomConfig(c, before), magic: randomMagic(c) };
    if (c.chance(0.6)) {
      config.extra_formats = [{ magic: earlier.magic, checksum: earlier.checksum ?? 'crc16' }];
      if (config.magic === undefined || config.magic === earlier.magic)
        config.magic = randomMagic(c);
      if (config.magic === earlier.magic) delete config.extra_formats;
    }
    const prelude = { ...earlier, ops: randomOps(c, before, keys, c.between(5, 60), false) };
    try {
      imageIn = runScenario(parseScenario(prelude)).image;
    } catch {
      imageIn = undefined; // a configuration flashkv cannot build: start erased instead
    }
  }
  const scenario: ScenarioJson = {
    ...config,
    ops: randomOps(c, geometry, keys, length, c.chance(0.75)),
  };
  return imageIn === undefined ? { scenario } : { scenario, imageIn };
}
