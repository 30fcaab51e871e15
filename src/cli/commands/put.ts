import { defineCommand } from 'citty';
import { bytesToHex } from '../../bytes.js';
import { keyJson, showBytes } from '../../image/report.js';
import {
  type PutValueInput,
  type ValueEncoding,
  VALUE_ENCODINGS,
  encodeHexValue,
  encodePutValue,
  isValueEncoding,
} from '../../image/value-types.js';
import { cliFail, orFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  changeImage,
  recordValueType,
  requireWritable,
  saveImage,
} from '../_image.js';
import { print, printWarning, readUserInput } from '../_io.js';
import { keyArgument, printJson, refuseTogether, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'put',
    description: [
      'Store a value under a key and save the image.',
      '  Writes as pw_kvs would (garbage collecting when needed). The image is locked while it changes (other',
      '  flashkv commands wait), re-checked before it is replaced atomically, and written through a symlink.',
      '  A value that starts with - goes after --: flashkv put IMAGE KEY -- -5. --file - reads stdin.',
      '  --type stores the value as a little-endian number (u8..u64, i8..i64, f32, f64), as text (string)',
      "  or as hex digits (hex), as a manifest row does, and keeps the key's type in IMAGE.json. Without",
      "  --type a key with a saved type (create saves the manifest's) takes a number of that type, or is",
      '  refused saying why; other keys take text. --hex gives raw bytes (digits only, no 0x, in pairs).',
      '  Examples:',
      '    flashkv put factory.img wifi/ssid home-network',
      '    flashkv put factory.img boot/count 7 --type u32',
      '    flashkv put factory.img calib/gain -- -1.5',
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
    hex: {
      type: 'boolean',
      description: "The value is raw bytes given as hex digits (the key's saved type is kept)",
    },
    type: {
      type: 'string',
      description: `Store the value as: ${VALUE_ENCODINGS.join(', ')} (default: the key's saved type, else string)`,
      valueHint: 'TYPE',
    },
    file: { type: 'string', description: 'Read the value from this file (- for stdin)' },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  async run({ args }) {
    refuseTogether(args, ['hex', 'file']);
    refuseTogether(args, ['type', 'hex']);
    refuseTogether(args, ['type', 'file']);
    const encoding = args.type === undefined ? undefined : valueEncoding(args.type);
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
      const input: PutValueInput =
        args.file !== undefined
          ? { bytes: await readUserInput(args.file, 'value file', limit) }
          : args.hex === true
            ? { bytes: orFail(() => encodeHexValue(args.value!)) }
            : { text: args.value!, ...(encoding === undefined ? {} : { encoding }) };
      const savedType = image.resolved.valueTypes?.get(bytesToHex(key));
      const { value, type } = orFail(() =>
        encodePutValue(input, savedType, `key ${showBytes(key)}`),
      );
      const status = image.store.putStatus(key, value);
      if (status !== 'OK') {
        cliFail(
          `cannot put key ${showBytes(key)} in ${args.image}: ${describePutFailure(status, value.length)}; the image is unchanged`,
        );
      }
      const saved = saveImage(image);
      // The image is saved first: a config file that cannot be written loses a type, not data.
      const recorded = recordValueType(image, args, key, type);
      if (!recorded.written && !recorded.unchanged) {
        printWarning(
          `warning: the value type of ${showBytes(key)} (${type ?? 'untyped'}) is not recorded: ${recorded.why}`,
        );
      }
      if (args.json === true) {
        printJson('put', {
          image: args.image,
          ...keyJson(key),
          size_bytes: value.length,
          ...(type === undefined ? {} : { value_type: type }),
          saved,
          ...(recorded.written ? { config_file: recorded.file } : {}),
        });
        return;
      }
      const shown = type === undefined ? `${value.length} B` : `${type}, ${value.length} B`;
      const typeNote = !recorded.written
        ? ''
        : type === undefined
          ? `; its value type is dropped from ${recorded.file}`
          : `; value type ${type} saved in ${recorded.file}`;
      print(
        `put ${showBytes(key)} (${shown})${saved ? '' : ': the same value was already stored'}${typeNote}`,
      );
    });
  },
});

/** The --type given, checked against the encodings (`text` is the inspector's name for string). */
function valueEncoding(name: string): ValueEncoding {
  const encoding = name === 'text' ? 'string' : name;
  if (!isValueEncoding(encoding)) {
    cliFail(`--type ${JSON.stringify(name)}: expected one of ${VALUE_ENCODINGS.join(', ')}`);
  }
  return encoding;
}

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
