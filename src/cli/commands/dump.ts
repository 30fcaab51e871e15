import { defineCommand } from 'citty';
import { scanJson, showBytes } from '../../image/report.js';
import { CONFIG_ARGS, JSON_ARG, openImage } from '../_image.js';
import { print } from '../_io.js';
import { printTable, sectorMap } from '../_output.js';
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
    // The log's cells column by column, each string built once (100 000 entries).
    const { entries } = scan;
    const addresses: string[] = [];
    const sectors: string[] = [];
    const formats: string[] = [];
    const transactions: string[] = [];
    const keys: string[] = [];
    const values: string[] = [];
    const states: string[] = [];
    // Sector numbers and value sizes repeat: each cell text is made once and shared.
    const sectorCells: string[] = [];
    const sizeCells = new Map<number | null, string>();
    for (const entry of entries) {
      addresses.push(`0x${entry.address.toString(16).padStart(6, '0')}`);
      sectors.push((sectorCells[entry.sector] ??= String(entry.sector)));
      formats.push(formatName(entry.formatIndex));
      transactions.push(String(entry.transactionId));
      keys.push(entry.key.length === 0 ? '?' : showBytes(entry.key));
      let size = sizeCells.get(entry.valueSizeBytes);
      if (size === undefined) {
        size = entry.valueSizeBytes === null ? 'tombstone' : `${entry.valueSizeBytes} B`;
        sizeCells.set(entry.valueSizeBytes, size);
      }
      values.push(size);
      states.push(entry.reason === undefined ? entry.state : `${entry.state}: ${entry.reason}`);
    }
    printTable(
      ['address', 'sector', 'format', 'transaction', 'key', 'value', 'state'],
      [addresses, sectors, formats, transactions, keys, values, states],
    );
    for (const region of scan.corruptRegions) {
      print(
        `corrupt: sector ${region.sector}, ${region.sizeBytes} B at 0x${region.address.toString(16)}: ${region.reason}`,
      );
    }
    print('');
    print(sectorMap(scan.sectors, config.sectorSizeBytes));
  },
});
