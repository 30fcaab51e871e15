import { existsSync } from 'node:fs';
import { defineCommand } from 'citty';
import {
  type ImageConfig,
  DEFAULT_IMAGE_CONFIG,
  imageConfigToJson,
  parseImageConfig,
} from '../../image/config.js';
import { KvsError } from '../../status.js';
import { cliFail } from '../_errors.js';
import { CONFIG_ARGS, FORCE_ARG, JSON_ARG, resolveConfig, storeOn, writeFile } from '../_image.js';
import { print } from '../_io.js';
import { readManifest } from '../_manifest.js';
import { bytes } from '../_output.js';
import { keyToText } from '../../image/scan.js';

export default defineCommand({
  meta: {
    name: 'create',
    description: [
      'Build an image from a JSON or CSV manifest of keys and values.',
      "  Puts the manifest's keys in order, as pw_kvs would: the image equals what firmware writes.",
      '  CSV rows are key,type,encoding,value as nvs_partition_gen: type data or file; encoding string, hex,',
      '  base64, binary (file), file, u8..u64, i8..i64, f32, f64 (little-endian).',
      '  The config comes from the flags, --config, the manifest\'s "config", or the defaults (4 × 4 KiB,',
      '  CRC-16), and is saved beside the image as IMAGE.json, where later commands find it.',
      '  Examples:',
      '    flashkv create factory.img --from keys.csv --sectors 8',
      '    flashkv create dev.img --from keys.json --magic 0x4b565331 --checksum crc32',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file to write', required: true },
    from: { type: 'string', description: 'Manifest file (.json or .csv)', required: true },
    'namespace-prefixes': {
      type: 'boolean',
      description: 'Store keys after an NVS namespace row "ns" as "ns/key"',
    },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
    ...JSON_ARG,
  },
  run({ args }) {
    const path = args.image;
    if (args.detect === true)
      cliFail('create: --detect reads an existing image; give the config instead');
    if (existsSync(path) && args.force !== true) {
      cliFail(`${path} already exists; pass --force to replace it`);
    }
    const manifest = readManifest(args.from, {
      namespacePrefixes: args['namespace-prefixes'] === true,
    });
    let fallback: ImageConfig = DEFAULT_IMAGE_CONFIG;
    if (manifest.config !== undefined && args.config === undefined) {
      try {
        fallback = parseImageConfig(manifest.config, `manifest ${args.from} config`);
      } catch (error) {
        if (KvsError.is(error)) cliFail(error.message);
        throw error;
      }
    }
    // Not a config beside the image: it would describe the image being replaced, if any.
    const { config } = resolveConfig(path, args, undefined, fallback, false);
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
        cliFail(`manifest ${args.from}: cannot put key ${keyToText(key)}: ${why}; nothing written`);
      }
    }
    writeFile(path, flash.bytes);
    // Later commands find the config beside the image.
    const configFile = `${path}.json`;
    writeFile(configFile, `${JSON.stringify(imageConfigToJson(config), null, 2)}\n`);
    const stats = store.storageStats();
    if (args.json === true) {
      print(
        JSON.stringify(
          {
            image: path,
            configFile: configFile ?? null,
            keys: store.size,
            bytes: flash.sizeBytes,
            stats,
          },
          null,
          2,
        ),
      );
      return;
    }
    print(
      `created ${path}: ${store.size} keys, ${config.sectorCount} × ${config.sectorSizeBytes} B sectors, ` +
        `${bytes(stats.inUseBytes)} in use, ${bytes(stats.writableBytes)} writable` +
        `; config saved to ${configFile}`,
    );
  },
});
