import { defineCommand } from 'citty';
import { scanImage } from '../../image/scan.js';
import { EXIT_PROBLEMS, setExitCode } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  changedSectors,
  openImage,
  requireOpen,
  saveImage,
} from '../_image.js';
import { print } from '../_io.js';
import { table } from '../_output.js';
import { damageEffects, plural, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'repair',
    description: [
      "Repair an image as pw_kvs's maintenance does and save it.",
      '  Restores corrupt sectors and missing copies, migrates legacy entries, collects garbage (--heavy: every',
      '  sector, and drops deleted keys). --dry-run shows what would change and writes nothing. Exit 1 when',
      '  problems remain.',
      '  Examples:',
      '    flashkv repair field-dump.bin --dry-run',
      '    flashkv repair field-dump.bin --heavy',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    'dry-run': { type: 'boolean', description: 'Show what would change; write nothing' },
    heavy: {
      type: 'boolean',
      description: 'Heavy maintenance: collect every sector, drop deleted keys',
    },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  run({ args }) {
    const dryRun = args['dry-run'] === true;
    const image = openImage(args.image, args, {
      forWriting: true,
      isRepair: true,
      force: args.force === true,
    });
    requireOpen(image);
    warnProblems(image);
    const { store, config } = image;
    const status =
      args.heavy === true ? store.heavyMaintenanceStatus() : store.fullMaintenanceStatus();
    const after = scanImage(image.flash.bytes, config);
    const changed = changedSectors(image);
    const remaining = after.problems.length + (status === 'OK' ? 0 : 1);
    // What damage costs, said before anything is written.
    const damaged = [...damageEffects(image.scan)].filter(
      ([, effect]) => effect !== 'none (an older entry)',
    );
    if (remaining > 0) setExitCode(EXIT_PROBLEMS);
    const saved = dryRun ? false : saveImage(image);
    if (args.json === true) {
      print(
        JSON.stringify(
          {
            image: args.image,
            dry_run: dryRun,
            maintenance_status: status,
            problems_before: image.scan.problems.map((problem) => problem.message),
            problems_after: after.problems.map((problem) => problem.message),
            changed_sectors: changed,
            damaged_keys: Object.fromEntries(
              damaged.map(([entry, effect]) => [entry.keyText, effect]),
            ),
            saved,
          },
          null,
          2,
        ),
      );
      return;
    }
    const verb = dryRun ? 'would change' : 'changed';
    print(
      `${args.image}${dryRun ? ' (dry run)' : ''}: ${plural(image.scan.problems.length, 'problem')} before, ${after.problems.length} after; ` +
        `${verb} ${changed.length} of ${config.sectorCount} sectors`,
    );
    if (changed.length > 0) {
      const cell = (before: number, now: number): string =>
        before === now ? String(now) : `${before} → ${now}`;
      print(
        table(
          ['sector', 'valid B', 'stale B', 'free B', 'corrupt B'],
          changed.map((index) => {
            const was = image.scan.sectors[index]!;
            const now = after.sectors[index]!;
            return [
              index,
              cell(was.liveBytes, now.liveBytes),
              cell(was.staleBytes, now.staleBytes),
              cell(was.freeBytes, now.freeBytes),
              cell(was.corruptBytes, now.corruptBytes),
            ];
          }),
        ),
      );
    }
    for (const [entry, effect] of damaged) {
      print(`key ${entry.keyText}: its newest entry is corrupt; ${effect}`);
    }
    if (status !== 'OK') print(`maintenance reported ${status}`);
    for (const problem of after.problems) print(`  remaining: ${problem.message}`);
    if (dryRun) print('dry run: nothing written');
    else if (saved) print(`saved ${args.image}`);
    else if (changed.length === 0) print('nothing to repair');
  },
});
