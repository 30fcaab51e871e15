import { defineCommand } from 'citty';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen } from '../_image.js';
import { print } from '../_io.js';
import { preview, printableText, table, toHex } from '../_output.js';
import { plural, warn, warnProblems } from '../_report.js';
import { KvsError } from '../../status.js';
import { EXIT_PROBLEMS, setExitCode } from '../_errors.js';
import { keyToText } from '../../image/scan.js';

export default defineCommand({
  meta: {
    name: 'ls',
    description: [
      'List the keys of an image with their sizes and values.',
      "  In pw_kvs's iteration order. A value that cannot be read is listed with its status, and",
      '  the exit code is 1. Never changes the image.',
      '  Examples:',
      '    flashkv ls factory.img',
      '    flashkv ls dump.bin --detect --json',
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
    warnProblems(image);
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
      print(
        JSON.stringify(
          rows.map(({ key, value, error }) => {
            const named = { key: keyToText(key), key_hex: toHex(key) };
            if (value === undefined) return { ...named, error };
            const text = printableText(value);
            return {
              ...named,
              size: value.length,
              encoding: text === null ? 'hex' : 'string',
              value: text ?? toHex(value),
            };
          }),
          null,
          2,
        ),
      );
      return;
    }
    if (rows.length === 0) {
      print(`${args.image}: no keys`);
      return;
    }
    print(
      table(
        ['key', 'size', 'value'],
        rows.map(({ key, value, error }) =>
          value === undefined
            ? [keyToText(key), '?', `(unreadable: ${error})`]
            : [keyToText(key), value.length, preview(value, 60)],
        ),
      ),
    );
  },
});
