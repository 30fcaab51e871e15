import { SingleBar } from 'cli-progress';
import { defineCommand } from 'citty';
import { runFuzz } from '../../torture/fuzz.js';
import { EXIT_OK, EXIT_PROBLEMS, cliFail } from '../_errors.js';
import { io, print, setExitCode } from '../_io.js';
import { printJson } from '../_report.js';
import { snakeCaseKeys } from '../../image/report.js';

export default defineCommand({
  meta: {
    name: 'fuzz',
    description: [
      'Open fuzzed images and run every operation on each.',
      '  Random bytes, mutated valid images, valid checksums over inconsistent fields: every operation must end',
      '  with a status, within a flash-call budget, throwing only KvsError.',
      '  Examples:',
      '    flashkv fuzz --images 1000000 --seed 7',
    ].join('\n'),
  },
  args: {
    images: { type: 'string', description: 'How many images', default: '10000' },
    seed: { type: 'string', description: 'Seed of the run', default: '1' },
    json: { type: 'boolean', description: 'Print the full report as JSON' },
  },
  run({ args }) {
    const images = Number(args.images);
    const seed = Number(args.seed);
    if (!Number.isSafeInteger(images) || images < 1)
      cliFail(`--images must be a positive integer, got ${args.images}`);
    if (!Number.isSafeInteger(seed) || seed < 0)
      cliFail(`--seed must be an integer ≥ 0, got ${args.seed}`);
    const bar = io().stderr.isTTY
      ? new SingleBar({
          format: ' {bar} {value}/{total} images',
          clearOnComplete: true,
          stream: io().stderr as NodeJS.WritableStream,
        })
      : undefined;
    bar?.start(images, 0);
    const report = runFuzz(images, seed, (done) => {
      if (done % 1000 === 0 || done === images) bar?.update(done);
    });
    bar?.stop();
    if (args.json) printJson('fuzz', snakeCaseKeys(report) as Record<string, unknown>);
    else {
      for (const problem of report.problems)
        print(`seed ${problem.seed} (${problem.kind}): ${problem.problem}`);
      print(
        `images ${report.images} (random ${report.byKind.random}, mutated ${report.byKind.mutated}, crafted ${report.byKind.crafted}), hangs ${report.hangs}, non-KvsError throws ${report.nonKvsErrors}`,
      );
    }
    setExitCode(report.hangs + report.nonKvsErrors === 0 ? EXIT_OK : EXIT_PROBLEMS);
  },
});
