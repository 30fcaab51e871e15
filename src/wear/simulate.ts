import { KeyValueStore } from '../engine/key-value-store.js';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { geometryOf, storeOptionsOf } from '../image/config.js';
import { type ErrorCode, KvsError } from '../status.js';
import { DEFAULT_SPI_NOR_TIMING, type TimingModel } from './timing.js';
import {
  SECONDS_PER_DAY,
  SECONDS_PER_YEAR,
  type WearConfig,
  type WearKey,
  type WearWorkload,
} from './workload.js';

// ---- Options and report ------------------------------------------------------------------------

/** What to simulate. */
export interface WearOptions {
  /** The store: geometry, formats, redundancy, index size, GC policy. */
  readonly config: WearConfig;
  /** The keys and their write rates. */
  readonly workload: WearWorkload;
  /** Erases a sector survives, ≥ 1. Defaults to 100 000. */
  readonly enduranceCycles?: number;
  /** How long the workload runs, in years (> 0). Defaults to 10. */
  readonly horizonYears?: number;
  /** Datasheet timing of the flash. Defaults to {@link DEFAULT_SPI_NOR_TIMING}. */
  readonly timing?: TimingModel;
  /**
   * Stop simulating once the per-sector erase pattern repeats (three identical cycles, aligned
   * to the workload's hyperperiod) and extrapolate the rest. Defaults to true.
   */
  readonly fastForward?: boolean;
  /** Erase-count snapshots over the horizon, for charts (≥ 1). Defaults to 120. */
  readonly samples?: number;
  /**
   * Whose reads the latency is computed with: `pw_kvs` (the default) reads the flash as the
   * firmware's pw_kvs does, call for call and byte for byte (its read calls per put, checked
   * against the real pw_kvs: test/fixtures/wear-reads); `flashkv` reads it as flashkv's store
   * does by default (fewer, coalesced reads). Erases and bytes written are the same either way.
   */
  readonly readStrategy?: WearReadStrategy;
  /** Called every 65 536 simulated writes with the writes done and the horizon's total. */
  readonly onProgress?: (writesDone: number, writesTotal: number) => void;
}

/** Whose read pattern the latency model counts; see {@link WearOptions.readStrategy}. */
export type WearReadStrategy = 'pw_kvs' | 'flashkv';

/** Erase counts per sector at one moment of the horizon. */
export interface WearSample {
  /** Seconds since the start. */
  readonly seconds: number;
  /** Erases of each sector so far. */
  readonly eraseCounts: readonly number[];
  /** True if the counts come from the fast-forward rather than the store. */
  readonly extrapolated: boolean;
}

/** The repeating pattern the fast-forward found. */
export interface SteadyState {
  /** Writes in one cycle of the pattern. */
  readonly cycleWrites: number;
  /** Duration of one cycle, in seconds. */
  readonly cycleSeconds: number;
  /** Erases of each sector in one cycle. */
  readonly cycleEraseCounts: readonly number[];
  /** Writes simulated when the pattern was confirmed (its third repetition ended). */
  readonly confirmedAfterWrites: number;
  /** Simulated time when the pattern was confirmed, in seconds. */
  readonly confirmedAfterSeconds: number;
}

/**
 * Write latency under the timing model, over every write of the horizon: the simulated ones,
 * and under the fast-forward the repeating block's writes once for each time it repeats.
 */
export interface LatencyReport {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly meanMs: number;
  /** Every distinct latency and how many simulated writes took it, fastest first. */
  readonly histogram: readonly { readonly ms: number; readonly writes: number }[];
}

