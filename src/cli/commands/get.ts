import { defineCommand } from 'citty';
import { keyToText } from '../../image/scan.js';
import { cliFail } from '../_errors.js';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen, writeFile } from '../_image.js';
import { print } from '../_io.js';
import { printableText, toHex } from '../_output.js';
import { keyArgument, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'get',
    description: [
      'Print the value of a key.',
      '  As text when it is printable UTF-8, else as hex. Never changes the image.',
      '  Examples:',
      '    flashkv get factory.img wifi/ssid',
      '    flashkv get factory.img cert --out cert.der',
      '    flashkv get factory.img boot/count --hex',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    key: { type: 'positional', description: 'Key (text; with --key-hex, hex)', required: true },
    'key-hex': { type: 'boolean', description: 'The key is given as hex' },
    hex: { type: 'boolean', description: 'Print the value as hex' },
    base64: { type: 'boolean', description: 'Print the value as base64' },
    out: { type: 'string', description: 'Write the raw value to this file' },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  run({ args }) {
    const key = keyArgument(args.key, args['key-hex'] === true);
    const image = openImage(args.image, args, { forWriting: false });
    requireOpen(image);
    warnProblems(image);
    const value = image.store.get(key);
    if (value === undefined) cliFail(`key ${keyToText(key)} not found in ${args.image}`);
    if (args.out !== undefined) {
      writeFile(args.out, value);
      print(`wrote ${value.length} B to ${args.out}`);
      return;
    }
    const text = printableText(value);
    if (args.json === true) {
      const encoding =
        args.base64 === true ? 'base64' : args.hex === true || text === null ? 'hex' : 'string';
      const shown =
        encoding === 'base64'
          ? Buffer.from(value).toString('base64')
          : encoding === 'hex'
            ? toHex(value)
            : text;
      print(
        JSON.stringify(
          { key: keyToText(key), size: value.length, encoding, value: shown },
          null,
          2,
        ),
      );
      return;
    }
    if (args.base64 === true) print(Buffer.from(value).toString('base64'));
    else if (args.hex === true || text === null) print(toHex(value));
    else print(text);
  },
});
