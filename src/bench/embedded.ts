#!/usr/bin/env node
// `npm run bench:embedded`: the benchmark workloads on the core bundle under QuickJS, an
// interpreter of the kind that runs JavaScript on devices (no JIT), beside the real pw_kvs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand, runMain } from 'citty';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { type BenchReport, parseBenchConfig, runBench } from './bench.js';
import { buildCoreBundle } from './bundle.js';

/** The QuickJS builds the bench can run on (both WebAssembly builds of the C interpreter). */
export const EMBEDDED_ENGINES = ['quickjs', 'quickjs-ng'] as const;
export type EmbeddedEngine = (typeof EMBEDDED_ENGINES)[number];

/** The bench configurations, by name (bench/configs/NAME.json). */
const CONFIG_DIR = fileURLToPath(new URL('../../bench/configs/', import.meta.url));
const REFERENCE_PATH = fileURLToPath(new URL('../../bench/pw_kvs-reference.json', import.meta.url));
const GUEST_ENTRY = fileURLToPath(new URL('./embedded-guest.js', import.meta.url));

/** The get, put (fill, overwrite) and init workloads, small and large. */
export const EMBEDDED_WORKLOADS = [
  'get-small',
  'get-large',
  'fill-small',
  'fill-large',
  'overwrite-small',
  'overwrite-large',
  'init-small',
  'init-large',
] as const;

/** One workload's figures: microseconds per operation, the lowest of the rounds. */
export interface EmbeddedRow {
  workload: string;
  ops: number;
  /** flashkv's core bundle under the embedded engine. */
  embeddedUsPerOp: number;
  /** The same code under Node's V8 in this process (JIT), for scale. */
  v8UsPerOp: number;
  /** The real pw_kvs (C++), measured in the same run, or the stored reference. */
  pwKvsUsPerOp: number;
  pwKvsSource: 'side by side' | 'stored reference';
}

/** A QuickJS context with the bundle evaluated, that runs one configuration per call. */
export interface EmbeddedGuest {
  run(config: Record<string, unknown>): BenchReport;
  dispose(): void;
}

async function loadEngine(engine: EmbeddedEngine) {
  const quickjs = await import('quickjs-emscripten');
  return quickjs.newQuickJSWASMModule(
    engine === 'quickjs' ? quickjs.RELEASE_SYNC : import('@jitl/quickjs-ng-wasmfile-release-sync'),
  );
}

/** Starts `engine` with the core bundle in it; the guest reads the host's clock. */
export async function startEmbeddedGuest(engine: EmbeddedEngine): Promise<EmbeddedGuest> {
  const bundle = await buildCoreBundle({ entry: GUEST_ENTRY, format: 'iife' });
  if (bundle === undefined) throw new Error('esbuild (a development dependency) is not installed');
  const module = await loadEngine(engine);
  const runtime = module.newRuntime();
  // The large workloads hold a 1 MiB flash and their indexes: no small limits.
  runtime.setMemoryLimit(-1);
  runtime.setMaxStackSize(0);
  const vm = runtime.newContext();
  const clock = vm.newFunction('flashkvHostClock', () => vm.newNumber(performance.now()));
  vm.setProp(vm.global, 'flashkvHostClock', clock);
  clock.dispose();
  vm.unwrapResult(vm.evalCode(new TextDecoder().decode(bundle), 'flashkv-bench.js')).dispose();
  return {
    run(config) {
      const call = `flashkvRunBench(${JSON.stringify(JSON.stringify(config))})`;
      const handle = vm.unwrapResult(vm.evalCode(call));
      const report = JSON.parse(vm.getString(handle)) as BenchReport;
      handle.dispose();
      return report;
    },
    dispose() {
      vm.dispose();
      runtime.dispose();
    },
  };
}

