import { defineCommand } from 'citty';
import { diffImages } from '../../image/diff.js';
import { diffJson, showBytes } from '../../image/report.js';
import { EXIT_PROBLEMS } from '../_errors.js';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen } from '../_image.js';
import { print, setExitCode } from '../_io.js';
import { preview } from '../_output.js';
import { plural, printJson, sectorRanges, warningsJson } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'diff',
    description: [
      'Compare two images: keys added, removed and changed, and the sectors whose bytes differ.',
      '  Both images are read with the same config flags. Exit 1 when they differ. Never changes either.',
      '  Examples:',
      '    flashkv diff before.img after.img',
      '    flashkv diff factory.img field-dump.bin --detect --json',
    ].join('\n'),
  },
  args: {
    a: { type: 'positional', description: 'First image file', required: true },
    b: { type: 'positional', description: 'Second image file', required: true },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  run({ args }) {
    const quiet = args.json === true;
    const first = openImage(args.a, args, { forWriting: false, quiet });
    const second = openImage(args.b, args, { forWriting: false, quiet });
    requireOpen(first);
    requireOpen(second);
    const diff = diffImages(first, second);
    const differs =
      diff.added.length + diff.removed.length + diff.changed.length + diff.changedSectors.length >
      0;
    if (differs) setExitCode(EXIT_PROBLEMS);
    if (args.json === true) {
      printJson('diff', {
        a: args.a,
        b: args.b,
        ...diffJson(diff),
        warnings: [...warningsJson(first).warnings, ...warningsJson(second).warnings],
      });
      return;
    }
    const show = (value: Uint8Array | undefined): string =>
      value === undefined ? '(unreadable)' : preview(value, 40);
    for (const item of diff.added) print(`+ ${showBytes(item.key)} = ${show(item.value)}`);
    for (const item of diff.removed) print(`- ${showBytes(item.key)} (was ${show(item.value)})`);
    for (const item of diff.changed) {
      print(`~ ${showBytes(item.key)}: ${show(item.before)} → ${show(item.after)}`);
    }
    print(
      `${plural(diff.added.length, 'key')} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ` +
        `${diff.unchangedKeys} the same; ` +
        (diff.changedSectors.length === 0
          ? 'no sector differs'
          : `${sectorRanges(diff.changedSectors)} ${diff.changedSectors.length === 1 ? 'differs' : 'differ'}`),
    );
  },
});
