import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore, type ReadStrategy } from '../engine/key-value-store.js';
import { parseScenario } from '../scenario/scenario.js';
import { scenarioStoreOptions } from '../scenario/run-scenario.js';
import { KvsError, type StatusCode } from '../status.js';
import { splitmix64 } from '../random.js';
import { utf8Encode } from '../utf8.js';

/** The four workloads of docs/benchmarks.md. */
export type Workload = 'fill' | 'overwrite' | 'get' | 'init';

/** A benchmark configuration: a store configuration plus the workload's parameters. */
export interface BenchConfig {
  /** Store configuration, in scenario-file field names (sector_size, redundancy, …). */
  store: Record<string, unknown>;
  workload: Workload;
  /** fill: keys to put; overwrite/get: operations; init: overwrites during setup. */
  n: number;
  /** Keys put during setup (overwrite, get, init). */
  k: number;
  /** init: how many times a fresh store initialises on the same flash. */
  m: number;
  valueSize: number;
  seed: bigint;
  repeat: number;
  /** Runs before the measured ones, not counted (they let the JIT compile the hot paths). */
  warmup: number;
  /** The engine's read strategy. Defaults to the library's default, `trusted`. */
  readStrategy: ReadStrategy;
}

/** Flash traffic of the measured phase. */
export interface FlashMeasured {
  read_calls: number;
  bytes_read: number;
  write_calls: number;
  bytes_written: number;
  erase_calls: number;
}

/** The report docs/benchmarks.md defines, plus the index's RAM. */
export interface BenchReport {
  ops: number;
  wall_s_median: number;
  us_per_op: number;
  /** Median CPU seconds of the measured phase (process CPU time); with a CPU clock only. */
  cpu_s_median?: number;
  /** CPU microseconds per op, from `cpu_s_median`; with a CPU clock only. */
  cpu_us_per_op?: number;
  status_counts: Partial<Record<StatusCode, number>>;
  mismatches: number | null;
  flash_measured: FlashMeasured;
  /** Bytes of RAM the key index holds at the end of the run. */
  index_bytes: number;
}

const WORKLOADS: readonly Workload[] = ['fill', 'overwrite', 'get', 'init'];
const BENCH_FIELDS = [
  'workload',
  'n',
  'k',
  'm',
  'value_size',
  'seed',
  'repeat',
  'warmup',
  'read_strategy',
];

function positiveInteger(json: Record<string, unknown>, field: string, fallback: number): number {
  const value = json[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new KvsError('INVALID_ARGUMENT', `bench config: '${field}' must be an integer ≥ 0`);
  }
  return value;
}

/** Validates a benchmark configuration (JSON as in bench/configs/*.json; fields in docs/benchmarks.md). */
export function parseBenchConfig(json: unknown): BenchConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KvsError('INVALID_ARGUMENT', 'bench config must be a JSON object');
  }
  const config = json as Record<string, unknown>;
  const workload = config.workload;
  if (!WORKLOADS.includes(workload as Workload)) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `bench config: 'workload' must be one of ${WORKLOADS.join(', ')}`,
    );
  }
  const store: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(config)) {
    if (!BENCH_FIELDS.includes(field)) store[field] = value;
  }
  // Validate the store part now, with the scenario parser's messages.
  parseScenario({ ...store, ops: [] });
  return {
    store,
    workload: workload as Workload,
    n: positiveInteger(config, 'n', 1000),
    k: Math.max(1, positiveInteger(config, 'k', 100)),
    m: positiveInteger(config, 'm', 10),
    valueSize: positiveInteger(config, 'value_size', 32),
    seed: BigInt(positiveInteger(config, 'seed', 1)),
    repeat: Math.max(1, positiveInteger(config, 'repeat', 1)),
    warmup: positiveInteger(config, 'warmup', 0),
    readStrategy: readStrategy(config.read_strategy),
  };
}

function readStrategy(value: unknown): ReadStrategy {
  if (value === undefined || value === 'trusted') return 'trusted';
  if (value === 'pw_kvs' || value === 'pwKvs') return 'pwKvs';
  if (value === 'coalesced') return 'coalesced';
  throw new KvsError(
    'INVALID_ARGUMENT',
    "bench config: 'read_strategy' must be trusted, coalesced or pw_kvs",
  );
}

/** key(i): "key" and i in six zero-padded digits. */
export function benchKey(i: number): Uint8Array {
  return utf8Encode(`key${String(i).padStart(6, '0')}`);
}

