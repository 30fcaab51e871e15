import { existsSync } from 'node:fs';
import { defineCommand } from 'citty';
import {
  type ImageConfig,
  DEFAULT_IMAGE_CONFIG,
  imageConfigToJson,
  parseImageConfig,
} from '../../image/config.js';
import { showBytes } from '../../image/report.js';
import { storeOn } from '../../image/open.js';
import { cliFail, orFail } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  JSON_ARG,
  lockImage,
  resolveConfig,
  writeFile,
} from '../_image.js';
import { print } from '../_io.js';
import { readManifest } from '../_manifest.js';
import { bytesToHex, printableText } from '../../bytes.js';
import { bytes } from '../_output.js';
import { plural, printJson, refuseTogether } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'create',
    description: [
      'Build an image from a JSON or CSV manifest of keys and values.',
      "  Puts the manifest's keys in order, as pw_kvs would: the image equals what firmware writes.",
      '  CSV rows are key,type,encoding,value as nvs_partition_gen: type data or file; encoding string, hex,',
      '  base64, binary (file), file, u8..u64, i8..i64, f32, f64 (little-endian). --from - reads stdin.',
      '  The config comes from the flags, --config, the manifest\'s "config", or the defaults (4 × 4 KiB,',
      '  CRC-16), and is saved beside the image as IMAGE.json (with the value types the manifest gave),',
      '  where later commands find it.',
      '  Examples:',
      '    flashkv create factory.img --from keys.csv --sectors 8',
      '    flashkv create dev.img --from keys.json --magic 0x4b565331 --checksum crc32',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file to write', required: true },
    from: {
      type: 'string',
      description: 'Manifest file (.json or .csv; - for stdin)',
      required: true,
    },
    'namespace-prefixes': {
      type: 'boolean',
      description: 'Store keys after an NVS namespace row "ns" as "ns/key"',
    },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  async run({ args }) {
    const path = args.image;
    if (args.detect === true)
      cliFail('create: --detect reads an existing image; give the config instead');
    refuseTogether(args, ['offset', 'detect']);
    if (args.offset !== undefined || args.size !== undefined) {
      cliFail('create: --offset / --size open a partition inside an existing dump; give --sectors');
    }
    const locked = await lockImage(path);
    try {
      if (existsSync(locked.target) && args.force !== true) {
        cliFail(`${path} already exists; pass --force to replace it`);
      }
      const manifest = await readManifest(args.from, {
        namespacePrefixes: args['namespace-prefixes'] === true,
      });
      let fallback: ImageConfig = DEFAULT_IMAGE_CONFIG;
      if (manifest.config !== undefined && args.config === undefined) {
        const json = manifest.config;
        fallback = orFail(() => parseImageConfig(json, `manifest ${args.from} config`));
      }
      // Not a config beside the image: it would describe the image being replaced, if any.
      const { config } = resolveConfig(path, args, fallback, false);
      const { flash, store } = storeOn(config);
      store.init();
      for (const { key, value } of manifest.entries) {
        const status = store.putStatus(key, value);
        if (status !== 'OK') {
          const why =
            status === 'RESOURCE_EXHAUSTED'
              ? 'the image is full (more sectors, or a larger --sector-size)'
              : status === 'INVALID_ARGUMENT'
                ? `the value (${value.length} B) does not fit one sector`
                : `pw_kvs status ${status}`;
          cliFail(
            `manifest ${args.from}: cannot put key ${showBytes(key)}: ${why}; nothing written`,
          );
        }
      }
      if (existsSync(locked.target)) locked.read(); // --force: replace what is there now
      orFail(() => locked.write(flash.bytes));
      // Later commands find the config beside the image, with the types the manifest gave.
      const configFile = `${path}.json`;
      const valueTypes = Object.fromEntries(
        manifest.entries
          .filter((entry) => entry.type !== undefined)
          .map((entry) => {
            const text = printableText(entry.key);
            return [text === undefined ? `hex:${bytesToHex(entry.key)}` : text, entry.type!];
          }),
      );
      const configJson = {
        ...imageConfigToJson(config),
        ...(Object.keys(valueTypes).length === 0 ? {} : { value_types: valueTypes }),
      };
      writeFile(configFile, `${JSON.stringify(configJson, null, 2)}\n`);
      const stats = store.storageStats();
      if (args.json === true) {
        printJson('create', {
          image: path,
          config_file: configFile,
          keys: store.size,
          size_bytes: flash.sizeBytes,
          in_use_bytes: stats.inUseBytes,
          writable_bytes: stats.writableBytes,
          reclaimable_bytes: stats.reclaimableBytes,
        });
        return;
      }
      print(
        `created ${path}: ${plural(store.size, 'key')}, ${config.sectorCount} × ${config.sectorSizeBytes} B sectors, ` +
          `${bytes(stats.inUseBytes)} in use, ${bytes(stats.writableBytes)} writable` +
          `; config saved to ${configFile}`,
      );
    } finally {
      await locked.unlock();
    }
  },
});
