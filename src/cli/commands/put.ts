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
import { print, readUserFile } from '../_io.js';
import { decodeHex, keyArgument, warnProblems } from '../_report.js';
import { utf8Encode } from '../../utf8.js';

export default defineCommand({
  meta: {
    name: 'put',
    description: [
      'Store a value under a key and save the image.',
      '  Writes as pw_kvs would (garbage collecting when needed); the file is replaced atomically.',
      '  A value that starts with - goes after --: flashkv put IMAGE KEY -- -5',
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
    file: { type: 'string', description: 'Read the value from this file' },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  run({ args }) {
    const key = keyArgument(args.key, args['key-hex'] === true);
    let value: Uint8Array;
    if (args.file !== undefined) {
      if (args.value !== undefined) cliFail('give the value or --file, not both');
      value = readUserFile(args.file, 'value file');
    } else {
      if (args.value === undefined) cliFail('missing the value (or --file FILE)');
      value = args.hex === true ? decodeHex('value', args.value) : utf8Encode(args.value);
    }
    const image = openImage(args.image, args, { forWriting: true, force: args.force === true });
    requireWritable(image);
    warnProblems(image);
    const status = image.store.putStatus(key, value);
    if (status !== 'OK') {
      cliFail(
        `cannot put key ${keyToText(key)} in ${args.image}: ${describePutFailure(status, value.length)}; the image is unchanged`,
      );
    }
    const saved = saveImage(image);
    if (args.json === true) {
      print(JSON.stringify({ key: keyToText(key), size: value.length, saved }, null, 2));
      return;
    }
    print(
      `put ${keyToText(key)} (${value.length} B)${saved ? '' : ': the same value was already stored'}`,
    );
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
