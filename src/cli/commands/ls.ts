import { defineCommand } from 'citty';
import { valueJson } from '../../image/report.js';
import { KvsError } from '../../status.js';
import { EXIT_PROBLEMS } from '../_errors.js';
import { CONFIG_ARGS, JSON_ARG, openImage, requireOpen } from '../_image.js';
import { print, setExitCode } from '../_io.js';
import { preview, printTable } from '../_output.js';
import {
  plural,
  printJson,
  warn,
  warnKeysLostAtBoot,
  warningsJson,
  warnProblems,
} from '../_report.js';
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
    const asJson = args.json === true;
    if (!asJson) warnProblems(image);
    const lostAtBoot = warnKeysLostAtBoot(image);
    // One pass in pw_kvs's order: each value is read, turned into its cells (or its JSON) and
    // dropped. A value that cannot be read is shown with its status, not allowed to hide the others.
    const keys: string[] = [];
    const sizes: string[] = [];
    const values: string[] = [];
    const json: unknown[] = [];
    let unreadable = 0;
    for (const item of image.store.items()) {
      let value: Uint8Array;
      try {
        value = item.value();
      } catch (error) {
        if (!KvsError.is(error)) throw error;
        unreadable++;
        if (asJson) json.push({ ...keyJson(item.key), error: error.code });
        else {
          keys.push(showBytes(item.key));
          sizes.push('?');
          values.push(`(unreadable: ${error.code})`);
        }
        continue;
      }
      if (asJson) {
        // The fields of keyJson then valueJson, as a plain literal (spreads cost more than
        // the rest of the row on 100 000 keys).
        const { key, key_hex } = keyJson(item.key);
        const shown = valueJson(value);
        json.push({
          key,
          key_hex,
          size_bytes: shown.size_bytes,
          encoding: shown.encoding,
          value: shown.value,
          value_hex: shown.value_hex,
        });
      } else {
        keys.push(showBytes(item.key));
        sizes.push(String(value.length));
        values.push(preview(value, 60));
      }
    }
    if (unreadable > 0) {
      setExitCode(EXIT_PROBLEMS);
      warn(`${args.image}: ${plural(unreadable, 'value')} could not be read; see flashkv check`);
    }
    if (asJson) {
      printJson('ls', { image: args.image, keys: json, ...warningsJson(image, lostAtBoot) });
      return;
    }
    if (keys.length === 0) {
      print(`${args.image}: no keys`);
      return;
    }
    printTable(['key', 'size', 'value'], [keys, sizes, values]);
  },
});
