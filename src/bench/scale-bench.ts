import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore } from '../engine/key-value-store.js';
import { benchKey, benchValue, median } from './bench.js';

/** Figures of the large-store benchmark. */
export interface ScaleReport {
  keys: number;
  partitionBytes: number;
  /** The fastest init of the runs (a warm one: the scan compiled). */
  initMs: number;
  /** The first init, which also pays for compiling the scan. */
  firstInitMs: number;
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
  const gc = runInNewContext('gc') as () => void;
  // Twice: array buffers a collection frees are released to the count only by a later one.
  gc();
  gc();
}

/** The scale image: 4 KiB sectors, alignment 16, `keys` keys of 32-byte values. */
export function buildScaleFlash(keys = 100_000, sectorCount = 4096): MemoryFlash {
  const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount, alignmentBytes: 16 });
  const filler = new KeyValueStore(new FlashPartition(flash), { maxEntries: keys });
  filler.init();
  for (let i = 0; i < keys; i++) filler.put(benchKey(i), benchValue(i, 0, 32));
  return flash;
}

/**
 * A 16 MiB partition of 4 KiB sectors holding `keys` keys: how long init takes, how much
 * memory the index needs per key, and what gets and puts cost at that size. Init is the
 * fastest of `initRuns` (each a fresh store on the same flash; the first one also pays for
 * compiling the scan). The heap growth is the first run's, between two forced collections.
 * The later runs force none, and the store before stays alive until the next one is open: a
 * collection that frees a store also throws away the scan's optimized code (V8 drops code
 * whose embedded objects died), so forcing one before every run had each run measure the
 * scan compiled anew rather than a warm init.
 */
export function runScaleBench(
  keys = 100_000,
  sectorCount = 4096,
  flash = buildScaleFlash(keys, sectorCount),
  initRuns = 3,
): ScaleReport {
  const options = { maxEntries: keys };
  let initMs = Number.POSITIVE_INFINITY;
  let firstInitMs = 0;
  let initReadCalls = 0;
  let initBytesRead = 0;
  let heapBytes = 0;
  let store: KeyValueStore | undefined;
  for (let run = 0; run < Math.max(1, initRuns); run++) {
    const measureHeap = run === 0;
    if (measureHeap) collectGarbage();
    const before = process.memoryUsage();
    const fresh = new KeyValueStore(new FlashPartition(flash), options);
    flash.resetCounters();
    const start = performance.now();
    fresh.init();
    const ms = performance.now() - start;
    if (run === 0) firstInitMs = ms;
    initMs = Math.min(initMs, ms);
    initReadCalls = flash.counters.readCalls;
    initBytesRead = flash.counters.bytesRead;
    if (measureHeap) {
      collectGarbage();
      const after = process.memoryUsage();
      heapBytes = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
    }
    store = fresh;
  }
  const opened = store!;

  const sample = Array.from({ length: 20_000 }, (_, t) => benchKey((t * 7919) % keys));
  let start = performance.now();
  for (const key of sample) opened.get(key);
  const getUs = ((performance.now() - start) * 1000) / sample.length;
  const values = sample.map((_, t) => benchValue(t, t + 1, 32));
  start = performance.now();
  for (let t = 0; t < sample.length; t++) opened.put(sample[t]!, values[t]!);
  const putUs = ((performance.now() - start) * 1000) / sample.length;
  return {
    keys,
    partitionBytes: flash.sizeBytes,
    initMs,
    firstInitMs,
    heapBytesPerKey: heapBytes / keys,
    indexBytesPerKey: opened.indexMemoryBytes / keys,
    getUs,
    putUs,
    initReadCalls,
    initBytesRead,
  };
}

/** One CLI command timed on the scale image. */
export interface CliTiming {
  /** The command line after `flashkv`, the image shown as IMAGE. */
  command: string;
  /** Wall-clock milliseconds, process start to exit (Node's start-up included): the median run. */
  ms: number;
  /**
   * CPU milliseconds (user + system) of that process, which other load on the machine
   * hardly changes: the median run. Undefined where the system does not tell (Linux only).
   */
  cpuMs?: number;
  /** Wall-clock milliseconds of every run, in order. */
  runsMs: number[];
  /** Bytes the command printed on stdout. */
  outputBytes: number;
  /** Exit code of the command; null when it was stopped after {@link CLI_TIMEOUT_MS}. */
  status: number | null;
}

/** A CLI command still running after this long is stopped and reported as timed out. */
export const CLI_TIMEOUT_MS = 30_000;

/** The built CLI beside this module (dist/cli/main.js). */
const CLI_PATH = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** Clock ticks per second of /proc's times (USER_HZ, 100 on every Linux). */
const USER_HZ = 100;

/**
 * CPU time (user + system) of the children this process has waited for, in ms, from
 * /proc/self/stat; undefined where there is no /proc.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (name) ": field 3 (state) onwards; cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
    return Number.isFinite(ticks) ? (ticks * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes `flash` to a temporary image file and times the built CLI's `ls`, `dump`, `check`
 * and `export` on it, each as a fresh process with its output read through a pipe, `runs`
 * times (the figures are the median run's).
 */
export function runCliScaleBench(flash: MemoryFlash, keys: number, runs = 3): CliTiming[] {
  const folder = mkdtempSync(join(tmpdir(), 'flashkv-bench-'));
  try {
    const image = join(folder, 'scale.img');
    writeFileSync(image, flash.bytes);
    const config = ['--sector-size', String(flash.sectorSizeBytes), '--max-entries', String(keys)];
    const timings: CliTiming[] = [];
    for (const command of ['ls', 'dump', 'check', 'export']) {
      const runsMs: number[] = [];
      const cpuMs: number[] = [];
      let outputBytes = 0;
      let status: number | null = 0;
      for (let run = 0; run < Math.max(1, runs); run++) {
        const cpuBefore = childrenCpuMs();
        const start = performance.now();
        const result = spawnSync(process.execPath, [CLI_PATH, command, image, ...config], {
          stdio: ['ignore', 'pipe', 'pipe'],
          maxBuffer: 1 << 30,
          timeout: CLI_TIMEOUT_MS,
        });
        runsMs.push(performance.now() - start);
        const cpuAfter = childrenCpuMs();
        if (cpuBefore !== undefined && cpuAfter !== undefined) cpuMs.push(cpuAfter - cpuBefore);
        outputBytes = result.stdout?.length ?? 0;
        status = result.status;
        // A failed or stopped command is reported as it is, not run again.
        if (status !== 0) break;
      }
      timings.push({
        command: `${command} IMAGE ${config.join(' ')}`,
        ms: median(runsMs),
        ...(cpuMs.length === runsMs.length ? { cpuMs: median(cpuMs) } : {}),
        runsMs,
        outputBytes,
        status,
      });
    }
    return timings;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
