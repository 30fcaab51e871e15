import { defineCommand } from 'citty';
import { keyJson, showBytes, valueJson } from '../../image/report.js';
import { EXIT_PROBLEMS, cliFail } from '../_errors.js';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen, writeFile } from '../_image.js';
import { print } from '../_io.js';
import { bytesToHex } from '../../bytes.js';
import { preview } from '../_output.js';
import {
  keyArgument,
  printJson,
  refuseTogether,
  warn,
  warnKeysLostAtBoot,
  warnProblems,
} from '../_report.js';
import { valueBeforeBoot } from '../../image/scan.js';

export default defineCommand({
  meta: {
    name: 'get',
    description: [
      'Print the value of a key; exit 1 when the key is not found.',
      '  Text prints in double quotes, other bytes as hex:… (the text "07000000" and the bytes 07 00 00 00',
      '  never look alike); --hex / --base64 print bare digits; --out FILE writes the raw bytes (- for stdout).',
      '  Never changes the image.',
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
    hex: { type: 'boolean', description: 'Print the value as bare hex digits' },
    base64: { type: 'boolean', description: 'Print the value as base64' },
    out: { type: 'string', description: 'Write the raw value to this file (- for stdout)' },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  run({ args }) {
    refuseTogether(args, ['hex', 'base64', 'out', 'json']);
    const key = keyArgument(args.key, args['key-hex'] === true);
    const image = openImage(args.image, args, { forWriting: false });
    requireOpen(image);
    if (args.json !== true) warnProblems(image);
    warnKeysLostAtBoot(image);
    const readNow = valueBeforeBoot(image.original, image.scan, key);
    if (readNow !== undefined) {
      warn(
        `${args.image}: until then, a running device reads key ${showBytes(key)} as ${preview(readNow, 60)} (${readNow.length} B); what follows is what the next boot reads`,
      );
    }
    const value = image.store.get(key);
    if (value === undefined) {
      cliFail(`key ${showBytes(key)} not found in ${args.image}`, EXIT_PROBLEMS);
    }
    if (args.out !== undefined) {
      writeFile(args.out, value);
      if (args.out !== '-') print(`wrote ${value.length} B to ${args.out}`);
      return;
    }
    if (args.json === true) {
      printJson('get', { image: args.image, ...keyJson(key), ...valueJson(value) });
      return;
    }
    if (args.base64 === true) print(Buffer.from(value).toString('base64'));
    else if (args.hex === true) print(bytesToHex(value));
    else print(showBytes(value));
  },
});
