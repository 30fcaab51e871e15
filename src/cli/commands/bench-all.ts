import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import { defineCommand } from 'citty';
import {
  type BenchReport,
  type FlashMeasured,
  parseBenchConfig,
  runBench,
} from '../../bench/bench.js';
import { buildScaleFlash, runCliScaleBench, runScaleBench } from '../../bench/scale-bench.js';
import { measureCoreBundle } from '../../bench/bundle.js';
import { benchInspectorOpen } from '../../bench/inspector-bench.js';
import { type SideBySideRow, runSideBySide } from '../../bench/side-by-side.js';
import { cliFail } from '../_errors.js';
import { io, isPlain, print } from '../_io.js';
import { printJson } from '../_report.js';
import { runWearBench } from '../_wear-bench.js';
import { snakeCaseKeys } from '../../image/report.js';

interface Reference {
  config: Record<string, unknown>;
  ops: number;
  flash_measured: FlashMeasured;
  us_per_op_median_this_machine: number;
}

const REFERENCE_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../bench/pw_kvs-reference.json',
);

function perOp(value: number, ops: number): string {
  const per = value / ops;
  return per >= 1000
    ? Math.round(per).toLocaleString('en-US')
    : per.toFixed(2).replace(/\.00$/, '');
}

function ratio(ours: number, theirs: number): string {
  if (theirs === 0) return ours === 0 ? '=' : '∞';
  return `${(ours / theirs).toFixed(2)}×`;
}

const wallClock = (): number => performance.now();

/** Process CPU time in milliseconds (user + system). */
const cpuClock = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** CPU µs per op (wall time when the report has none). */
function cpuUs(report: BenchReport): number {
  return report.cpu_us_per_op ?? report.us_per_op;
}

const us = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(2));
const times = (ours: number, theirs: number): string =>
  theirs === 0 ? '∞' : `${(ours / theirs).toFixed(2)}×`;

/** The side-by-side table: µs per op of both, and flashkv's over pw_kvs's, three ways run. */
function printSideBySide(
  rows: readonly SideBySideRow[],
  oracle: string,
  rounds: number,
  repeat: number,
): void {
  const table = new Table({
    head: [
      'config',
      'pw_kvs µs/op',
      'warm µs/op',
      'ratio',
      'standalone µs/op',
      'ratio',
      'pw_kvs cold',
      'cold µs/op',
      'ratio',
    ],
    style: isPlain() ? { head: [], border: [] } : { head: ['cyan'] },
  });
  for (const row of rows) {
    table.push([
      row.name,
      us(row.pwKvsUs),
      us(row.warmUs),
      times(row.warmUs, row.pwKvsUs),
      us(row.standaloneUs),
      times(row.standaloneUs, row.pwKvsUs),
      us(row.pwKvsColdUs),
      us(row.coldUs),
      times(row.coldUs, row.pwKvsColdUs),
    ]);
  }
  print(`\nSide by side with pw_kvs (${oracle} bench), ${rounds} rounds alternating the two:`);
  print(table.toString());
  print(
    `Wall time, µs/op: the lowest of the rounds' medians (${repeat} runs each). pw_kvs: its ` +
      `median; pw_kvs cold: its first run in a fresh process. warm: flashkv in this process ` +
      `after one warm-up run; standalone: \`flashkv bench CONFIG\` with "warmup": 1 in a fresh ` +
      `process; cold: a fresh process, no warm-up, one run (beside pw_kvs cold). ratio: ` +
      `flashkv over pw_kvs, ≤ 1 is faster.`,
  );
}

