import { median } from '../bench/bench.js';
import { KeyValueStore } from '../engine/key-value-store.js';
import { FlashPartition } from '../flash/flash-partition.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { simulateWear } from '../wear/simulate.js';
import { parseWearConfig, parseWearWorkload } from '../wear/workload.js';

/** The simulator's speed, as `npm run bench` reports it. */
export interface WearBench {
  /** Writes simulated (fast-forward off). */
  readonly writes: number;
  /** Simulated writes per second, median of the runs. */
  readonly writesPerSecond: number;
  /** The same store taking the log key's puts in a bare loop, per second: the engine alone. */
  readonly bareStorePutsPerSecond: number;
  /** The goal the issue sets, writes per second. */
  readonly goalWritesPerSecond: number;
}

const CONFIG = { sector_size: 4096, sector_count: 5, alignment: 16, max_entries: 256 };
const WORKLOAD = {
  keys: [
    { key: 'log/last', size: 64, every_s: 60 },
    { prefix: 'cal/', count: 200, size: 32, static: true },
    { key: 'boot/count', size: 4, per_day: 10 },
  ],
};

/**
 * Simulates docs/wear.md's workload (a log every minute, 200 calibration keys, a boot counter)
 * on 5 × 4 KiB for `years` with fast-forward off, `repeat` times, and runs the log key's puts
 * on a bare store for comparison.
 */
export function runWearBench(years = 0.5, repeat = 3): WearBench {
  const config = parseWearConfig(CONFIG, 'bench config');
  const workload = parseWearWorkload(WORKLOAD, 'bench workload', config);
  const rates: number[] = [];
  const bareRates: number[] = [];
  let writes = 0;
  for (let run = 0; run < repeat; run++) {
    const start = performance.now();
    const report = simulateWear({ config, workload, horizonYears: years, fastForward: false });
    rates.push(report.simulatedWrites / ((performance.now() - start) / 1000));
    writes = report.simulatedWrites;

    const flash = new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 5, alignmentBytes: 16 });
    const store = new KeyValueStore(new FlashPartition(flash), { maxEntries: 256 });
    store.init();
    const calibration = new Uint8Array(32);
    for (let i = 0; i < 200; i++) store.put(`cal/${i}`, calibration);
    const key = new TextEncoder().encode('log/last');
    const value = new Uint8Array(64);
    const bareStart = performance.now();
    for (let i = 0; i < writes; i++) {
      value[0] = i;
      value[1] = i >>> 8;
      value[2] = i >>> 16;
      store.putStatus(key, value);
    }
    bareRates.push(writes / ((performance.now() - bareStart) / 1000));
  }
  return {
    writes,
    writesPerSecond: median(rates),
    bareStorePutsPerSecond: median(bareRates),
    goalWritesPerSecond: 500_000,
  };
}