/** The real pw_kvs's µs/op on `config` (`oracle bench`), in a process of its own. */
function runOracle(oracle: string, config: Record<string, unknown>, dir: string): number {
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify(config));
  const result = spawnSync(oracle, ['bench', path], { encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${oracle} bench failed (${result.status}): ${result.stderr || result.error}`);
  }
  return (JSON.parse(result.stdout) as { us_per_op: number }).us_per_op;
}

function readConfig(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(CONFIG_DIR, `${name}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
}

export interface EmbeddedBenchOptions {
  engine: EmbeddedEngine;
  workloads: readonly string[];
  /** Measured rounds per workload after one warm-up; the lowest reading counts. */
  rounds: number;
  /** The pw_kvs oracle binary, for figures measured in the same run. */
  pwKvs?: string;
  onProgress?: (done: number, total: number, name: string) => void;
}

/**
 * Runs each workload under the embedded engine, alternating round by round with the real
 * pw_kvs when `pwKvs` is given (else its stored reference), and under V8 for scale.
 */
export async function runEmbeddedBench(options: EmbeddedBenchOptions): Promise<EmbeddedRow[]> {
  const references = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Record<
    string,
    { us_per_op_median_this_machine: number }
  >;
  const guest = await startEmbeddedGuest(options.engine);
  const dir = mkdtempSync(join(tmpdir(), 'flashkv-embedded-'));
  const rows: EmbeddedRow[] = [];
  try {
    let done = 0;
    const total = options.workloads.length * (options.rounds + 1);
    for (const workload of options.workloads) {
      const config = readConfig(workload);
      const lowest = { embedded: Infinity, v8: Infinity, pwKvs: Infinity, ops: 0 };
      // Round 0 warms up: the engine's WebAssembly is tiered up and V8 compiles the hot paths.
      for (let round = 0; round <= options.rounds; round++) {
        options.onProgress?.(done++, total, workload);
        const embedded = guest.run(config);
        const v8 = runBench(parseBenchConfig(config), () => performance.now());
        const pwKvs =
          options.pwKvs === undefined ? Infinity : runOracle(options.pwKvs, config, dir);
        if (round === 0) continue;
        lowest.embedded = Math.min(lowest.embedded, embedded.us_per_op);
        lowest.v8 = Math.min(lowest.v8, v8.us_per_op);
        lowest.pwKvs = Math.min(lowest.pwKvs, pwKvs);
        lowest.ops = embedded.ops;
      }
      const reference = references[workload]?.us_per_op_median_this_machine ?? NaN;
      rows.push({
        workload,
        ops: lowest.ops,
        embeddedUsPerOp: lowest.embedded,
        v8UsPerOp: lowest.v8,
        pwKvsUsPerOp: options.pwKvs === undefined ? reference : lowest.pwKvs,
        pwKvsSource: options.pwKvs === undefined ? 'stored reference' : 'side by side',
      });
    }
    options.onProgress?.(total, total, '');
  } finally {
    guest.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function figure(usPerOp: number): string {
  return usPerOp >= 100 ? Math.round(usPerOp).toLocaleString('en-US') : usPerOp.toFixed(2);
}

/** The rows as a table: µs/op and ops/s under the engine, V8 and pw_kvs, and the ratios. */
export function embeddedTable(rows: readonly EmbeddedRow[], engine: EmbeddedEngine): string {
  const table = new Table({
    head: [
      'workload',
      `${engine} µs/op`,
      `${engine} ops/s`,
      'V8 µs/op',
      'pw_kvs µs/op',
      `÷ pw_kvs`,
    ],
    style: { head: [], border: [] },
  });
  for (const row of rows) {
    table.push([
      row.workload,
      figure(row.embeddedUsPerOp),
      Math.round(1e6 / row.embeddedUsPerOp).toLocaleString('en-US'),
      figure(row.v8UsPerOp),
      figure(row.pwKvsUsPerOp),
      `${(row.embeddedUsPerOp / row.pwKvsUsPerOp).toFixed(1)}×`,
    ]);
  }
  return table.toString();
}

const command = defineCommand({
  meta: {
    name: 'bench:embedded',
    description:
      "The get, put and init workloads on flashkv's core bundle under QuickJS, beside pw_kvs.",
  },
  args: {
    'pw-kvs': {
      type: 'string',
      description:
        'The pw_kvs oracle binary: measure pw_kvs in the same run (else the stored reference)',
    },
    engine: {
      type: 'enum',
      options: [...EMBEDDED_ENGINES],
      default: 'quickjs',
      description: 'Which QuickJS build runs the bundle',
    },
    rounds: {
      type: 'string',
      default: '3',
      description: 'Measured rounds per workload (lowest counts)',
    },
    workloads: {
      type: 'string',
      default: EMBEDDED_WORKLOADS.join(','),
      description: 'Comma-separated workloads (names of bench/configs/*.json)',
    },
    json: { type: 'boolean', description: 'Print the rows as JSON' },
  },
  async run({ args }) {
    const rounds = Number(args.rounds);
    if (!Number.isSafeInteger(rounds) || rounds < 1) {
      throw new Error(`--rounds must be a whole number ≥ 1, got '${args.rounds}'`);
    }
    const workloads = args.workloads.split(',').filter((name) => name !== '');
    for (const name of workloads) {
      if (!(EMBEDDED_WORKLOADS as readonly string[]).includes(name)) {
        throw new Error(`unknown workload '${name}': one of ${EMBEDDED_WORKLOADS.join(', ')}`);
      }
    }
    const engine = args.engine as EmbeddedEngine;
    const bar = process.stderr.isTTY
      ? new SingleBar({ format: ' {bar} {value}/{total} rounds {name}', clearOnComplete: true })
      : undefined;
    const rows = await runEmbeddedBench({
      engine,
      workloads,
      rounds,
      ...(args['pw-kvs'] === undefined ? {} : { pwKvs: args['pw-kvs'] }),
      onProgress(done, total, name) {
        if (done === 0) bar?.start(total, 0, { name });
        bar?.update(done, { name });
      },
    });
    bar?.stop();
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ engine, rounds, rows }, null, 2)}\n`);
      return;
    }
    const source =
      args['pw-kvs'] === undefined
        ? 'pw_kvs: the stored reference (bench/pw_kvs-reference.json), not measured in this run'
        : `pw_kvs: ${args['pw-kvs']}, measured in this run, alternating with flashkv`;
    process.stdout.write(
      `${embeddedTable(rows, engine)}\nLowest of ${rounds} rounds after a warm-up. ${source}.\n`,
    );
  },
});

if (
  process.argv[1] !== undefined &&
  realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
) {
  void runMain(command);
}