export default defineCommand({
  meta: {
    name: 'bench-all',
    description: [
      "Run pw_kvs's eight benchmark configurations beside its figures.",
      '  Then the 16 MiB / 100 000-key figures, CLI timings and the web inspector opening that image',
      '  in Chromium (skip them with --skip-scale; the inspector alone with --skip-inspector).',
      '  With --pw-kvs ORACLE, each configuration also runs on the real pw_kvs in the same run,',
      '  alternating rounds, and the ratios are side by side: warm (this process), standalone',
      '  (flashkv bench in a fresh process, one warm-up run) and cold (a fresh process, no warm-up).',
      '  Examples:',
      '    flashkv bench-all --repeat 5 --read-strategy coalesced',
      '    flashkv bench-all --pw-kvs ../pw_kvs-oracle/oracle --rounds 5 --skip-scale',
    ].join('\n'),
  },
  args: {
    repeat: { type: 'string', description: 'Runs per configuration (median time)', default: '3' },
    json: { type: 'boolean', description: 'Print the reports as JSON' },
    'skip-scale': { type: 'boolean', description: 'Skip the 100 000-key run' },
    'skip-wear': { type: 'boolean', description: 'Skip the wear simulator speed run' },
    'skip-inspector': {
      type: 'boolean',
      description: "Skip the inspector's open time (100 000 keys, in Chromium)",
    },
    'pw-kvs': {
      type: 'string',
      description: "The pw_kvs oracle's executable: run it side by side (else: the stored figures)",
    },
    rounds: {
      type: 'string',
      description: 'With --pw-kvs: rounds alternating flashkv and pw_kvs (lowest median)',
      default: '3',
    },
    'read-strategy': {
      type: 'enum',
      options: ['trusted', 'coalesced', 'pw_kvs'],
      default: 'trusted',
      description: "The store's read strategy (trusted is the library default)",
    },
  },
  async run({ args }) {
    const references = JSON.parse(readFileSync(REFERENCE_PATH, 'utf8')) as Record<
      string,
      Reference
    >;
    const repeat = Math.max(1, Number.parseInt(args.repeat, 10) || 1);
    const rounds = Math.max(1, Number.parseInt(args.rounds, 10) || 1);
    const oracle = args['pw-kvs'];
    if (oracle !== undefined) {
      try {
        accessSync(oracle, constants.X_OK);
      } catch {
        cliFail(`--pw-kvs ${oracle}: not an executable file (the pw_kvs oracle's 'oracle')`);
      }
    }
    const names = Object.keys(references);
    const bar = io().stderr.isTTY
      ? new SingleBar({
          format: ' {bar} {value}/{total} {name}',
          clearOnComplete: true,
          stream: io().stderr as NodeJS.WritableStream,
        })
      : undefined;
    bar?.start(names.length + (args['skip-scale'] ? 0 : 2), 0, { name: '' });
    const reports: Record<string, BenchReport> = {};
    for (const name of names) {
      bar?.update({ name });
      const reference = references[name]!;
      const config = {
        ...reference.config,
        repeat,
        warmup: 1,
        read_strategy: args['read-strategy'],
      };
      reports[name] = runBench(parseBenchConfig(config), { wall: wallClock, cpu: cpuClock });
      bar?.increment();
    }
    // Side by side with the real pw_kvs: the same configurations, alternating rounds.
    const sideBySide: SideBySideRow[] | undefined =
      oracle === undefined
        ? undefined
        : runSideBySide(
            oracle,
            Object.fromEntries(
              names.map((name) => [
                name,
                { ...references[name]!.config, read_strategy: args['read-strategy'] },
              ]),
            ),
            { rounds, repeat, onProgress: (name) => bar?.update({ name: `pw_kvs: ${name}` }) },
          );
    bar?.update({ name: 'scale: 100 000 keys' });
    const scaleFlash = args['skip-scale'] ? undefined : buildScaleFlash();
    const scale = scaleFlash && runScaleBench(undefined, undefined, scaleFlash);
    bar?.increment();
    bar?.update({ name: 'CLI on the 100 000-key image' });
    const cli = scaleFlash && runCliScaleBench(scaleFlash, scale!.keys);
    bar?.increment();
    bar?.stop();
    const wear = args['skip-wear'] ? undefined : runWearBench();
    const bundle = await measureCoreBundle();
    // The web inspector opening the 100 000-key image in Chromium (parse + first render).
    const inspector =
      args['skip-scale'] || args['skip-inspector'] ? undefined : await benchInspectorOpen();

    if (args.json) {
      printJson('bench_all', {
        reports,
        side_by_side:
          sideBySide === undefined
            ? null
            : {
                oracle,
                rounds,
                repeat,
                rows: sideBySide.map((row) => snakeCaseKeys(row)),
              },
        scale: scale === undefined ? null : snakeCaseKeys(scale),
        cli: cli === undefined ? null : cli.map((timing) => snakeCaseKeys(timing)),
        wear: wear === undefined ? null : snakeCaseKeys(wear),
        bundle: bundle === undefined ? null : snakeCaseKeys(bundle),
        ...(typeof inspector === 'object' ? { inspector_open: snakeCaseKeys(inspector) } : {}),
      });
      return;
    }
    const table = new Table({
      head: [
        'config',
        'ops',
        'read calls/op',
        'vs pw_kvs',
        'bytes read/op',
        'vs pw_kvs',
        'bytes written',
        'erases',
        'µs/op',
        'pw_kvs µs/op',
        'ratio',
      ],
      style: isPlain() ? { head: [], border: [] } : { head: ['cyan'] },
    });
    for (const name of names) {
      const report = reports[name]!;
      const reference = references[name]!;
      const ours = report.flash_measured;
      const theirs =
        sideBySide?.find((row) => row.name === name)?.pwKvsFlash ?? reference.flash_measured;
      const sameWrites =
        ours.bytes_written === theirs.bytes_written && ours.erase_calls === theirs.erase_calls;
      table.push([
        name,
        report.ops,
        perOp(ours.read_calls, report.ops),
        ratio(ours.read_calls, theirs.read_calls),
        perOp(ours.bytes_read, report.ops),
        ratio(ours.bytes_read, theirs.bytes_read),
        `${ours.bytes_written}${sameWrites ? ' (=)' : ` (pw_kvs ${theirs.bytes_written})`}`,
        `${ours.erase_calls}${ours.erase_calls === theirs.erase_calls ? ' (=)' : ` (pw_kvs ${theirs.erase_calls})`}`,
        cpuUs(report).toFixed(2),
        reference.us_per_op_median_this_machine.toFixed(2),
        (cpuUs(report) / reference.us_per_op_median_this_machine).toFixed(2),
      ]);
    }
    print(table.toString());
    print(
      `µs/op: process CPU time, median of ${repeat} run(s) after one warm-up run; ` +
        "ratio: that over pw_kvs's stored figure (bench/pw_kvs-reference.json, recorded on " +
        'another day and machine; ≤ 1 is faster). ' +
        (sideBySide === undefined
          ? 'For a side-by-side comparison in one run: --pw-kvs ORACLE.'
          : 'Side by side in this run, below.'),
    );
    if (sideBySide !== undefined) printSideBySide(sideBySide, oracle!, rounds, repeat);
    if (scale !== undefined) {
      print(
        `\n${scale.keys.toLocaleString('en-US')} keys in a ${scale.partitionBytes / 2 ** 20} MiB partition: ` +
          `init ${scale.initMs.toFixed(0)} ms warm (the first, compiling the scan, ${scale.firstInitMs.toFixed(0)} ms; ${scale.initReadCalls} read calls, ${scale.initBytesRead} B), ` +
          `index ${scale.indexBytesPerKey.toFixed(1)} B/key (heap growth ${scale.heapBytesPerKey.toFixed(1)} B/key), ` +
          `get ${scale.getUs.toFixed(2)} µs, put ${scale.putUs.toFixed(2)} µs`,
      );
    }
    if (cli !== undefined) {
      print(
        `CLI on that image (median of ${cli[0]?.runsMs.length ?? 0} runs; wall and CPU time, Node start-up included):`,
      );
      for (const timing of cli) {
        const failed =
          timing.status === 0
            ? ''
            : timing.status === null
              ? ' (stopped: too slow)'
              : ` (exit ${timing.status})`;
        print(
          `  flashkv ${timing.command.padEnd(50)} ${timing.ms.toFixed(0).padStart(6)} ms` +
            (timing.cpuMs === undefined ? '' : ` (${timing.cpuMs.toFixed(0)} ms CPU)`) +
            `  ${(timing.outputBytes / 1e6).toFixed(1)} MB out${failed}`,
        );
      }
    }
    print(
      bundle === undefined
        ? '\nBrowser bundle: not measured (esbuild, a development dependency, is not installed)'
        : `\nBrowser bundle of the public API (esbuild, minified + gzip -9): ` +
            `${(bundle.gzipBytes / 1000).toFixed(1)} kB gzip (${bundle.gzipBytes} B; ` +
            `${(bundle.minifiedBytes / 1000).toFixed(1)} kB minified)`,
    );
    if (wear !== undefined) {
      print(
        `\nwear simulator (fast-forward off, ${wear.writes.toLocaleString('en-US')} writes): ` +
          `${Math.round(wear.writesPerSecond).toLocaleString('en-US')} simulated writes/s ` +
          `(goal ${wear.goalWritesPerSecond.toLocaleString('en-US')}); the same store's bare puts ` +
          `${Math.round(wear.bareStorePutsPerSecond).toLocaleString('en-US')}/s`,
      );
    }
    if (typeof inspector === 'object') {
      print(
        `inspector: opens the ${inspector.keys.toLocaleString('en-US')}-key image in Chromium in ` +
          `${inspector.openMs.toFixed(0)} ms (parse + first render; ${inspector.loadMs.toFixed(0)} ms with the fetch), ` +
          `holding ${(inspector.heapBytes / 1e6).toFixed(1)} MB of JS heap ` +
          `(${(inspector.heapBytesBeforeGc / 1e6).toFixed(1)} MB before a collection)`,
      );
    } else if (typeof inspector === 'string') {
      print(`inspector: not measured (${inspector})`);
    }
  },
});
