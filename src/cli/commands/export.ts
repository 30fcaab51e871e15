import { defineCommand } from 'citty';
import { imageConfigToJson } from '../../image/config.js';
import { bytesToHex } from '../../bytes.js';
import { cliFail } from '../_errors.js';
import { CONFIG_ARGS, openImage, requireOpen, writeFile } from '../_image.js';
import { print } from '../_io.js';
import type { ValueType } from '../../image/value-types.js';
import { JsonManifestWriter, type ManifestEntry, manifestCsv, readManifest } from '../_manifest.js';
import { plural, warnProblems } from '../_report.js';

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
    // JSON rows become text as they are read; CSV needs them all (csv-stringify quotes them).
    const json =
      args.format === 'csv' ? undefined : new JsonManifestWriter(imageConfigToJson(image.config));
    const entries: ManifestEntry[] = [];
    for (const item of image.store.items()) {
      if (item.key.length === 0)
        cliFail(`${args.image}: a key could not be read; see flashkv check`);
      // Plain literals, and no key lookup without types: 100 000 keys in a few milliseconds.
      const type = types.size === 0 ? undefined : types.get(bytesToHex(item.key));
      const entry: ManifestEntry =
        type === undefined
          ? { key: item.key, value: item.value() }
          : { key: item.key, value: item.value(), type };
      if (json === undefined) entries.push(entry);
      else json.add(entry);
    }
    const count = json === undefined ? entries.length : json.count;
    const toStdout = args.out === undefined || args.out === '-';
    if (json === undefined) writeFile(toStdout ? '-' : args.out!, manifestCsv(entries));
    else if (toStdout) for (const chunk of json.finish()) writeFile('-', chunk);
    else writeFile(args.out!, json.finish().join(''));
    if (!toStdout) print(`exported ${plural(count, 'key')} to ${args.out}`);
  },
});
