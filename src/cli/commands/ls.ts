import { defineCommand } from 'citty';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen } from '../_image.js';
import { print } from '../_io.js';
import { preview, printableText, table, toHex } from '../_output.js';
import { warnProblems } from '../_report.js';
import { keyToText } from '../../image/scan.js';

export default defineCommand({
  meta: {
    name: 'ls',
    description: [
      'List the keys of an image with their sizes and values.',
      "  In pw_kvs's iteration order. Never changes the image.",
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
    const rows = [...image.store.items()].map((item) => {
      const value = item.value();
      return { key: item.key, value };
    });
    if (args.json === true) {
      print(
        JSON.stringify(
          rows.map(({ key, value }) => {
            const text = printableText(value);
            return {
              key: keyToText(key),
              key_hex: toHex(key),
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
        rows.map(({ key, value }) => [keyToText(key), value.length, preview(value, 60)]),
      ),
    );
  },
});