/** What a wear simulation found. Counts are for the whole horizon unless said otherwise. */
export interface WearReport {
  readonly sectorCount: number;
  readonly sectorSizeBytes: number;
  readonly enduranceCycles: number;
  readonly horizonSeconds: number;
  /** Writes the workload makes over the horizon (static ones included). */
  readonly totalWrites: number;
  /** Writes the store actually performed. */
  readonly simulatedWrites: number;
  /** Writes accounted for by the fast-forward (`totalWrites - simulatedWrites`). */
  readonly extrapolatedWrites: number;
  /** The repeating pattern, when the fast-forward found one. */
  readonly steadyState: SteadyState | undefined;
  /** Erases of each sector at the end of the horizon. */
  readonly eraseCounts: readonly number[];
  /** Erases of each sector per day, averaged over the horizon. */
  readonly erasesPerSectorPerDay: readonly number[];
  /**
   * Seconds until the first sector reaches `enduranceCycles` erases; Infinity if no sector is
   * ever erased. May lie beyond the horizon (see `lifetimeMethod`).
   */
  readonly lifetimeSeconds: number;
  /** The sector that wears out first; undefined when none does. */
  readonly firstWornSector: number | undefined;
  /**
   * How the lifetime was found: `simulated` (reached in the simulated writes), `cycle` (from
   * the repeating pattern), `rate` (beyond the horizon, at the erase rate of its second half)
   * or `never` (no sector is erased).
   */
  readonly lifetimeMethod: 'simulated' | 'cycle' | 'rate' | 'never';
  /** Bytes programmed into the flash (headers, keys, values, padding, GC relocations). */
  readonly flashBytesWritten: number;
  /** Value bytes the workload wrote. */
  readonly valueBytesWritten: number;
  /** `flashBytesWritten / valueBytesWritten`. */
  readonly writeAmplification: number;
  /** Sectors garbage collected (each collection ends with one erase). */
  readonly gcEvents: number;
  /** Writes that had to garbage collect before they could land. */
  readonly writesWithGc: number;
  readonly latency: LatencyReport;
  /** Whose reads the latency counts. */
  readonly readStrategy: WearReadStrategy;
  /** Erase counts over time, evenly spaced over the horizon (both ends included). */
  readonly samples: readonly WearSample[];
}

// ---- The schedule ------------------------------------------------------------------------------

/** Writes of `key` with a time ≤ `seconds` (a periodic key's k-th write is at offset + k·period). */
function writesBy(key: WearKey, seconds: number): number {
  if (key.periodSeconds === undefined) return 1;
  const { offsetSeconds: offset, periodSeconds: period } = key;
  if (offset > seconds) return 0;
  // Exact against the time formula the schedule uses, whatever the rounding of the division.
  let writes = Math.floor((seconds - offset) / period) + 1;
  while (writes > 1 && offset + (writes - 1) * period > seconds) writes--;
  while (offset + writes * period <= seconds) writes++;
  return writes;
}

/**
 * A min-heap of periodic keys by the time of their next write (ties: the earlier key in the
 * workload), so writes come out in time order.
 */
class Schedule {
  private readonly heap: Int32Array;
  private readonly nextTime: Float64Array;
  private readonly nextIndex: Float64Array;
  private size = 0;

  constructor(
    private readonly keys: readonly WearKey[],
    private readonly limits: readonly number[],
  ) {
    this.heap = new Int32Array(keys.length);
    this.nextTime = new Float64Array(keys.length);
    this.nextIndex = new Float64Array(keys.length);
    keys.forEach((key, stream) => {
      if (key.periodSeconds === undefined || limits[stream] === 0) return;
      this.nextTime[stream] = key.offsetSeconds;
      this.heap[this.size++] = stream;
      this.siftUp(this.size - 1);
    });
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** The key written next. */
  peekStream(): number {
    return this.heap[0]!;
  }

  /** The time of the next write, in seconds. */
  peekTime(): number {
    return this.nextTime[this.heap[0]!]!;
  }

  /** Moves the next key on to its following write (or off the schedule after its last). */
  advance(): void {
    const stream = this.heap[0]!;
    const index = this.nextIndex[stream]! + 1;
    if (index >= this.limits[stream]!) {
      this.heap[0] = this.heap[--this.size]!;
    } else {
      this.nextIndex[stream] = index;
      const key = this.keys[stream]!;
      this.nextTime[stream] = key.offsetSeconds + index * key.periodSeconds!;
    }
    if (this.size > 0) this.siftDown(0);
  }

  private less(a: number, b: number): boolean {
    const ta = this.nextTime[a]!;
    const tb = this.nextTime[b]!;
    return ta < tb || (ta === tb && a < b);
  }

  private siftUp(at: number): void {
    const heap = this.heap;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.less(heap[at]!, heap[parent]!)) return;
      [heap[at], heap[parent]] = [heap[parent]!, heap[at]!];
      at = parent;
    }
  }

  private siftDown(at: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= this.size) return;
      const right = left + 1;
      const child = right < this.size && this.less(heap[right]!, heap[left]!) ? right : left;
      if (!this.less(heap[child]!, heap[at]!)) return;
      [heap[at], heap[child]] = [heap[child]!, heap[at]!];
      at = child;
    }
  }
}

