import { bytesToHex, hexToBytes } from '../bytes.js';
import { FlashPartition } from '../flash/flash-partition.js';
import type { FlashGeometry } from '../flash/flash-memory.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KeyValueStore, type KeyValueStoreOptions } from '../engine/key-value-store.js';
import { KvsError, type StatusCode } from '../status.js';
import { mulberry32 } from '../random.js';
import { type WorkloadOp, type WorkloadOptions, generateWorkload } from './workload.js';

/** Where power is cut: every point in turn, random points, or every point twice over. */
export type CutSchedule = 'linear' | 'random' | 'exhaustive';

/** A torture run: a store configuration, a workload, and where to cut power. */
export interface TortureConfig {
  geometry: FlashGeometry;
  store: KeyValueStoreOptions;
  workload: WorkloadOptions;
  schedule: CutSchedule;
  /** `random`: how many cuts. Defaults to 100. */
  randomCuts?: number;
  /** Cut writes and erases tear (part of the operation lands). */
  torn: boolean;
  /** Seed of the cut points and tears. Defaults to the workload's seed. */
  seed?: number;
}

/** One cut that broke a guarantee, with what is needed to replay it. */
export interface TortureFailure {
  /** Program/erase operations completed before the first cut. */
  cutPoint: number;
  /** Exhaustive schedule: operations the recovery completed before the second cut. */
  secondCutPoint?: number;
  /** Seed of the tear, when torn. */
  tearSeed?: number;
  /** Index of the workload op in flight at the cut. */
  inFlightOp: number;
  /** Keys (hex) whose acknowledged value did not survive. */
  lostKeys: string[];
  /** Why the store could not be used again, if it could not. */
  unrecoverable?: string;
  /** A throw that was not a KvsError. */
  threw?: string;
  /** What each key may hold (hex; null: absent), as the workload acknowledged it. */
  model: [string, (string | null)[]][];
}

/** Totals of a torture run. */
export interface TortureReport {
  cutPoints: number;
  committedWritesLost: number;
  unrecoverable: number;
  nonKvsErrors: number;
  /** Program/erase operations of the uncut workload. */
  programEraseOps: number;
  failures: TortureFailure[];
}

type Acceptable = Map<string, (string | null)[]>;

/** Runs one workload op, returning its status. Only KvsErrors are turned into statuses. */
function apply(kvs: KeyValueStore, op: WorkloadOp): StatusCode {
  switch (op.op) {
    case 'put':
      return kvs.putStatus(op.key, op.value);
    case 'delete':
      return kvs.deleteStatus(op.key);
    case 'partial_maintenance':
      return kvs.partialMaintenanceStatus();
    case 'full_maintenance':
      return kvs.fullMaintenanceStatus();
    case 'heavy_maintenance':
      return kvs.heavyMaintenanceStatus();
  }
}

/** Records what each key may hold after `op` ran with `status` (or was cut: `inFlight`). */
function updateModel(
  model: Acceptable,
  op: WorkloadOp,
  status: StatusCode,
  inFlight: boolean,
): void {
  if (op.op !== 'put' && op.op !== 'delete') return;
  const key = bytesToHex(op.key);
  const next = op.op === 'put' ? bytesToHex(op.value) : null;
  const before = model.get(key) ?? [null];
  if (status === 'OK' && !inFlight) {
    model.set(key, [next]);
  } else if (!before.includes(next)) {
    // Not acknowledged: the store may hold the old value or the new one.
    model.set(key, [...before, next]);
  }
}

interface Replay {
  flash: MemoryFlash;
  model: Acceptable;
  inFlightOp: number;
  threw?: string;
}

function newStore(flash: MemoryFlash, options: KeyValueStoreOptions): KeyValueStore {
  return new KeyValueStore(new FlashPartition(flash), options);
}

