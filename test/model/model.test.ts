import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KeyValueStore, type KeyValueStoreOptions } from '../../src/engine/key-value-store.js';
import { KvsError } from '../../src/status.js';
import { fcOptions } from '../helpers/fc.js';

/** The system under test: a flash and the store currently open on it. */
interface Real {
  flash: MemoryFlash;
  kvs: KeyValueStore;
  options: KeyValueStoreOptions;
}

/** The model: what each key holds (absent keys are not in the map). */
type Model = Map<string, string>;

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function reopen(real: Real): void {
  real.flash.powerUp();
  real.kvs = new KeyValueStore(new FlashPartition(real.flash), real.options);
  const status = real.kvs.initStatus();
  if (!real.kvs.isReady) real.kvs.heavyMaintenanceStatus();
  expect(['OK', 'DATA_LOSS']).toContain(status);
  expect(real.kvs.isReady).toBe(true);
}

function expectMatches(model: Model, real: Real): void {
  for (const key of KEYS) {
    const value = real.kvs.get(key);
    expect(value === undefined ? undefined : hex(value), key).toBe(model.get(key));
  }
  expect(real.kvs.size).toBe(model.size);
}

class Put implements fc.Command<Model, Real> {
  constructor(
    readonly key: string,
    readonly value: Uint8Array,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const status = real.kvs.putStatus(this.key, this.value);
    if (status === 'OK') model.set(this.key, hex(this.value));
    else expect(status).toBe('RESOURCE_EXHAUSTED');
    const value = real.kvs.get(this.key);
    expect(value === undefined ? undefined : hex(value)).toBe(model.get(this.key));
  }
  toString(): string {
    return `put(${this.key}, ${this.value.length} B)`;
  }
}

class Delete implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const existed = real.kvs.delete(this.key);
    expect(existed).toBe(model.has(this.key));
    model.delete(this.key);
    expect(real.kvs.get(this.key)).toBeUndefined();
  }
  toString(): string {
    return `delete(${this.key})`;
  }
}

class Get implements fc.Command<Model, Real> {
  constructor(readonly key: string) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const value = real.kvs.get(this.key);
    expect(value === undefined ? undefined : hex(value)).toBe(model.get(this.key));
  }
  toString(): string {
    return `get(${this.key})`;
  }
}

class Reinit implements fc.Command<Model, Real> {
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    reopen(real);
    expectMatches(model, real);
  }
  toString(): string {
    return 'reinit';
  }
}

class Maintenance implements fc.Command<Model, Real> {
  constructor(readonly kind: 'partial' | 'full' | 'heavy') {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    const status =
      this.kind === 'partial'
        ? real.kvs.partialMaintenanceStatus()
        : this.kind === 'full'
          ? real.kvs.fullMaintenanceStatus()
          : real.kvs.heavyMaintenanceStatus();
    // Partial maintenance reports NOT_FOUND when there is nothing to collect.
    expect(['OK', 'NOT_FOUND']).toContain(status);
    expectMatches(model, real);
  }
  toString(): string {
    return `${this.kind} maintenance`;
  }
}

/** What a power-cut command runs while the cut is scheduled. */
type CutOperation =
  | { op: 'put'; key: string; value: Uint8Array }
  | { op: 'delete'; key: string }
  | { op: 'maintenance'; kind: 'partial' | 'full' | 'heavy' };

function runStatus(kvs: KeyValueStore, operation: CutOperation): string {
  switch (operation.op) {
    case 'put':
      return kvs.putStatus(operation.key, operation.value);
    case 'delete':
      return kvs.deleteStatus(operation.key);
    case 'maintenance':
      return operation.kind === 'partial'
        ? kvs.partialMaintenanceStatus()
        : operation.kind === 'full'
          ? kvs.fullMaintenanceStatus()
          : kvs.heavyMaintenanceStatus();
  }
}

