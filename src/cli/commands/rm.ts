import { defineCommand } from 'citty';
import { keyToText } from '../../image/scan.js';
import { cliFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  openImage,
  requireWritable,
  saveImage,
} from '../_image.js';
import { print } from '../_io.js';
import { keyArgument, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'rm',
    description: [
      'Delete a key and save the image.',
      '  pw_kvs writes a tombstone; heavy maintenance (flashkv repair --heavy) drops it. The file is replaced atomically.',
      '  Examples:',
      '    flashkv rm factory.img wifi/password',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    key: { type: 'positional', description: 'Key (text; with --key-hex, hex)', required: true },
    'key-hex': { type: 'boolean', description: 'The key is given as hex' },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  run({ args }) {
    const key = keyArgument(args.key, args['key-hex'] === true);
    const image = openImage(args.image, args, { forWriting: true, force: args.force === true });
    requireWritable(image);
    warnProblems(image);
    const status = image.store.deleteStatus(key);
    if (status === 'NOT_FOUND') cliFail(`key ${keyToText(key)} not found in ${args.image}`);
    if (status !== 'OK') {
      cliFail(
        `cannot delete key ${keyToText(key)} from ${args.image}: pw_kvs status ${status}; the image is unchanged`,
      );
    }
    saveImage(image);
    if (args.json === true) print(JSON.stringify({ key: keyToText(key), deleted: true }, null, 2));
    else print(`deleted ${keyToText(key)}`);
  },
});