// ---- Steady-state detection --------------------------------------------------------------------

/** How many earlier erases with the same signature are tried as the start of a cycle. */
const CANDIDATES_PER_SIGNATURE = 32;

/**
 * The log of erases and the search for a repeating pattern in it. An erase's signature is
 * (writes since the previous erase, sector, position in the workload's hyperperiod); the
 * pattern has repeated when the last 3k signatures are one block of k, three times over.
 */
class EraseLog {
  readonly write: number[] = [];
  readonly time: number[] = [];
  readonly sector: number[] = [];
  readonly bytes: number[] = [];
  readonly gcWrites: number[] = [];
  private readonly signature: string[] = [];
  private readonly bySignature = new Map<string, number[]>();
  /** The first erase that belongs to the periodic part (static writes come first). */
  firstPeriodic = -1;

  add(write: number, time: number, sector: number, phase: number): void {
    const previous = this.write.length === 0 ? 0 : this.write[this.write.length - 1]!;
    this.write.push(write);
    this.time.push(time);
    this.sector.push(sector);
    this.signature.push(`${write - previous},${sector},${phase}`);
    if (phase >= 0 && this.firstPeriodic < 0) this.firstPeriodic = this.write.length - 1;
  }

  /** Records the counters after the write that made the latest erases. */
  closeWrite(bytesWritten: number, gcWrites: number): void {
    while (this.bytes.length < this.write.length) {
      this.bytes.push(bytesWritten);
      this.gcWrites.push(gcWrites);
    }
  }

  /**
   * The length k (in erases) of a pattern that ends at the latest erase and has repeated three
   * times, or 0. Call after every write that erased.
   */
  findCycle(): number {
    const last = this.write.length - 1;
    const signature = this.signature[last]!;
    let found = 0;
    if (this.firstPeriodic >= 0) {
      for (const start of this.bySignature.get(signature) ?? []) {
        const k = last - start;
        if (last - 3 * k + 1 < this.firstPeriodic) break;
        // The erase after the cycle's start must fall in a later write, as the next one will.
        if (this.write[start + 1] === this.write[start]) continue;
        let repeats = true;
        for (let q = 0; q < 2 * k && repeats; q++) {
          repeats = this.signature[last - q] === this.signature[last - q - k];
        }
        if (repeats) {
          found = k;
          break;
        }
      }
    }
    const starts = this.bySignature.get(signature);
    if (starts === undefined) this.bySignature.set(signature, [last]);
    else {
      starts.unshift(last);
      if (starts.length > CANDIDATES_PER_SIGNATURE) starts.pop();
    }
    return found;
  }
}

/**
 * What each simulated write did, for the fast-forward's extrapolation: the bytes it programmed
 * and its latency (an index into the distinct latencies), by write number (1-based).
 */
class WriteLog {
  bytes: Uint32Array = new Uint32Array(1024);
  latency: Uint32Array = new Uint32Array(1024);
  readonly latencies: number[] = [];
  private readonly ids = new Map<number, number>();

  add(serial: number, bytes: number, ms: number): void {
    if (serial >= this.bytes.length) {
      const grow = (old: Uint32Array): Uint32Array => {
        const next = new Uint32Array(old.length * 2);
        next.set(old);
        return next;
      };
      this.bytes = grow(this.bytes);
      this.latency = grow(this.latency);
    }
    let id = this.ids.get(ms);
    if (id === undefined) {
      id = this.latencies.length;
      this.latencies.push(ms);
      this.ids.set(ms, id);
    }
    this.bytes[serial] = bytes;
    this.latency[serial] = id;
  }
}

