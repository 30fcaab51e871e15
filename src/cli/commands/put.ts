import { defineCommand } from 'citty';
import { keyJson, showBytes } from '../../image/report.js';
import { utf8Encode } from '../../utf8.js';
import { cliFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  changeImage,
  requireWritable,
  saveImage,
} from '../_image.js';
import { print, readUserInput } from '../_io.js';
import { decodeHex, keyArgument, printJson, refuseTogether, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'put',
    description: [
      'Store a value under a key and save the image.',
      '  Writes as pw_kvs would (garbage collecting when needed). The image is locked while it changes (other',
      '  flashkv commands wait), re-checked before it is replaced atomically, and written through a symlink.',
      '  A value that starts with - goes after --: flashkv put IMAGE KEY -- -5. --file - reads stdin.',
      '  Examples:',
      '    flashkv put factory.img wifi/ssid home-network',
      '    flashkv put factory.img boot/count 07000000 --hex',
      '    flashkv put factory.img cert --file cert.der',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    key: { type: 'positional', description: 'Key (text; with --key-hex, hex)', required: true },
    value: {
      type: 'positional',
      description: 'Value (text; with --hex, hex); omit with --file',
      required: false,
    },
    'key-hex': { type: 'boolean', description: 'The key is given as hex' },
    hex: { type: 'boolean', description: 'The value is given as hex' },
    file: { type: 'string', description: 'Read the value from this file (- for stdin)' },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  async run({ args }) {
    refuseTogether(args, ['hex', 'file']);
    const key = keyArgument(args.key, args['key-hex'] === true);
    if (args.file !== undefined && args.value !== undefined) {
      cliFail('give the value or --file, not both');
    }
    if (args.file === undefined && args.value === undefined) {
      cliFail('missing the value (or --file FILE)');
    }
    await changeImage(args.image, args, { force: args.force === true }, async (image) => {
      requireWritable(image);
      if (args.json !== true) warnProblems(image);
      // No value larger than a sector fits: a larger file is refused before it is read in full.
      const limit = image.config.sectorSizeBytes;
      const value =
        args.file !== undefined
          ? await readUserInput(args.file, 'value file', limit)
          : args.hex === true
            ? decodeHex('value', args.value!)
            : utf8Encode(args.value!);
      const status = image.store.putStatus(key, value);
      if (status !== 'OK') {
        cliFail(
          `cannot put key ${showBytes(key)} in ${args.image}: ${describePutFailure(status, value.length)}; the image is unchanged`,
        );
      }
      const saved = saveImage(image);
      if (args.json === true) {
        printJson('put', { image: args.image, ...keyJson(key), size_bytes: value.length, saved });
        return;
      }
      print(
        `put ${showBytes(key)} (${value.length} B)${saved ? '' : ': the same value was already stored'}`,
      );
    });
  },
});

function describePutFailure(status: string, size: number): string {
  switch (status) {
    case 'RESOURCE_EXHAUSTED':
      return 'no room left (the image is full, or the key index is full)';
    case 'INVALID_ARGUMENT':
      return `a ${size} B value does not fit one sector`;
    default:
      return `pw_kvs status ${status}`;
  }
}
