import { readFileSync } from 'node:fs';
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
import { runScaleBench } from '../../node/scale-bench.js';
import { benchInspectorOpen } from '../../node/inspector-bench.js';
import { io, isPlain, print } from '../_io.js';
import { printJson } from '../_report.js';
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

export default defineCommand({
  meta: {
    name: 'bench-all',
    description: [
      "Run pw_kvs's eight benchmark configurations beside its figures.",
      '  Then the 16 MiB / 100 000-key figures and the web inspector opening that image in Chromium',
      '  (skip them with --skip-scale; the inspector alone with --skip-inspector).',
      '  Examples:',
      '    flashkv bench-all --repeat 5 --read-strategy coalesced',
    ].join('\n'),
  },
  args: {
    repeat: { type: 'string', description: 'Runs per configuration (median time)', default: '3' },
    json: { type: 'boolean', description: 'Print the reports as JSON' },
    'skip-scale': { type: 'boolean', description: 'Skip the 100 000-key run' },
    'skip-inspector': {
      type: 'boolean',
      description: "Skip the inspector's open time (100 000 keys, in Chromium)",
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
    const names = Object.keys(references);
    const bar = io().stderr.isTTY
      ? new SingleBar({
          format: ' {bar} {value}/{total} {name}',
          clearOnComplete: true,
          stream: io().stderr as NodeJS.WritableStream,
        })
      : undefined;
    bar?.start(names.length + (args['skip-scale'] ? 0 : 1), 0, { name: '' });
    const reports: Record<string, BenchReport> = {};
    for (const name of names) {
      bar?.update({ name });
      const reference = references[name]!;
      const config = { ...reference.config, repeat, read_strategy: args['read-strategy'] };
      reports[name] = runBench(parseBenchConfig(config), () => performance.now());
      bar?.increment();
    }
    bar?.update({ name: 'scale: 100 000 keys' });
    const scale = args['skip-scale'] ? undefined : runScaleBench();
    bar?.increment();
    bar?.stop();
    // The web inspector opening the 100 000-key image in Chromium (parse + first render).
    const inspector =
      args['skip-scale'] || args['skip-inspector'] ? undefined : await benchInspectorOpen();

    if (args.json) {
      printJson('bench_all', {
        reports,
        scale: scale === undefined ? null : snakeCaseKeys(scale),
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
      ],
      style: isPlain() ? { head: [], border: [] } : { head: ['cyan'] },
    });
    for (const name of names) {
      const report = reports[name]!;
      const reference = references[name]!;
      const ours = report.flash_measured;
      const theirs = reference.flash_measured;
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
        report.us_per_op.toFixed(2),
        reference.us_per_op_median_this_machine.toFixed(2),
      ]);
    }
    print(table.toString());
    if (scale !== undefined) {
      print(
        `\n${scale.keys.toLocaleString('en-US')} keys in a ${scale.partitionBytes / 2 ** 20} MiB partition: ` +
          `init ${scale.initMs.toFixed(0)} ms (${scale.initReadCalls} read calls, ${scale.initBytesRead} B), ` +
          `index ${scale.indexBytesPerKey.toFixed(1)} B/key (heap growth ${scale.heapBytesPerKey.toFixed(1)} B/key), ` +
          `get ${scale.getUs.toFixed(2)} µs, put ${scale.putUs.toFixed(2)} µs`,
      );
    }
    if (typeof inspector === 'object') {
      print(
        `inspector: opens the ${inspector.keys.toLocaleString('en-US')}-key image in Chromium in ` +
          `${inspector.openMs.toFixed(0)} ms (parse + first render; ${inspector.loadMs.toFixed(0)} ms with the fetch)`,
      );
    } else if (typeof inspector === 'string') {
      print(`inspector: not measured (${inspector})`);
    }
  },
});
