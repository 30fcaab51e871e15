import { defineCommand } from 'citty';
import { KvsError } from '../../status.js';
import { EXIT_PROBLEMS } from '../_errors.js';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen } from '../_image.js';
import { print, setExitCode } from '../_io.js';
import { preview, tableLines } from '../_output.js';
import { plural, printJson, valueJson, warn, warningsJson, warnProblems } from '../_report.js';
import { keyJson, showBytes } from '../../image/report.js';

export default defineCommand({
  meta: {
    name: 'ls',
    description: [
      'List the keys of an image with their sizes and values.',
      "  In pw_kvs's iteration order. Text shows in double quotes, other bytes as hex:…, keys the same.",
      '  A value that cannot be read is listed with its status, and the exit code is 1. Never changes the image.',
      '  Examples:',
      '    flashkv ls factory.img',
      '    flashkv ls dump.bin --detect --json',
      '    flashkv ls whole-chip.bin --offset 0x3c0000 --size 0x40000',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  run({ args }) {
    const image = openImage(args.image, args, { forWriting: false });
    requireOpen(image);
    if (args.json !== true) warnProblems(image);
    // A value that cannot be read is shown with its status, not allowed to hide the others.
    const rows = [...image.store.items()].map((item) => {
      try {
        return { key: item.key, value: item.value(), error: undefined };
      } catch (error) {
        if (!KvsError.is(error)) throw error;
        return { key: item.key, value: undefined, error: error.code };
      }
    });
    const unreadable = rows.filter((row) => row.error !== undefined).length;
    if (unreadable > 0) {
      setExitCode(EXIT_PROBLEMS);
      warn(`${args.image}: ${plural(unreadable, 'value')} could not be read; see flashkv check`);
    }
    if (args.json === true) {
      printJson('ls', {
        image: args.image,
        keys: rows.map(({ key, value, error }) =>
          value === undefined
            ? { ...keyJson(key), error }
            : { ...keyJson(key), ...valueJson(value) },
        ),
        ...warningsJson(image),
      });
      return;
    }
    if (rows.length === 0) {
      print(`${args.image}: no keys`);
      return;
    }
    for (const line of tableLines(
      ['key', 'size', 'value'],
      rows.map(({ key, value, error }) =>
        value === undefined
          ? [showBytes(key), '?', `(unreadable: ${error})`]
          : [showBytes(key), value.length, preview(value, 60)],
      ),
    )) {
      print(line);
    }
  },
});
