import { defineCommand } from 'citty';
import { describeImageConfig, imageConfigToJson } from '../../image/config.js';
import {
  CONFIG_ARGS,
  JSON_ARG,
  type OpenedImage,
  openImage,
  requireOpen,
  writeFile,
} from '../_image.js';
import { print } from '../_io.js';
import { bytes, table } from '../_output.js';
import { printJson, warningsJson } from '../_report.js';
import { imageProblems } from '../../image/check.js';
import { changedSectors } from '../../image/open.js';

/**
 * The file's size, and the partition's where it differs: a window of the file, bytes past it,
 * or a truncated file (the bytes it lacks).
 */
function imageSize(image: OpenedImage): string {
  const partition = image.original.length;
  const where = image.window.offset === 0 ? '' : ` at offset 0x${image.window.offset.toString(16)}`;
  if (image.truncatedBytes > 0) {
    return `${bytes(image.file.length)}; truncated: the config's partition${where} is ${bytes(partition)}, ${bytes(image.truncatedBytes)} missing`;
  }
  if (partition === image.file.length) return bytes(partition);
  return `${bytes(image.file.length)}; partition ${bytes(partition)}${where}`;
}

export default defineCommand({
  meta: {
    name: 'info',
    description: [
      "Show an image's geometry, formats, keys and space.",
      '  With --detect, also the config inferred from the bytes; --save-config writes the config to IMAGE.json,',
      '  where every command picks it up. Never changes the image.',
      '  Examples:',
      '    flashkv info factory.img',
      '    flashkv info field-dump.bin --detect --save-config',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    'save-config': { type: 'boolean', description: 'Write the config used to IMAGE.json' },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  run({ args }) {
    const image = openImage(args.image, args, { forWriting: false });
    requireOpen(image);
    const { store, scan, config, resolved } = image;
    const stats = store.storageStats();
    const source =
      resolved.detected !== undefined
        ? 'detected'
        : resolved.file !== undefined
          ? resolved.file
          : 'defaults';
    const configJson = imageConfigToJson(config);
    let savedConfig: string | undefined;
    if (args['save-config'] === true) {
      savedConfig = `${args.image}.json`;
      // The value types the config had are kept (by key hex: exact for any key).
      const types = [...(resolved.valueTypes ?? [])].map(([id, type]) => [`hex:${id}`, type]);
      const saved =
        types.length === 0 ? configJson : { ...configJson, value_types: Object.fromEntries(types) };
      writeFile(savedConfig, `${JSON.stringify(saved, null, 2)}\n`);
    }
    const repaired = changedSectors(image).length > 0;
    // The problems `check` lists before init runs: a truncated file, the scan's, a wrong config.
    const problems = imageProblems(image);
    if (args.json === true) {
      printJson('info', {
        image: args.image,
        size_bytes: image.original.length,
        offset: image.window.offset,
        file_size_bytes: image.file.length,
        truncated_bytes: image.truncatedBytes,
        trailing_bytes: image.trailingBytes,
        config: configJson,
        config_source: source,
        ...(resolved.detected === undefined
          ? {}
          : {
              detection: {
                entries_found: resolved.detected.entriesFound,
                other_sector_sizes: resolved.detected.otherSectorSizes,
                inconsistent_sectors: resolved.detected.inconsistentSectors,
                notes: resolved.detected.notes,
              },
            }),
        init_status: image.initStatus,
        init_repairs_in_memory: repaired,
        keys: store.size,
        deleted_keys: scan.deletedKeys,
        legacy_entries: scan.legacyEntries,
        transaction_count: store.transactionCount,
        in_use_bytes: stats.inUseBytes,
        reclaimable_bytes: stats.reclaimableBytes,
        writable_bytes: stats.writableBytes,
        problems,
        ...(savedConfig === undefined ? {} : { saved_config: savedConfig }),
        ...warningsJson(image),
      });
      return;
    }
    const rows: [string, string][] = [
      ['image', `${args.image} (${imageSize(image)})`],
      ['config', `${describeImageConfig(config)} [${source}]`],
      [
        'keys',
        `${store.size} live, ${scan.deletedKeys} deleted (index ${store.totalEntriesWithDeleted} of ${store.maxSize})`,
      ],
      [
        'space',
        `${bytes(stats.inUseBytes)} in use, ${bytes(stats.reclaimableBytes)} reclaimable, ${bytes(stats.writableBytes)} writable`,
      ],
      ['transactions', String(store.transactionCount)],
      ['legacy entries', String(scan.legacyEntries)],
      [
        'problems',
        problems.length === 0
          ? 'none'
          : `${problems.length} (${[...new Set(problems.map((problem) => problem.kind))].join(', ')}; see flashkv check)`,
      ],
      [
        'init',
        image.initStatus === 'OK' && !repaired
          ? 'OK'
          : `${image.initStatus}${repaired ? ', repairs made in memory only (nothing written)' : ''}`,
      ],
    ];
    print(table([], rows));
    if (resolved.detected !== undefined) {
      print(`\ndetected config (${resolved.detected.entriesFound} entries):`);
      print(JSON.stringify(configJson, null, 2));
      for (const note of resolved.detected.notes) print(`note: ${note}`);
    }
    if (savedConfig !== undefined) print(`config saved to ${savedConfig}`);
  },
});
