import { defineCommand } from 'citty';
import { parseBenchConfig, runBench } from '../../bench/bench.js';
import { orFail } from '../_errors.js';
import { print, readJsonFile } from '../_io.js';

export default defineCommand({
  meta: {
    name: 'bench',
    description: [
      'Run one benchmark configuration and print its JSON report.',
      '  Workloads and counting rules of docs/benchmarks.md: ops, median time, flash counters of the measured phase.',
      '  Examples:',
      '    flashkv bench get-small.json',
    ].join('\n'),
  },
  args: {
    config: {
      type: 'positional',
      description: 'Benchmark configuration JSON file',
      required: true,
    },
  },
  run({ args }) {
    const json = readJsonFile(args.config, 'bench config') as Record<string, unknown> | null;
    // A reference entry ({"config": {...}, ...}) is accepted as it is.
    const config =
      json !== null && typeof json === 'object' && 'config' in json ? json.config : json;
    const parsed = orFail(() => parseBenchConfig(config), { prefix: `${args.config}: ` });
    print(
      JSON.stringify(
        runBench(parsed, () => performance.now()),
        null,
        1,
      ),
    );
  },
});