/** The detected cycle, and the extrapolation of counts and times from it. */
class Cycle {
  readonly writes: number;
  readonly seconds: number;
  readonly eraseCounts: number[];
  private readonly offsets: number[] = [];
  private readonly times: number[] = [];
  private readonly sectors: number[] = [];
  private readonly bytes: number;
  private readonly gcWrites: number;
  /** The write just before the cycle's first write (the cycle is writes start+1..start+writes). */
  private readonly startWrite: number;
  /** Writes of the cycle that garbage collected, as offsets 1..writes, ascending. */
  private readonly gcOffsets: number[] = [];

  constructor(
    log: EraseLog,
    k: number,
    sectorCount: number,
    private readonly baseWrite: number,
    private readonly baseCounts: readonly number[],
    private readonly baseBytes: number,
    private readonly baseGcWrites: number,
  ) {
    const last = log.write.length - 1;
    const start = last - k;
    this.writes = log.write[last]! - log.write[start]!;
    this.seconds = log.time[last]! - log.time[start]!;
    this.bytes = log.bytes[last]! - log.bytes[start]!;
    this.gcWrites = log.gcWrites[last]! - log.gcWrites[start]!;
    this.startWrite = log.write[start]!;
    this.eraseCounts = new Array<number>(sectorCount).fill(0);
    for (let q = 1; q <= k; q++) {
      const offset = log.write[start + q]! - log.write[start]!;
      if (this.gcOffsets.at(-1) !== offset) this.gcOffsets.push(offset);
      this.offsets.push(offset);
      this.times.push(log.time[start + q]!);
      this.sectors.push(log.sector[start + q]!);
      this.eraseCounts[log.sector[start + q]!]!++;
    }
  }

  /** Erase counts after `write` writes (≥ the base). */
  countsAt(write: number): number[] {
    const done = write - this.baseWrite;
    const cycles = Math.floor(done / this.writes);
    const rest = done - cycles * this.writes;
    const counts = this.baseCounts.map((count, s) => count + cycles * this.eraseCounts[s]!);
    for (let q = 0; q < this.offsets.length && this.offsets[q]! <= rest; q++) {
      counts[this.sectors[q]!]!++;
    }
    return counts;
  }

  /**
   * Flash bytes and GC writes after `write` writes (≥ the base), exactly as erases are
   * extrapolated: whole cycles, then the partial cycle's writes one by one, as they happened in
   * the cycle (`writeLog`).
   */
  totalsAt(write: number, writeLog: WriteLog): { bytes: number; gcWrites: number } {
    const done = write - this.baseWrite;
    const cycles = Math.floor(done / this.writes);
    const rest = done - cycles * this.writes;
    let bytes = this.baseBytes + cycles * this.bytes;
    for (let w = 1; w <= rest; w++) bytes += writeLog.bytes[this.startWrite + w]!;
    let gcWrites = this.baseGcWrites + cycles * this.gcWrites;
    for (let q = 0; q < this.gcOffsets.length && this.gcOffsets[q]! <= rest; q++) gcWrites++;
    return { bytes, gcWrites };
  }

  /**
   * Adds the latencies of the writes after the base up to `write` to `histogram`: each write
   * of the cycle once per whole cycle, and the partial cycle's writes once.
   */
  addLatencies(write: number, writeLog: WriteLog, histogram: Map<number, number>): void {
    const done = write - this.baseWrite;
    const cycles = Math.floor(done / this.writes);
    const rest = done - cycles * this.writes;
    for (let w = 1; w <= this.writes; w++) {
      const ms = writeLog.latencies[writeLog.latency[this.startWrite + w]!]!;
      const times = cycles + (w <= rest ? 1 : 0);
      if (times > 0) histogram.set(ms, (histogram.get(ms) ?? 0) + times);
    }
  }

  /** When `sector` reaches `erases` erases (beyond the base), in seconds; Infinity if never. */
  timeOfErase(sector: number, erases: number): number {
    const perCycle = this.eraseCounts[sector]!;
    if (perCycle === 0) return Number.POSITIVE_INFINITY;
    const needed = erases - this.baseCounts[sector]!;
    const cycles = Math.floor((needed - 1) / perCycle);
    let nth = needed - cycles * perCycle;
    for (let q = 0; q < this.sectors.length; q++) {
      if (this.sectors[q] === sector && --nth === 0) {
        return this.times[q]! + (cycles + 1) * this.seconds;
      }
    }
    throw new Error('unreachable: the cycle holds perCycle erases of the sector');
  }
}

