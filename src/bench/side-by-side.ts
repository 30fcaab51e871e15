import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FlashMeasured, parseBenchConfig, runBench } from './bench.js';

/**
 * flashkv beside the real pw_kvs (the oracle of ../shared/tools/pw_kvs-oracle), on the same
 * configuration in the same minute: rounds alternate the two, and each figure is the lowest of
 * the rounds' medians (µs per op, wall time: the oracle measures wall time).
 */
export interface SideBySideRow {
  name: string;
  ops: number;
  /** pw_kvs: the median of its `repeat` runs in one process. */
  pwKvsUs: number;
  /** pw_kvs's first run in a fresh process. */
  pwKvsColdUs: number;
  /** flashkv in this process (one warm-up run, earlier workloads warmed the JIT too). */
  warmUs: number;
  /** `flashkv bench CONFIG` with `"warmup": 1` in a process of its own. */
  standaloneUs: number;
  /** `flashkv bench CONFIG` in a fresh process, no warm-up, one run: what a short run pays. */
  coldUs: number;
  /** Every round's figures, in order, for the JSON report. */
  rounds: {
    pwKvsUs: number;
    pwKvsColdUs: number;
    warmUs: number;
    standaloneUs: number;
    coldUs: number;
  }[];
  /** The flash counters pw_kvs reported (the measured phase). */
  pwKvsFlash: FlashMeasured;
}

/** The built CLI beside this module (dist/cli/main.js). */
const CLI_PATH = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/** A child still running after this long is stopped (a failure, not a figure). */
const CHILD_TIMEOUT_MS = 120_000;

interface OracleReport {
  ops: number;
  wall_s_all: number[];
  wall_s_median: number;
  flash_measured: FlashMeasured;
}

function runJson(command: string, args: string[], what: string): unknown {
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 1 << 26,
    timeout: CHILD_TIMEOUT_MS,
  });
  if (result.error !== undefined) throw new Error(`${what}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${what}: exit ${result.status ?? 'signal'}: ${result.stderr.trim()}`);
  }
  try {
    return JSON.parse(result.stdout);
  } catch {
    throw new Error(`${what}: not JSON: ${result.stdout.slice(0, 200)}`);
  }
}

/** Runs `oracle bench CONFIG` (the C++ pw_kvs) on a configuration file. */
function runOracle(oracle: string, configPath: string): OracleReport {
  return runJson(oracle, ['bench', configPath], `${oracle} bench ${configPath}`) as OracleReport;
}

/** Runs the built CLI's `flashkv bench CONFIG` in a fresh process: its µs per op. */
function runStandalone(configPath: string): number {
  const report = runJson(
    process.execPath,
    [CLI_PATH, 'bench', configPath],
    `flashkv bench ${configPath}`,
  ) as { us_per_op: number };
  return report.us_per_op;
}

const usPerOp = (seconds: number, ops: number): number => (ops === 0 ? 0 : (seconds / ops) * 1e6);

/**
 * Runs each configuration `rounds` times on both, alternating which goes first: pw_kvs
 * (`repeat` runs in one process), flashkv in this process (`repeat` runs after one warm-up),
 * flashkv standalone (a fresh process, `"warmup": 1`, `repeat` runs) and flashkv cold (a fresh
 * process, one run, no warm-up). `configs` maps a name to a configuration (bench/configs JSON).
 */
export function runSideBySide(
  oracle: string,
  configs: Record<string, Record<string, unknown>>,
  options: { rounds: number; repeat: number; onProgress?: (name: string) => void },
): SideBySideRow[] {
  const folder = mkdtempSync(join(tmpdir(), 'flashkv-side-by-side-'));
  try {
    const names = Object.keys(configs);
    const files = new Map<string, { measured: string; cold: string }>();
    for (const name of names) {
      const config = { ...configs[name]!, repeat: options.repeat };
      const measured = join(folder, `${name}.json`);
      const cold = join(folder, `${name}-cold.json`);
      writeFileSync(measured, JSON.stringify({ ...config, warmup: 1 }));
      writeFileSync(cold, JSON.stringify({ ...config, warmup: 0, repeat: 1 }));
      files.set(name, { measured, cold });
    }
    const rows = new Map<string, SideBySideRow>();
    for (let round = 0; round < Math.max(1, options.rounds); round++) {
      for (const name of names) {
        options.onProgress?.(`${name}, round ${round + 1}`);
        const file = files.get(name)!;
        const config = parseBenchConfig({ ...configs[name]!, repeat: options.repeat, warmup: 1 });
        const runFlashkv = (): { warmUs: number; standaloneUs: number; coldUs: number } => ({
          warmUs: runBench(config, () => performance.now()).us_per_op,
          standaloneUs: runStandalone(file.measured),
          coldUs: runStandalone(file.cold),
        });
        let ours: ReturnType<typeof runFlashkv>;
        let theirs: OracleReport;
        // Alternate who goes first, so that neither always runs on a machine the other warmed.
        if (round % 2 === 0) {
          ours = runFlashkv();
          theirs = runOracle(oracle, file.measured);
        } else {
          theirs = runOracle(oracle, file.measured);
          ours = runFlashkv();
        }
        const figures = {
          pwKvsUs: usPerOp(theirs.wall_s_median, theirs.ops),
          pwKvsColdUs: usPerOp(theirs.wall_s_all[0] ?? theirs.wall_s_median, theirs.ops),
          ...ours,
        };
        const row = rows.get(name);
        if (row === undefined) {
          rows.set(name, {
            name,
            ops: theirs.ops,
            ...figures,
            rounds: [figures],
            pwKvsFlash: theirs.flash_measured,
          });
        } else {
          row.rounds.push(figures);
          for (const key of Object.keys(figures) as (keyof typeof figures)[]) {
            row[key] = Math.min(row[key], figures[key]);
          }
        }
      }
    }
    return names.map((name) => rows.get(name)!);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
