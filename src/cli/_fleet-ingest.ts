import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SingleBar } from 'cli-progress';
import { type BatchCounts, type FleetTarget, FleetWriter } from './_fleet-db.js';
import { type ScannedDump, scanDump } from './_fleet-scan.js';
import type { ConfigArgs } from './_image.js';
import { io } from './_io.js';

// The ingest loop of `flashkv fleet ingest`: worker threads scan the dumps a chunk at a time
// while this thread appends their rows to the database, one transaction per batch. At most a
// few batches of rows are in memory, whatever the fleet's size; Ctrl-C stops dispatching,
// commits the dumps already scanned and ends.

/** The worker script beside this file, when running from the build (not from the sources). */
const WORKER = new URL('./_fleet-worker.js', import.meta.url);

/** Paths sent to a worker at a time. */
const CHUNK_DUMPS = 32;

/** Options of {@link ingestDumps}. */
export interface IngestOptions {
  readonly target: FleetTarget;
  readonly args: ConfigArgs;
  /** The labels JSON of a dump's path, or null. */
  readonly labelsOf: (path: string) => string | null;
  /** Dumps per transaction. */
  readonly batchDumps: number;
  /** Worker threads (0: scan in this thread). Defaults to the machine's parallelism. */
  readonly threads?: number;
  /** Show a progress bar on stderr (only on a terminal). */
  readonly progress: boolean;
}

/** What an ingest did. */
export interface IngestSummary extends BatchCounts {
  readonly dumps: number;
  readonly seconds: number;
  /** Set when Ctrl-C stopped it: what was committed is kept, the rest was not read. */
  readonly interrupted: boolean;
}

interface Pool {
  /** Scans `paths` somewhere, resolving to their rows. */
  scan(paths: string[]): Promise<ScannedDump[]>;
  readonly size: number;
  close(): Promise<void>;
}

function threadPool(threads: number, args: ConfigArgs, known: readonly string[]): Pool {
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER, { workerData: { args, known } }),
  );
  const idle = [...workers];
  const waiting: ((worker: Worker) => void)[] = [];
  const take = (): Promise<Worker> =>
    new Promise((resolve) => {
      const worker = idle.pop();
      if (worker !== undefined) resolve(worker);
      else waiting.push(resolve);
    });
  const give = (worker: Worker): void => {
    const next = waiting.shift();
    if (next !== undefined) next(worker);
    else idle.push(worker);
  };
  return {
    size: threads,
    async scan(paths) {
      const worker = await take();
      return new Promise<ScannedDump[]>((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        worker.once('error', onError);
        worker.once('message', (rows: ScannedDump[]) => {
          worker.off('error', onError);
          give(worker);
          resolve(rows);
        });
        worker.postMessage(paths);
      });
    },
    async close() {
      await Promise.all(workers.map((worker) => worker.terminate()));
    },
  };
}

function inThreadPool(args: ConfigArgs, known: ReadonlySet<string>): Pool {
  return {
    size: 1,
    scan: (paths) =>
      new Promise((resolve) =>
        // A macrotask per chunk, so Ctrl-C (and the writes) get their turn.
        setImmediate(() =>
          resolve(paths.map((path) => scanDump(path, args, (id) => known.has(id)))),
        ),
      ),
    close: async () => {},
  };
}

/**
 * Ingests `paths` into `options.target`: scans each (worker threads when running from the
 * build), writes new dumps in batches, skips those the target holds. Resolves to what it did.
 */
export async function ingestDumps(
  paths: readonly string[],
  options: IngestOptions,
): Promise<IngestSummary> {
  const started = performance.now();
  const writer = await FleetWriter.open(options.target);
  const threads = Math.max(
    0,
    Math.min(options.threads ?? availableParallelism(), 8, Math.ceil(paths.length / CHUNK_DUMPS)),
  );
  const pool =
    threads > 0 && existsSync(WORKER)
      ? threadPool(threads, options.args, [...writer.known])
      : inThreadPool(options.args, new Set(writer.known));
  const bar =
    options.progress && io().stderr.isTTY === true
      ? new SingleBar({
          format: ' {bar} {value}/{total} dumps  {rate} dumps/s  ETA {eta_formatted}',
          clearOnComplete: true,
          etaBuffer: 200,
          stream: io().stderr as NodeJS.WritableStream,
        })
      : undefined;
  bar?.start(paths.length, 0, { rate: '0' });
  const totals: BatchCounts = { added: 0, skipped: 0, unreadable: 0, problems: 0 };
  let interrupted = false;
  const onInterrupt = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onInterrupt);
  let pending: ScannedDump[] = [];
  let done = 0;
  let writing: Promise<void> = Promise.resolve();
  const ingestedAt = Date.now();
  const flush = (): Promise<void> => {
    const batch = pending;
    pending = [];
    writing = writing.then(async () => {
      if (batch.length === 0) return;
      const counts = await writer.write(batch, ingestedAt, options.labelsOf);
      totals.added += counts.added;
      totals.skipped += counts.skipped;
      totals.unreadable += counts.unreadable;
      totals.problems += counts.problems;
    });
    return writing;
  };
  // Chunks come back in any order; they are written in the sources' order, so a run is
  // deterministic (of two dumps with the same bytes and config, the first listed is recorded).
  const ready = new Map<number, { rows: ScannedDump[]; length: number }>();
  let emitted = 0;
  const release = (): void => {
    for (let chunk = ready.get(emitted); chunk !== undefined; chunk = ready.get(emitted)) {
      ready.delete(emitted);
      pending.push(...chunk.rows);
      emitted += chunk.length;
    }
  };
  try {
    let next = 0;
    // Each lane keeps one chunk in flight; two lanes a worker keep every worker busy while
    // its results travel back.
    const lane = async (): Promise<void> => {
      while (!interrupted && next < paths.length) {
        const start = next;
        const chunk = paths.slice(start, start + CHUNK_DUMPS);
        next += chunk.length;
        const rows = await pool.scan(chunk);
        ready.set(start, { rows, length: chunk.length });
        // Scanned before Ctrl-C was seen: complete, so committed with the rest (below).
        if (interrupted) break;
        release();
        done += rows.length;
        bar?.update(done, {
          rate: Math.round(done / ((performance.now() - started) / 1000)).toString(),
        });
        if (pending.length >= options.batchDumps) await flush();
      }
    };
    await Promise.all(Array.from({ length: pool.size * 2 }, lane));
    release();
    // After Ctrl-C, the complete chunks behind a gap too, still in the sources' order.
    for (const start of [...ready.keys()].sort((x, y) => x - y))
      pending.push(...ready.get(start)!.rows);
    await flush();
  } finally {
    process.off('SIGINT', onInterrupt);
    bar?.stop();
    await pool.close();
    writer.close();
  }
  return {
    ...totals,
    dumps: paths.length,
    seconds: (performance.now() - started) / 1000,
    interrupted,
  };
}
