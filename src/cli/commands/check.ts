import { defineCommand } from 'citty';
import { EXIT_PROBLEMS, setExitCode } from '../_errors.js';
import { CONFIG_ARGS, JSON_ARG, changedSectors, openImage, requireOpen } from '../_image.js';
import { print } from '../_io.js';
import { sectorRows, table } from '../_output.js';
import { damageEffects, plural, printDetection, scanJson } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'check',
    description: [
      "Check an image's integrity; exit 1 when problems are found.",
      '  Per sector and per entry: corrupt regions, entries failing their checksum, missing redundant copies,',
      "  stale and free bytes, legacy-format entries, and what pw_kvs's init would repair. Never changes the image.",
      '  Examples:',
      '    flashkv check factory.img',
      '    flashkv check field-dump.bin --detect --json',
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
    const initChanges = changedSectors(image);
    const problems = scan.problems.map((problem) => problem.message);
    if (image.initStatus !== 'OK') problems.push(`pw_kvs's init reports ${image.initStatus}`);
    if (problems.length === 0 && initChanges.length > 0) {
      problems.push(`pw_kvs's init would rewrite sectors ${initChanges.join(', ')}`);
    }
    if (problems.length > 0) setExitCode(EXIT_PROBLEMS);
    const entryProblems = scan.entries.filter((entry) => entry.state === 'corrupt');
    if (args.json === true) {
      print(
        JSON.stringify(
          {
            image: args.image,
            ok: problems.length === 0,
            problems,
            init_status: image.initStatus,
            init_would_rewrite_sectors: initChanges,
            erase_counts: null,
            ...scanJson(scan),
          },
          null,
          2,
        ),
      );
      return;
    }
    printDetection(image);
    requireOpen(image);
    const counts = { live: 0, tombstone: 0, stale: 0, corrupt: 0 };
    for (const entry of scan.entries) counts[entry.state]++;
    print(
      `${args.image}: ${config.sectorCount} sectors of ${config.sectorSizeBytes} B, ${scan.entries.length} entries ` +
        `(${counts.live} live, ${counts.tombstone} tombstones, ${counts.stale} stale, ${counts.corrupt} corrupt)`,
    );
    print(
      table(
        ['sector', 'entries', 'valid B', 'stale B', 'free B', 'corrupt B', 'state'],
        sectorRows(scan.sectors, config.sectorSizeBytes, (sector) => [
          sector.entryCount,
          sector.liveBytes,
          sector.staleBytes,
          sector.freeBytes,
          sector.corruptBytes,
          sector.corruptBytes > 0
            ? 'CORRUPT'
            : sector.freeBytes === config.sectorSizeBytes
              ? 'empty'
              : sector.freeBytes === 0
                ? 'full'
                : 'ok',
        ]),
      ),
    );
    if (entryProblems.length > 0) {
      const effects = damageEffects(scan);
      print('\nentries with problems:');
      print(
        table(
          ['address', 'sector', 'key', 'problem', 'effect'],
          entryProblems.map((entry) => [
            `0x${entry.address.toString(16)}`,
            entry.sector,
            entry.keyText,
            entry.reason ?? '',
            effects.get(entry) ?? '',
          ]),
        ),
      );
    }
    if (scan.legacyEntries > 0) {
      print(
        `\n${scan.legacyEntries} current entries are in a legacy format: maintenance (flashkv repair) rewrites them in the primary format`,
      );
    }
    print('erase counts: not recorded in pw_kvs images');
    if (problems.length === 0) {
      print('OK: no problems');
      return;
    }
    print(`\n${plural(problems.length, 'problem')}:`);
    for (const problem of problems) print(`  ${problem}`);
    if (initChanges.length > 0) {
      print(
        `pw_kvs's init would rewrite sector${initChanges.length === 1 ? '' : 's'} ${initChanges.join(', ')}; see flashkv repair --dry-run`,
      );
    }
  },
});
