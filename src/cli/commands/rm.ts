import { defineCommand } from 'citty';
import { keyJson, showBytes } from '../../image/report.js';
import { EXIT_PROBLEMS, cliFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  changeImage,
  requireWritable,
  saveImage,
} from '../_image.js';
import { print } from '../_io.js';
import { keyArgument, printJson, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'rm',
    description: [
      'Delete a key and save the image; exit 1 when the key is not found.',
      '  pw_kvs writes a tombstone; heavy maintenance (flashkv repair --heavy) drops it. The image is locked',
      '  while it changes and replaced atomically.',
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
  async run({ args }) {
    const key = keyArgument(args.key, args['key-hex'] === true);
    await changeImage(args.image, args, { force: args.force === true }, (image) => {
      requireWritable(image);
      if (args.json !== true) warnProblems(image);
      const status = image.store.deleteStatus(key);
      if (status === 'NOT_FOUND') {
        cliFail(`key ${showBytes(key)} not found in ${args.image}`, EXIT_PROBLEMS);
      }
      if (status !== 'OK') {
        cliFail(
          `cannot delete key ${showBytes(key)} from ${args.image}: pw_kvs status ${status}; the image is unchanged`,
        );
      }
      saveImage(image);
      if (args.json === true) {
        printJson('rm', { image: args.image, ...keyJson(key), deleted: true });
      } else print(`deleted ${showBytes(key)}`);
    });
  },
});