/** value(i, v): bytes 0..3 hold v little-endian, the rest (i·7 + j·13 + v) & 0xFF. */
export function benchValue(i: number, v: number, size: number): Uint8Array {
  const value = new Uint8Array(size);
  for (let j = 0; j < size; j++) {
    value[j] = j < 4 ? Math.floor(v / 2 ** (8 * j)) & 0xff : (i * 7 + j * 13 + v) & 0xff;
  }
  return value;
}

function countersOf(flash: MemoryFlash): FlashMeasured {
  const c = flash.counters;
  return {
    read_calls: c.readCalls,
    bytes_read: c.bytesRead,
    write_calls: c.writeCalls,
    bytes_written: c.bytesWritten,
    erase_calls: c.eraseCalls,
  };
}

interface RunResult {
  seconds: number;
  cpuSeconds: number;
  ops: number;
  statusCounts: Partial<Record<StatusCode, number>>;
  mismatches: number | null;
  flash: FlashMeasured;
  indexBytes: number;
}

/** Millisecond clocks: wall time, and optionally the process's CPU time. */
export interface BenchClocks {
  wall: () => number;
  cpu?: () => number;
}

/** Accumulates wall and CPU time over the measured stretches of a run. */
class Stopwatch {
  wallMs = 0;
  cpuMs = 0;
  private wallStart = 0;
  private cpuStart = 0;

  constructor(private readonly clocks: BenchClocks) {}

  start(): void {
    this.cpuStart = this.clocks.cpu?.() ?? 0;
    this.wallStart = this.clocks.wall();
  }

  stop(): void {
    this.wallMs += this.clocks.wall() - this.wallStart;
    this.cpuMs += (this.clocks.cpu?.() ?? 0) - this.cpuStart;
  }
}

/** Statuses of a run's operations: OK in a plain counter, the rest by code. */
class StatusTally {
  ok = 0;
  readonly others: Partial<Record<StatusCode, number>> = {};

  add(status: StatusCode): void {
    if (status === 'OK') this.ok++;
    else this.others[status] = (this.others[status] ?? 0) + 1;
  }

  /** The counts by code, OK included when there was one. */
  counts(): Partial<Record<StatusCode, number>> {
    return this.ok > 0 ? { ...this.others, OK: this.ok } : this.others;
  }
}

// Every loop of a run lives in a small function of its own, and runOnce keeps none: a loop in
// runOnce (a large function called a few times per configuration) gets it compiled, and
// recompiled as each workload takes other branches, on a background thread whose CPU time the
// process clock counts, during the measured stretch. The measured loops get a tally object,
// not a closure made per run, so that their optimized code stays valid from run to run.

/** Puts `values[t]` under `keys[t]` in order, tallying each status. */
function putEach(
  kvs: KeyValueStore,
  keys: readonly Uint8Array[],
  values: readonly Uint8Array[],
  tally: StatusTally,
): void {
  for (let t = 0; t < keys.length; t++) tally.add(kvs.putStatus(keys[t]!, values[t]!));
}

/** Reads `keys[t]` into `buffers[t]` in order (sizes into `sizes[t]`), tallying each status. */
function readEach(
  kvs: KeyValueStore,
  keys: readonly Uint8Array[],
  buffers: readonly Uint8Array[],
  sizes: Int32Array,
  tally: StatusTally,
): void {
  for (let t = 0; t < keys.length; t++) {
    try {
      sizes[t] = kvs.read(keys[t]!, buffers[t]!);
      tally.add('OK');
    } catch (error) {
      if (!KvsError.is(error)) throw error;
      tally.add(error.code);
    }
  }
}

/** Setup: put key(i), value(i, 0) for i < k; for init, then n overwrites of random keys. */
function setUp(kvs: KeyValueStore, config: BenchConfig, pick: () => number): void {
  for (let i = 0; i < config.k; i++) kvs.put(benchKey(i), benchValue(i, 0, config.valueSize));
  if (config.workload !== 'init') return;
  for (let t = 1; t <= config.n; t++) {
    const i = pick();
    kvs.put(benchKey(i), benchValue(i, t, config.valueSize));
  }
}

/** The keys and values of the measured puts: fill's key(t), or overwrite's random keys. */
function measuredWrites(
  config: BenchConfig,
  pick: () => number,
): { keys: Uint8Array[]; values: Uint8Array[] } {
  const keys: Uint8Array[] = [];
  const values: Uint8Array[] = [];
  const fill = config.workload === 'fill';
  for (let t = 0; t < config.n; t++) {
    const i = fill ? t : pick();
    keys.push(benchKey(i));
    values.push(benchValue(i, fill ? 0 : t + 1, config.valueSize));
  }
  return { keys, values };
}

