import { defineCommand } from 'citty';
import { hex } from '../../status.js';
import { imageConfigToJson } from '../../image/config.js';
import { locatePartitions } from '../../image/locate.js';
import { EXIT_PROBLEMS } from '../_errors.js';
import { JSON_ARG, readImage } from '../_image.js';
import { print, setExitCode } from '../_io.js';
import { table } from '../_output.js';
import { plural, printJson } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'locate',
    description: [
      'Find the pw_kvs partitions inside a whole-chip dump: offset, size, sector size, format, keys.',
      '  Finds entries at any byte offset by their structure (any magic; CRC-16, CRC-32 or none), then',
      "  each partition's bounds from where its sectors start and the other data around it, and detects",
      '  its config. Exit 1 when none is found. Then read one with --offset and --size (or --offset auto).',
      '  Examples:',
      '    flashkv locate chip.bin',
      '    flashkv ls chip.bin --offset auto',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Chip dump file', required: true },
    ...JSON_ARG,
  },
  run({ args }) {
    const chip = readImage(args.image);
    const found = locatePartitions(chip);
    if (found.length === 0) setExitCode(EXIT_PROBLEMS);
    if (args.json === true) {
      printJson('locate', {
        image: args.image,
        file_size_bytes: chip.length,
        partitions: found.map((partition) => ({
          offset: partition.offset,
          size_bytes: partition.sizeBytes,
          sector_size: partition.config.sectorSizeBytes,
          sector_count: partition.config.sectorCount,
          formats: partition.config.formats.map((format) => ({
            magic: format.magic,
            checksum: format.checksum,
          })),
          live_keys: partition.liveKeys,
          valid_entries: partition.validEntries,
          corrupt_entries: partition.corruptEntries,
          confidence: partition.confidence,
          config: imageConfigToJson(partition.config),
          notes: [...partition.notes],
        })),
      });
      return;
    }
    if (found.length === 0) {
      print(`${args.image}: no pw_kvs partition found`);
      return;
    }
    print(
      table(
        ['offset', 'size', 'sector size', 'sectors', 'format', 'keys', 'entries', 'confidence'],
        found.map((partition) => [
          hex(partition.offset),
          hex(partition.sizeBytes),
          partition.config.sectorSizeBytes,
          partition.config.sectorCount,
          partition.config.formats
            .map((format) => `${hex(format.magic)} ${format.checksum}`)
            .join(', '),
          partition.liveKeys,
          partition.validEntries,
          partition.confidence,
        ]),
      ),
    );
    for (const partition of found) {
      for (const note of partition.notes) print(`note: ${hex(partition.offset)}: ${note}`);
    }
    const first = found[0]!;
    print(
      `${plural(found.length, 'partition')}; read one with: flashkv ls ${args.image} --offset ${hex(first.offset)} --size ${hex(first.sizeBytes)}`,
    );
  },
});
