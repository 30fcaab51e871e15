import { defineCommand } from 'citty';
import { scanJson, showBytes } from '../../image/report.js';
import { CONFIG_ARGS, JSON_ARG, openImage } from '../_image.js';
import { print } from '../_io.js';
import { sectorMap, tableLines } from '../_output.js';
import { formatName, printJson, warningsJson, warnProblems } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'dump',
    description: [
      'Print the entry log and a map of the sectors.',
      '  The log lists every entry in flash order: address, sector, format, transaction id, key, size, and',
      "  live / stale / tombstone / corrupt. The map draws each sector's valid / stale / free / corrupt bytes.",
      '  Never changes the image.',
      '  Examples:',
      '    flashkv dump factory.img',
      '    flashkv dump field-dump.bin --detect --json > log.json',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  run({ args }) {
    const image = openImage(args.image, args, { forWriting: false });
    const { scan, config } = image;
    if (args.json === true) {
      printJson('dump', { image: args.image, ...scanJson(scan), ...warningsJson(image) });
      return;
    }
    warnProblems(image);
    for (const line of tableLines(
      ['address', 'sector', 'format', 'transaction', 'key', 'value', 'state'],
      scan.entries.map((entry) => [
        `0x${entry.address.toString(16).padStart(6, '0')}`,
        entry.sector,
        formatName(entry.formatIndex),
        entry.transactionId,
        entry.key.length === 0 ? '?' : showBytes(entry.key),
        entry.valueSizeBytes === null ? 'tombstone' : `${entry.valueSizeBytes} B`,
        entry.reason === undefined ? entry.state : `${entry.state}: ${entry.reason}`,
      ]),
    )) {
      print(line);
    }
    for (const region of scan.corruptRegions) {
      print(
        `corrupt: sector ${region.sector}, ${region.sizeBytes} B at 0x${region.address.toString(16)}: ${region.reason}`,
      );
    }
    print('');
    print(sectorMap(scan.sectors, config.sectorSizeBytes));
  },
});