/** Gets whose size or bytes differ from value(i, 0). */
function countMismatches(
  indexes: readonly number[],
  buffers: readonly Uint8Array[],
  sizes: Int32Array,
  valueSize: number,
): number {
  let mismatches = 0;
  for (let t = 0; t < indexes.length; t++) {
    const expected = benchValue(indexes[t]!, 0, valueSize);
    const actual = buffers[t]!;
    if (sizes[t] !== expected.length || actual.some((b, j) => b !== expected[j])) mismatches++;
  }
  return mismatches;
}

function runOnce(config: BenchConfig, clocks: BenchClocks): RunResult {
  const scenario = parseScenario({ ...config.store, ops: [] });
  const flash = new MemoryFlash({
    sectorSizeBytes: scenario.sectorSize,
    sectorCount: scenario.sectorCount,
    alignmentBytes: scenario.alignment,
  });
  const partition = new FlashPartition(flash);
  const options = {
    ...scenarioStoreOptions(scenario),
    surplusKeys: 'refuse' as const,
    readStrategy: config.readStrategy,
  };
  let kvs = new KeyValueStore(partition, options);
  kvs.init();
  const random = splitmix64(config.seed);
  const k = BigInt(config.k);
  const pick = (): number => Number(random() % k);
  const tally = new StatusTally();
  const { valueSize } = config;

  if (config.workload !== 'fill') setUp(kvs, config, pick);
  // Keys, values and read buffers are built before the clock starts: only the store is
  // measured.
  const before = countersOf(flash);
  const watch = new Stopwatch(clocks);
  let ops = 0;
  let mismatches: number | null = null;
  switch (config.workload) {
    case 'fill':
    case 'overwrite': {
      const { keys, values } = measuredWrites(config, pick);
      watch.start();
      putEach(kvs, keys, values, tally);
      watch.stop();
      ops = config.n;
      break;
    }
    case 'get': {
      // As pw_kvs's Get: the value is read into the caller's buffer.
      const indexes = Array.from({ length: config.n }, pick);
      const keys = indexes.map(benchKey);
      const arena = new Uint8Array(config.n * valueSize);
      const buffers = indexes.map((_, t) => arena.subarray(t * valueSize, (t + 1) * valueSize));
      const sizes = new Int32Array(config.n).fill(-1);
      watch.start();
      readEach(kvs, keys, buffers, sizes, tally);
      watch.stop();
      mismatches = countMismatches(indexes, buffers, sizes, valueSize);
      ops = config.n;
      break;
    }
    case 'init': {
      mismatches = 0;
      for (let round = 0; round < config.m; round++) {
        kvs = new KeyValueStore(partition, options);
        watch.start();
        const status = kvs.initStatus();
        watch.stop();
        tally.add(status);
        if (kvs.size !== config.k) mismatches++;
      }
      ops = config.m;
      break;
    }
  }
  const after = countersOf(flash);
  const measured = {} as FlashMeasured;
  for (const field of Object.keys(after) as (keyof FlashMeasured)[]) {
    measured[field] = after[field] - before[field];
  }
  return {
    seconds: watch.wallMs / 1000,
    cpuSeconds: watch.cpuMs / 1000,
    ops,
    statusCounts: tally.counts(),
    mismatches,
    flash: measured,
    indexBytes: kvs.indexMemoryBytes,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Runs a benchmark `config.warmup` times unmeasured, then `config.repeat` times, on a fresh
 * flash each time. `clock` is a millisecond wall clock (performance.now in Node and
 * browsers), or wall and CPU clocks; with a CPU clock the report adds CPU time. Flash counters
 * are those of the last run (they are deterministic); the times are medians.
 */
export function runBench(config: BenchConfig, clock: (() => number) | BenchClocks): BenchReport {
  const clocks = typeof clock === 'function' ? { wall: clock } : clock;
  for (let i = 0; i < config.warmup; i++) runOnce(config, clocks);
  const runs: RunResult[] = [];
  for (let i = 0; i < config.repeat; i++) runs.push(runOnce(config, clocks));
  const wall = median(runs.map((run) => run.seconds));
  const last = runs[runs.length - 1]!;
  const perOp = (seconds: number): number => (last.ops === 0 ? 0 : (seconds / last.ops) * 1e6);
  const report: BenchReport = {
    ops: last.ops,
    wall_s_median: wall,
    us_per_op: perOp(wall),
    status_counts: last.statusCounts,
    mismatches: last.mismatches,
    flash_measured: last.flash,
    index_bytes: last.indexBytes,
  };
  if (clocks.cpu !== undefined) {
    const cpu = median(runs.map((run) => run.cpuSeconds));
    report.cpu_s_median = cpu;
    report.cpu_us_per_op = perOp(cpu);
  }
  return report;
}