/** Runs the workload on a fresh flash, cutting power after `cutPoint` program/erase ops. */
function replay(
  config: TortureConfig,
  ops: WorkloadOp[],
  cutPoint: number | undefined,
  tearSeed: number,
): Replay {
  const flash = new MemoryFlash(config.geometry);
  const model: Acceptable = new Map();
  const kvs = newStore(flash, config.store);
  kvs.init();
  if (cutPoint !== undefined)
    flash.schedulePowerCut(cutPoint, { torn: config.torn, seed: tearSeed });
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    let status: StatusCode;
    try {
      status = apply(kvs, op);
    } catch (error) {
      return { flash, model, inFlightOp: i, threw: describeThrow(error) };
    }
    const cut = !flash.isPoweredOn;
    updateModel(model, op, status, cut);
    if (cut) return { flash, model, inFlightOp: i };
  }
  return { flash, model, inFlightOp: -1 };
}

function describeThrow(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Opens the store after power returns; repairs with maintenance if init could not. */
function recover(
  flash: MemoryFlash,
  options: KeyValueStoreOptions,
): { kvs: KeyValueStore; problem?: string } {
  const kvs = newStore(flash, options);
  const status = kvs.initStatus();
  if (status !== 'OK' && status !== 'DATA_LOSS') return { kvs, problem: `init returned ${status}` };
  if (!kvs.isReady) {
    const repaired = kvs.heavyMaintenanceStatus();
    if (!kvs.isReady) return { kvs, problem: `init ${status}, then maintenance ${repaired}` };
  }
  return { kvs };
}

/** Checks every key against the model and that the store takes a put and a get. */
function verify(
  kvs: KeyValueStore,
  model: Acceptable,
  probeKey: Uint8Array,
): { lost: string[]; problem?: string } {
  const lost: string[] = [];
  for (const [key, acceptable] of model) {
    let actual: string | null;
    try {
      const value = kvs.get(hexToBytes('torture key', key));
      actual = value === undefined ? null : bytesToHex(value);
    } catch (error) {
      if (!KvsError.is(error)) throw error;
      lost.push(key);
      continue;
    }
    if (!acceptable.includes(actual)) lost.push(key);
  }
  const probe = new Uint8Array([0x70, 0x72, 0x6f, 0x62, 0x65]);
  const status = kvs.putStatus(probeKey, probe);
  if (status !== 'OK') return { lost, problem: `a put after recovery returned ${status}` };
  const back = kvs.get(probeKey);
  if (back === undefined || bytesToHex(back) !== bytesToHex(probe)) {
    return { lost, problem: 'a put after recovery did not read back' };
  }
  return { lost };
}

/** Counts the program/erase operations that `run` performs on `flash`. */
function countOps(flash: MemoryFlash, run: () => void): number {
  const before = flash.counters.programEraseOps;
  run();
  return flash.counters.programEraseOps - before;
}

/**
 * Cuts power at program/erase points of a seeded workload and checks, after each cut, that a
 * fresh store over the same flash holds every acknowledged write (the op in flight may have
 * happened or not), that deleted keys stay deleted, that the store takes writes again, and
 * that nothing but KvsError was thrown. `onProgress` is told each cut done.
 */
export function runTorture(
  config: TortureConfig,
  onProgress?: (done: number, total: number) => void,
): TortureReport {
  const ops = generateWorkload(config.workload);
  const seed = config.seed ?? config.workload.seed;
  const random = mulberry32(seed ^ 0x5eed);
  const probeKey = new Uint8Array([0x7e, 0x70]); // "~p": not a workload key

  const uncut = replay(config, ops, undefined, 0);
  const programEraseOps = uncut.flash.counters.programEraseOps;
  let points: number[] = Array.from({ length: programEraseOps }, (_, i) => i);
  if (config.schedule === 'random') {
    const count = Math.min(config.randomCuts ?? 100, programEraseOps);
    points = Array.from({ length: count }, () => random() % Math.max(1, programEraseOps));
  }

  const report: TortureReport = {
    cutPoints: 0,
    committedWritesLost: 0,
    unrecoverable: 0,
    nonKvsErrors: 0,
    programEraseOps,
    failures: [],
  };
  const record = (failure: TortureFailure): void => {
    report.cutPoints++;
    report.committedWritesLost += failure.lostKeys.length;
    if (failure.unrecoverable !== undefined) report.unrecoverable++;
    if (failure.threw !== undefined) report.nonKvsErrors++;
    if (
      failure.lostKeys.length > 0 ||
      failure.unrecoverable !== undefined ||
      failure.threw !== undefined
    ) {
      report.failures.push(failure);
    }
  };

  let done = 0;
  for (const cutPoint of points) {
    const tearSeed = random();
    const run = replay(config, ops, cutPoint, tearSeed);
    const base: TortureFailure = {
      cutPoint,
      inFlightOp: run.inFlightOp,
      lostKeys: [],
      model: [...run.model],
      ...(config.torn ? { tearSeed } : {}),
    };
    if (run.threw !== undefined) {
      record({ ...base, threw: run.threw });
    } else if (config.schedule === 'exhaustive') {
      // Cut the recovery itself at each of its program/erase points, then recover again.
      const image = run.flash.snapshot();
      const probe = new MemoryFlash({ ...config.geometry, contents: image });
      const recoveryOps = countOps(probe, () => recover(probe, config.store));
      for (let second = 0; second <= recoveryOps; second++) {
        const flash = new MemoryFlash({ ...config.geometry, contents: image });
        flash.schedulePowerCut(second, { torn: config.torn, seed: tearSeed ^ second });
        record(check(config, flash, run.model, probeKey, { ...base, secondCutPoint: second }));
      }
    } else {
      run.flash.powerUp();
      record(check(config, run.flash, run.model, probeKey, base));
    }
    onProgress?.(++done, points.length);
  }
  return report;
}

function check(
  config: TortureConfig,
  flash: MemoryFlash,
  model: Acceptable,
  probeKey: Uint8Array,
  base: TortureFailure,
): TortureFailure {
  try {
    let recovered = recover(flash, config.store);
    if (!flash.isPoweredOn) {
      // The second cut landed during recovery: power up and recover once more.
      flash.powerUp();
      recovered = recover(flash, config.store);
    }
    flash.powerUp();
    if (recovered.problem !== undefined) return { ...base, unrecoverable: recovered.problem };
    const { lost, problem } = verify(recovered.kvs, model, probeKey);
    return {
      ...base,
      lostKeys: lost,
      ...(problem === undefined ? {} : { unrecoverable: problem }),
    };
  } catch (error) {
    return { ...base, threw: describeThrow(error) };
  }
}

/**
 * A scenario file (the `flashkv run` format) that replays a failure: the workload up to the
 * op in flight with the power cut scheduled, then power-up, a fresh store, init and a listing.
 * `expected` says what each key may hold (hex, null for absent).
 */
export function failureScenario(
  config: TortureConfig,
  scenarioConfig: Record<string, unknown>,
  failure: TortureFailure,
): Record<string, unknown> {
  const ops = generateWorkload(config.workload).slice(0, failure.inFlightOp + 1);
  const steps: Record<string, unknown>[] = [
    { op: 'init' },
    {
      op: 'schedule_power_cut',
      after_ops: failure.cutPoint,
      torn: config.torn,
      seed: failure.tearSeed ?? 1,
    },
  ];
  for (const op of ops) {
    if (op.op === 'put')
      steps.push({ op: 'put', key_hex: bytesToHex(op.key), value_hex: bytesToHex(op.value) });
    else if (op.op === 'delete') steps.push({ op: 'delete', key_hex: bytesToHex(op.key) });
    else steps.push({ op: op.op });
  }
  steps.push({ op: 'power_up' }, { op: 'reboot' });
  if (failure.secondCutPoint !== undefined) {
    steps.push(
      {
        op: 'schedule_power_cut',
        after_ops: failure.secondCutPoint,
        torn: config.torn,
        seed: (failure.tearSeed ?? 1) ^ failure.secondCutPoint,
      },
      { op: 'init' },
      { op: 'power_up' },
      { op: 'reboot' },
    );
  }
  // The checks the torture made: every key, then a put and a get of a fresh key.
  steps.push({ op: 'init' }, { op: 'list' }, { op: 'stats' });
  steps.push({ op: 'put', key: '~p', value_hex: '70726f6265' }, { op: 'get', key: '~p' });
  return {
    ...scenarioConfig,
    expected: Object.fromEntries(failure.model),
    note: `flashkv torture failure: ${failure.threw ?? failure.unrecoverable ?? `lost ${failure.lostKeys.join(', ')}`}`,
    ops: steps,
  };
}