/** An operation during which power is cut after `afterOps` program/erase operations. */
class PowerCut implements fc.Command<Model, Real> {
  constructor(
    readonly operation: CutOperation,
    readonly afterOps: number,
    readonly torn: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): void {
    real.flash.schedulePowerCut(this.afterOps, { torn: this.torn, seed: this.afterOps + 1 });
    let status: string;
    try {
      status = runStatus(real.kvs, this.operation);
    } catch (error) {
      expect(KvsError.is(error)).toBe(true);
      status = 'THROWN';
    }
    const cut = !real.flash.isPoweredOn;
    reopen(real);
    const operation = this.operation;
    if (operation.op !== 'maintenance') {
      const value = real.kvs.get(operation.key);
      const got = value === undefined ? undefined : hex(value);
      const wanted = operation.op === 'put' ? hex(operation.value) : undefined;
      if (!cut) {
        // Power stayed on: the operation's own status says what happened.
        expect(got).toBe(status === 'OK' ? wanted : model.get(operation.key));
      } else {
        // In flight when the power went: the old value or the new one, nothing else.
        expect([model.get(operation.key), wanted]).toContain(got);
      }
      if (got === undefined) model.delete(operation.key);
      else model.set(operation.key, got);
    }
    // Maintenance changes no key, cut or not; every other key keeps its value.
    expectMatches(model, real);
  }
  toString(): string {
    const operation = this.operation;
    const what =
      operation.op === 'put'
        ? `put(${operation.key}, ${operation.value.length} B)`
        : operation.op === 'delete'
          ? `delete(${operation.key})`
          : `${operation.kind} maintenance`;
    return `${what} cut after ${this.afterOps}${this.torn ? ' torn' : ''}`;
  }
}

const key = fc.constantFrom(...KEYS);
const value = fc.uint8Array({ maxLength: 48 });
const commands = [
  fc.tuple(key, value).map(([k, v]) => new Put(k, v)),
  fc.tuple(key, value).map(([k, v]) => new Put(k, v)),
  key.map((k) => new Delete(k)),
  key.map((k) => new Get(k)),
  fc.constant(new Reinit()),
  fc.constantFrom('partial', 'full', 'heavy').map((kind) => new Maintenance(kind as 'partial')),
  fc
    .tuple(key, value, fc.nat({ max: 12 }), fc.boolean())
    .map(([k, v, n, torn]) => new PowerCut({ op: 'put', key: k, value: v }, n, torn)),
  fc
    .tuple(key, fc.nat({ max: 6 }), fc.boolean())
    .map(([k, n, torn]) => new PowerCut({ op: 'delete', key: k }, n, torn)),
  fc
    .tuple(fc.constantFrom('partial', 'full', 'heavy'), fc.nat({ max: 12 }), fc.boolean())
    .map(
      ([kind, n, torn]) => new PowerCut({ op: 'maintenance', kind: kind as 'partial' }, n, torn),
    ),
];

const GEOMETRIES = [
  { name: 'alignment 1, small', sectorSizeBytes: 512, sectorCount: 6, alignmentBytes: 1 },
  { name: 'alignment 16, small', sectorSizeBytes: 512, sectorCount: 6, alignmentBytes: 16 },
  { name: 'alignment 64, medium', sectorSizeBytes: 2048, sectorCount: 8, alignmentBytes: 64 },
  { name: 'alignment 256, medium', sectorSizeBytes: 4096, sectorCount: 8, alignmentBytes: 256 },
];

describe.each(GEOMETRIES)('model-based: $name', (geometry) => {
  // Every read strategy, the default (trusted) given by omission.
  for (const [redundancy, readStrategy] of [
    [1, 'coalesced'],
    [2, 'coalesced'],
    [3, 'pwKvs'],
    [1, undefined],
    [2, 'trusted'],
  ] as const) {
    it(`redundancy ${redundancy}, ${readStrategy ?? 'default'} reads: the store behaves like a Map through puts, deletes, re-inits, maintenance and power cuts in any of them`, () => {
      fc.assert(
        fc.property(fc.commands(commands, { maxCommands: 60 }), (cmds) => {
          const flash = new MemoryFlash(geometry);
          const options: KeyValueStoreOptions = {
            redundancy,
            maxEntries: 16,
            powerLossHardening: true,
            ...(readStrategy === undefined ? {} : { readStrategy }),
          };
          const kvs = new KeyValueStore(new FlashPartition(flash), options);
          expect(kvs.readStrategy).toBe(readStrategy ?? 'trusted');
          kvs.init();
          fc.modelRun(() => ({ model: new Map(), real: { flash, kvs, options } }), cmds);
        }),
        fcOptions(60),
      );
    });
  }
});
