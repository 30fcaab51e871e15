import { defineCommand } from 'citty';
import { imageConfigToJson } from '../../image/config.js';
import { bytesToHex } from '../../image/report.js';
import { cliFail } from '../_errors.js';
import { CONFIG_ARGS, openImage, requireOpen, writeFile } from '../_image.js';
import { print } from '../_io.js';
import {
  type ManifestEntry,
  type ValueType,
  manifestCsv,
  manifestJson,
  readManifest,
} from '../_manifest.js';
import { warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'export',
    description: [
      "Write an image's keys as a manifest that create reads back.",
      '  JSON carries the config too; CSV is key,type,encoding,value. Values keep their type (u32, f32, …) when',
      '  the config beside the image (create saves it) or --types MANIFEST gives one; else text when',
      '  printable, else hex. Never changes the image.',
      '  Examples:',
      '    flashkv export factory.img > keys.json',
      '    flashkv export dump.bin --detect --format csv --out keys.csv',
      '    flashkv export dump.bin --types keys.csv --format csv',
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
    out: { type: 'string', description: 'Write the manifest to this file (default, or -: stdout)' },
    types: { type: 'string', description: 'Take value types from this manifest (.json or .csv)' },
    ...CONFIG_ARGS,
  },
  async run({ args }) {
    const image = openImage(args.image, args, { forWriting: false });
    requireOpen(image);
    warnProblems(image);
    const types = new Map<string, ValueType>(image.resolved.valueTypes ?? []);
    if (args.types !== undefined) {
      for (const entry of (await readManifest(args.types)).entries) {
        if (entry.type !== undefined) types.set(bytesToHex(entry.key), entry.type);
      }
    }
    const entries: ManifestEntry[] = [];
    for (const item of image.store.items()) {
      if (item.key.length === 0)
        cliFail(`${args.image}: a key could not be read; see flashkv check`);
      const type = types.get(bytesToHex(item.key));
      entries.push({ key: item.key, value: item.value(), ...(type === undefined ? {} : { type }) });
    }
    const text =
      args.format === 'csv'
        ? manifestCsv(entries)
        : manifestJson(imageConfigToJson(image.config), entries);
    if (args.out === undefined || args.out === '-') writeFile('-', text);
    else {
      writeFile(args.out, text);
      print(`exported ${entries.length} keys to ${args.out}`);
    }
  },
});
