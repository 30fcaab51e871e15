import { defineCommand } from 'citty';
import { imageConfigToJson } from '../../image/config.js';
import { cliFail } from '../_errors.js';
import { CONFIG_ARGS, openImage, requireOpen, writeFile } from '../_image.js';
import { print } from '../_io.js';
import { type ManifestEntry, manifestCsv, manifestJson } from '../_manifest.js';
import { warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'export',
    description: [
      "Write an image's keys as a manifest that create reads back.",
      '  JSON carries the config too; CSV is key,type,encoding,value. Values are text when printable, else hex.',
      '  Never changes the image.',
      '  Examples:',
      '    flashkv export factory.img > keys.json',
      '    flashkv export dump.bin --detect --format csv --out keys.csv',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    format: {
      type: 'enum',
      options: ['json', 'csv'],
      default: 'json',
      description: 'Manifest format',
    },
    out: { type: 'string', description: 'Write the manifest to this file instead of stdout' },
    ...CONFIG_ARGS,
  },
  run({ args }) {
    const image = openImage(args.image, args, { forWriting: false });
    requireOpen(image);
    warnProblems(image);
    const entries: ManifestEntry[] = [];
    for (const item of image.store.items()) {
      if (item.key.length === 0)
        cliFail(`${args.image}: a key could not be read; see flashkv check`);
      entries.push({ key: item.key, value: item.value() });
    }
    const text =
      args.format === 'csv'
        ? manifestCsv(entries)
        : manifestJson(imageConfigToJson(image.config), entries);
    if (args.out === undefined) process.stdout.write(text);
    else {
      writeFile(args.out, text);
      print(`exported ${entries.length} keys to ${args.out}`);
    }
  },
});