// ---- Reporting helpers ----------------------------------------------------------------------

/** A duration for people: "42 s", "3.5 min", "7.2 h", "21.6 days", "1 year" or "13.59 years". */
export function describeDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  if (seconds < 120) return `${+seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${+(seconds / 60).toFixed(1)} min`;
  if (seconds < 2 * SECONDS_PER_DAY) return `${+(seconds / 3600).toFixed(1)} h`;
  if (seconds < 2 * SECONDS_PER_YEAR) return `${+(seconds / SECONDS_PER_DAY).toFixed(1)} days`;
  const years = +(seconds / SECONDS_PER_YEAR).toFixed(2);
  return years === 1 ? '1 year' : `${years} years`;
}

// ---- Latency -----------------------------------------------------------------------------------

function latencyReport(histogram: Map<number, number>): LatencyReport {
  const entries = [...histogram].sort((a, b) => a[0] - b[0]);
  const total = entries.reduce((sum, [, writes]) => sum + writes, 0);
  const quantile = (fraction: number): number => {
    const rank = Math.max(1, Math.ceil(fraction * total));
    let seen = 0;
    for (const [ms, writes] of entries) {
      seen += writes;
      if (seen >= rank) return ms;
    }
    return entries.at(-1)?.[0] ?? 0;
  };
  const sum = entries.reduce((acc, [ms, writes]) => acc + ms * writes, 0);
  return {
    p50Ms: quantile(0.5),
    p99Ms: quantile(0.99),
    maxMs: entries.at(-1)?.[0] ?? 0,
    meanMs: total === 0 ? 0 : sum / total,
    histogram: entries.map(([ms, writes]) => ({ ms, writes })),
  };
}

// ---- The simulation ----------------------------------------------------------------------------

const PROGRESS_EVERY = 1 << 16;

function positive(name: string, value: number, integer: boolean): number {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isSafeInteger(value))) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `${name} must be ${integer ? 'a positive integer' : 'a number > 0'}, got ${value}`,
    );
  }
  return value;
}

/**
 * Runs the workload on a fresh store over `horizonYears` and reports wear, write
 * amplification, garbage collection and latency. Static keys are written first (at time 0),
 * then every periodic key's writes in time order, each with a new value. With `fastForward`,
 * the run stops once the erase pattern repeats and the rest is extrapolated from it.
 *
 * Throws INVALID_ARGUMENT for a bad option, and the store's error (RESOURCE_EXHAUSTED when the
 * workload does not fit, naming the write and the time) when a write fails.
 */
