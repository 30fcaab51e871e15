import { copyFileSync, existsSync } from 'node:fs';
import { defineCommand } from 'citty';
import { keyJson, problemsJson, showBytes } from '../../image/report.js';
import { newestCorruptReason } from '../../image/repair-effect.js';
import { repairDataLoss, repairImage } from '../../image/open.js';
import { EXIT_PROBLEMS, EXIT_USAGE, cliFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  changeImage,
  requireOpen,
  saveImage,
} from '../_image.js';
import { print, printError, setExitCode } from '../_io.js';
import { table } from '../_output.js';
import { plural, printJson, warningsJson, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'repair',
    description: [
      "Repair an image as pw_kvs's maintenance does and save it.",
      '  Restores corrupt sectors and missing copies, migrates legacy entries, collects garbage (--heavy: every',
      '  sector, and drops deleted keys). Names every key lost or falling back to an older value; refuses,',
      '  unless --force, when the result keeps fewer keys than the image had or no valid entry was found.',
      '  The original is kept as IMAGE.bak (--no-backup: not). --dry-run shows what would change and writes',
      '  nothing. Exit 1 when problems remain.',
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
    backup: {
      type: 'boolean',
      default: true,
      description: 'Keep the original as IMAGE.bak before saving',
      negativeDescription: 'Save without keeping IMAGE.bak',
    },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  async run({ args }) {
    const dryRun = args['dry-run'] === true;
    await changeImage(
      args.image,
      args,
      { isRepair: true, force: args.force === true, quiet: args.json === true },
      (image) => {
        requireOpen(image);
        if (args.json !== true) warnProblems(image);
        const { config } = image;
        // What the repair costs, said before anything is written.
        const {
          status,
          after,
          changedSectors: changed,
          effect,
          remainingProblems: remaining,
        } = repairImage(image, args.heavy === true);
        const why = repairDataLoss(config, effect);
        const refused = why !== undefined && args.force !== true && changed.length > 0;
        if (remaining > 0 || refused) setExitCode(EXIT_PROBLEMS);
        const backupPath = `${image.locked!.target}.bak`;
        let saved = false;
        let backup: string | undefined;
        if (!dryRun && !refused && changed.length > 0) {
          if (args.backup !== false) {
            if (existsSync(backupPath) && args.force !== true) {
              cliFail(
                `refusing to repair ${args.image}: the backup ${backupPath} exists; move it away, or pass --force (or --no-backup)`,
              );
            }
            copyFileSync(image.locked!.target, backupPath);
            backup = backupPath;
          }
          saved = saveImage(image);
        }
        if (args.json === true) {
          printJson('repair', {
            image: args.image,
            dry_run: dryRun,
            refused,
            ...(refused ? { refused_because: why } : {}),
            maintenance_status: status,
            keys_before: effect.keysBefore,
            keys_after: effect.keysAfter,
            no_valid_entry: effect.noValidEntry,
            lost_keys: effect.lostKeys.map(keyJson),
            older_value_keys: effect.olderValueKeys.map(keyJson),
            problems_before: problemsJson(image.scan),
            problems_after: problemsJson(after),
            changed_sectors: changed,
            saved,
            backup: backup ?? null,
            ...warningsJson(image),
          });
          if (refused && !dryRun) {
            printError(
              `flashkv: refusing to repair ${args.image}: ${why}; pass --force to repair anyway`,
            );
            setExitCode(EXIT_USAGE);
          }
          return;
        }
        const verb = dryRun || refused ? 'would change' : 'changed';
        print(
          `${args.image}${dryRun ? ' (dry run)' : ''}: ${plural(image.scan.problems.length, 'problem')} before, ${after.problems.length} after; ` +
            `${verb} ${changed.length} of ${config.sectorCount} sectors; keeps ${effect.keysAfter} of ${plural(effect.keysBefore, 'key')}`,
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
        if (effect.noValidEntry) print(`no valid entry found: ${why}`);
        // Why each key is lost or goes back: its newest entry's reason when the scan has one.
        const because = (key: Uint8Array): string => {
          const reason = newestCorruptReason(image.scan, key);
          return reason === undefined ? '' : ` (its newest entry ${reason})`;
        };
        for (const key of effect.lostKeys) print(`lost: key ${showBytes(key)}${because(key)}`);
        for (const key of effect.olderValueKeys) {
          print(
            `older value: key ${showBytes(key)}${because(key) || ' (its newest entry is corrupt)'}`,
          );
        }
        if (status !== 'OK') print(`maintenance reported ${status}`);
        for (const problem of after.problems) print(`  remaining: ${problem.message}`);
        if (dryRun) {
          print('dry run: nothing written');
          if (effect.losesData) print('repair would refuse this without --force');
          return;
        }
        if (refused) {
          cliFail(`refusing to repair ${args.image}: ${why}; pass --force to repair anyway`);
        }
        if (saved)
          print(
            `saved ${args.image}${backup === undefined ? '' : ` (original kept as ${backup})`}`,
          );
        else if (changed.length === 0) print('nothing to repair');
      },
    );
  },
});