export function simulateWear(options: WearOptions): WearReport {
  const { config, workload } = options;
  const endurance = positive('endurance', options.enduranceCycles ?? 100_000, true);
  const horizonSeconds =
    positive('horizon (years)', options.horizonYears ?? 10, false) * SECONDS_PER_YEAR;
  const sampleCount = positive('samples', options.samples ?? 120, true);
  const timing = options.timing ?? DEFAULT_SPI_NOR_TIMING;
  const fastForward = options.fastForward ?? true;
  const readStrategy = options.readStrategy ?? 'pw_kvs';
  if (readStrategy !== 'pw_kvs' && readStrategy !== 'flashkv') {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `read strategy must be pw_kvs or flashkv, got ${String(readStrategy)}`,
    );
  }
  const sectorCount = config.sectorCount;

  const flash = new MemoryFlash(geometryOf(config));
  const store = new KeyValueStore(new FlashPartition(flash), {
    ...storeOptionsOf(config),
    gcOnWrite: config.gcOnWrite,
    // pw_kvs's reads are the engine's 'pwKvs' strategy (the same calls and bytes on every put);
    // flashkv's are its default.
    readStrategy: readStrategy === 'pw_kvs' ? 'pwKvs' : 'trusted',
  });
  store.init();

  const keys = workload.keys;
  const limits = keys.map((key) => writesBy(key, horizonSeconds));
  const totalWrites = limits.reduce((sum, n) => sum + n, 0);
  const staticWrites = keys.filter((key) => key.periodSeconds === undefined).length;
  const valueBytesWritten = keys.reduce((sum, key, i) => sum + limits[i]! * key.valueSizeBytes, 0);
  const writesPerHyperperiod =
    workload.hyperperiodSeconds === undefined
      ? undefined
      : keys.reduce(
          (sum, key) =>
            key.periodSeconds === undefined
              ? sum
              : sum + Math.round(workload.hyperperiodSeconds! / key.periodSeconds),
          0,
        );
  const values = keys.map((key) => new Uint8Array(key.valueSizeBytes));
  const versions = new Uint32Array(keys.length);

  const counters = flash.counters;
  const eraseCounts = new Array<number>(sectorCount).fill(0);
  const wornAt = new Array<number>(sectorCount).fill(Number.NaN);
  const latencies = new Map<number, number>();
  const samples: WearSample[] = [];
  const sampleSeconds = (m: number): number => (horizonSeconds * m) / sampleCount;
  const log = fastForward ? new EraseLog() : undefined;
  const writeLog = fastForward ? new WriteLog() : undefined;
  let nextSample = 0;
  let writes = 0;
  let writesWithGc = 0;
  let erasesSeen = 0;
  let cycle: Cycle | undefined;
  let confirmedAfterWrites = 0;
  let confirmedAfterSeconds = 0;
  let { writeCalls, bytesWritten, readCalls, bytesRead } = counters;

  const write = (stream: number, seconds: number): boolean => {
    const key = keys[stream]!;
    const value = values[stream]!;
    // A new value every time (pw_kvs skips writing a value equal to the stored one): the key's
    // own write count, so even a 1-byte value differs from the one before.
    const serial = ++writes;
    const version = ++versions[stream]!;
    value[0] = version;
    if (value.length > 1) value[1] = version >>> 8;
    if (value.length > 2) value[2] = version >>> 16;
    if (value.length > 3) value[3] = version >>> 24;
    const status = store.putStatus(key.key, value);
    if (status !== 'OK') {
      throw new KvsError(
        status as ErrorCode,
        `write ${serial} (${key.name}, ${key.valueSizeBytes} B, at ${describeDuration(seconds)}) failed with ${status}` +
          (status !== 'RESOURCE_EXHAUSTED'
            ? ''
            : config.gcOnWrite === 'disabled'
              ? `: ${sectorCount} × ${config.sectorSizeBytes} B is full and gc_on_write is disabled`
              : `: the workload does not fit in ${sectorCount} × ${config.sectorSizeBytes} B`),
      );
    }
    let erased = 0;
    if (counters.eraseCalls !== erasesSeen) {
      erasesSeen = counters.eraseCalls;
      const phase =
        serial <= staticWrites
          ? -1
          : writesPerHyperperiod === undefined
            ? 0
            : (serial - staticWrites) % writesPerHyperperiod;
      const counts = counters.sectorEraseCounts;
      for (let s = 0; s < sectorCount; s++) {
        while (eraseCounts[s]! < counts[s]!) {
          erased++;
          if (++eraseCounts[s]! === endurance) wornAt[s] = seconds;
          log?.add(serial, seconds, s, phase);
        }
      }
      writesWithGc++;
    }
    const ms =
      (counters.writeCalls - writeCalls) * timing.programCallMs +
      (counters.bytesWritten - bytesWritten) * timing.programByteMs +
      (counters.readCalls - readCalls) * timing.readCallMs +
      (counters.bytesRead - bytesRead) * timing.readByteMs +
      erased * timing.eraseSectorMs;
    writeLog?.add(serial, counters.bytesWritten - bytesWritten, ms);
    ({ writeCalls, bytesWritten, readCalls, bytesRead } = counters);
    latencies.set(ms, (latencies.get(ms) ?? 0) + 1);
    if (erased > 0 && log !== undefined) {
      log.closeWrite(bytesWritten, writesWithGc);
      const k = serial > staticWrites ? log.findCycle() : 0;
      if (k > 0) {
        cycle = new Cycle(log, k, sectorCount, serial, eraseCounts, bytesWritten, writesWithGc);
        confirmedAfterWrites = serial;
        confirmedAfterSeconds = seconds;
        return false;
      }
    }
    if ((serial & (PROGRESS_EVERY - 1)) === 0) options.onProgress?.(serial, totalWrites);
    return true;
  };

  keys.forEach((key, stream) => {
    if (key.periodSeconds === undefined) write(stream, 0);
  });
  const schedule = new Schedule(keys, limits);
  let running = true;
  while (running && !schedule.isEmpty) {
    const seconds = schedule.peekTime();
    while (nextSample <= sampleCount && sampleSeconds(nextSample) < seconds) {
      samples.push({
        seconds: sampleSeconds(nextSample++),
        eraseCounts: eraseCounts.slice(),
        extrapolated: false,
      });
    }
    running = write(schedule.peekStream(), seconds);
    schedule.advance();
  }

  let finalCounts: readonly number[] = eraseCounts;
  let flashBytesWritten = counters.bytesWritten;
  let gcWrites = writesWithGc;
  const found = cycle as Cycle | undefined;
  if (found !== undefined) {
    // Writes done by each sample time follow from the schedule; counts from the cycle.
    while (nextSample <= sampleCount) {
      const at = sampleSeconds(nextSample++);
      const done = keys.reduce((sum, key, i) => sum + Math.min(limits[i]!, writesBy(key, at)), 0);
      samples.push({
        seconds: at,
        eraseCounts: done <= writes ? eraseCounts.slice() : found.countsAt(done),
        extrapolated: done > writes,
      });
    }
    finalCounts = found.countsAt(totalWrites);
    ({ bytes: flashBytesWritten, gcWrites } = found.totalsAt(totalWrites, writeLog!));
    found.addLatencies(totalWrites, writeLog!, latencies);
  } else {
    while (nextSample <= sampleCount) {
      samples.push({
        seconds: sampleSeconds(nextSample++),
        eraseCounts: eraseCounts.slice(),
        extrapolated: false,
      });
    }
  }
  options.onProgress?.(totalWrites, totalWrites);

  // Lifetime: the first sector to reach the endurance, from the run, the cycle or the rate.
  let lifetimeSeconds = Number.POSITIVE_INFINITY;
  let firstWornSector: number | undefined;
  let lifetimeMethod: WearReport['lifetimeMethod'] = 'never';
  const consider = (
    sector: number,
    seconds: number,
    method: WearReport['lifetimeMethod'],
  ): void => {
    if (seconds < lifetimeSeconds) {
      lifetimeSeconds = seconds;
      firstWornSector = sector;
      lifetimeMethod = method;
    }
  };
  const half = samples[Math.floor(sampleCount / 2)]!;
  const end = samples[samples.length - 1]!;
  for (let s = 0; s < sectorCount; s++) {
    if (!Number.isNaN(wornAt[s]!)) consider(s, wornAt[s]!, 'simulated');
    else if (found !== undefined) consider(s, found.timeOfErase(s, endurance), 'cycle');
    else {
      const rate = (end.eraseCounts[s]! - half.eraseCounts[s]!) / (end.seconds - half.seconds);
      if (rate > 0) consider(s, end.seconds + (endurance - end.eraseCounts[s]!) / rate, 'rate');
    }
  }

  const days = horizonSeconds / SECONDS_PER_DAY;
  return {
    sectorCount,
    sectorSizeBytes: config.sectorSizeBytes,
    enduranceCycles: endurance,
    horizonSeconds,
    totalWrites,
    simulatedWrites: writes,
    extrapolatedWrites: totalWrites - writes,
    steadyState:
      found === undefined
        ? undefined
        : {
            cycleWrites: found.writes,
            cycleSeconds: found.seconds,
            cycleEraseCounts: found.eraseCounts,
            confirmedAfterWrites,
            confirmedAfterSeconds,
          },
    eraseCounts: finalCounts,
    erasesPerSectorPerDay: finalCounts.map((count) => count / days),
    lifetimeSeconds,
    firstWornSector,
    lifetimeMethod,
    flashBytesWritten,
    valueBytesWritten,
    writeAmplification: flashBytesWritten / valueBytesWritten,
    gcEvents: finalCounts.reduce((sum, count) => sum + count, 0),
    writesWithGc: gcWrites,
    latency: latencyReport(latencies),
    readStrategy,
    samples,
  };
}
