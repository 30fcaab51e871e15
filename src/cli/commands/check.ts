import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { defineCommand } from 'citty';
import { globSync } from 'tinyglobby';
import { stringify } from 'csv-stringify/sync';
import { sectorLabel } from '../../image/check.js';
import { damageEffects } from '../../image/repair-effect.js';
import { scanJson, showBytes } from '../../image/report.js';
import { type CheckRow, checkProblems, checkRow } from '../_check.js';
import { EXIT_PROBLEMS, EXIT_USAGE, cliFail } from '../_errors.js';
import { CONFIG_ARGS, type ConfigArgs, JSON_ARG, openImage, requireOpen } from '../_image.js';
import { print, printWarning, setExitCode, writeStdout } from '../_io.js';
import { sectorRows, table, tableLines } from '../_output.js';
import { plural, printDetection, printJson, refuseTogether, warningsJson } from '../_report.js';

export default defineCommand({
  meta: {
    name: 'check',
    description: [
      "Check an image's integrity; exit 1 when problems are found.",
      '  Per sector and per entry: corrupt regions, entries failing their checksum, missing redundant copies,',
      "  stale and free bytes, legacy-format entries, and what pw_kvs's init would repair. Never changes the image.",
      '  Given several dumps or a folder (its *.bin and *.img files, or --glob), checks them in parallel: one row per dump and a',
      '  total (--json, --csv); exit 1 if any has problems, 2 if any cannot be read.',
      '  Examples:',
      '    flashkv check factory.img',
      '    flashkv check field-dump.bin --detect --json',
      '    flashkv check dumps/ --sector-size 4096 --csv > triage.csv',
    ].join('\n'),
  },
  args: {
    image: {
      type: 'positional',
      description: 'Image file(s) or a folder of dumps',
      required: true,
    },
    csv: { type: 'boolean', description: 'Print the batch summary as CSV' },
    glob: {
      type: 'string',
      description:
        "In a folder, the dumps' file names (default: *.bin and *.img; **/*.bin goes into sub-folders)",
      valueHint: 'PATTERN',
    },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  async run({ args }) {
    refuseTogether(args, ['json', 'csv']);
    const paths = [args.image, ...args._.slice(1).map(String)];
    const isBatch =
      paths.length > 1 || args.csv === true || (existsSync(args.image) && isFolder(args.image));
    if (isBatch) {
      await checkBatch(
        expand(paths, args.glob),
        args,
        args.json === true ? 'json' : args.csv ? 'csv' : 'text',
      );
      return;
    }
    checkOne(args.image, args, args.json === true);
  },
});

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** What a folder's dumps are called unless `--glob` says otherwise. */
const DUMP_PATTERNS = ['*.bin', '*.img'];

/**
 * The dumps named: files as given; in a folder, the files matching `glob` (default `*.bin`,
 * `*.img`), sorted. The folder's other files (not config, lock or hidden files) are listed as
 * skipped on stderr, not checked as unreadable dumps.
 */
function expand(paths: readonly string[], glob: string | undefined): string[] {
  const files: string[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    if (!isFolder(path)) {
      files.push(path);
      continue;
    }
    const matched = new Set(
      globSync(glob ?? DUMP_PATTERNS, { cwd: path, onlyFiles: true, caseSensitiveMatch: false }),
    );
    files.push(...[...matched].sort().map((name) => join(path, name)));
    for (const name of readdirSync(path).sort()) {
      if (matched.has(name) || name.startsWith('.') || name.endsWith('.json')) continue;
      if (name.endsWith('.lock') || isFolder(join(path, name))) continue;
      skipped.push(join(path, name));
    }
  }
  if (skipped.length > 0) {
    printWarning(
      `skipped ${plural(skipped.length, 'file')} not named like a dump (${glob ?? DUMP_PATTERNS.join(', ')}; --glob to choose): ${skipped.join(', ')}`,
    );
  }
  if (files.length === 0) cliFail(`no dumps in ${paths.join(', ')}`);
  return files;
}

/** The worker script beside this file, when running from the build (not from the sources). */
const WORKER = new URL('../_check-worker.js', import.meta.url);

/** Checks `paths` in worker threads (in this thread when few, or running from sources). */
async function checkRows(paths: readonly string[], args: ConfigArgs): Promise<CheckRow[]> {
  const threads = Math.min(availableParallelism(), Math.ceil(paths.length / 4), 8);
  if (threads <= 1 || !existsSync(WORKER)) return paths.map((path) => checkRow(path, args));
  const config: ConfigArgs = Object.fromEntries(
    Object.keys(CONFIG_ARGS)
      .filter((flag) => (args as Record<string, unknown>)[flag] !== undefined)
      .map((flag) => [flag, (args as Record<string, unknown>)[flag]]),
  );
  const chunks = Array.from({ length: threads }, (_, thread) =>
    paths.filter((_, i) => i % threads === thread),
  );
  const results = await Promise.all(
    chunks.map(
      (chunk) =>
        new Promise<CheckRow[]>((resolve, reject) => {
          const worker = new Worker(WORKER, { workerData: { paths: chunk, args: config } });
          worker.once('message', (rows: CheckRow[]) => resolve(rows));
          worker.once('error', reject);
          worker.once('exit', (code) => {
            if (code !== 0) reject(new Error(`a check worker stopped with code ${code}`));
          });
        }),
    ),
  );
  // Back in the order given.
  const rows: CheckRow[] = [];
  for (let i = 0; i < paths.length; i++) rows.push(results[i % threads]![Math.floor(i / threads)]!);
  return rows;
}

async function checkBatch(
  paths: readonly string[],
  args: ConfigArgs,
  format: 'text' | 'json' | 'csv',
): Promise<void> {
  const rows = await checkRows(paths, args);
  const unreadable = rows.filter((row) => row.error !== undefined).length;
  const withProblems = rows.filter((row) => row.error === undefined && !row.ok).length;
  const total = {
    dumps: rows.length,
    ok: rows.length - unreadable - withProblems,
    with_problems: withProblems,
    unreadable,
    live_keys: rows.reduce((sum, row) => sum + row.live_keys, 0),
    corrupt_entries: rows.reduce((sum, row) => sum + row.corrupt_entries, 0),
  };
  if (unreadable > 0) setExitCode(EXIT_USAGE);
  else if (withProblems > 0) setExitCode(EXIT_PROBLEMS);
  const summary = (row: CheckRow): string =>
    row.error ?? (row.problems.length === 0 ? 'ok' : row.problems[0]!.message);
  if (format === 'json') {
    printJson('check_batch', { dumps: rows, total });
    return;
  }
  if (format === 'csv') {
    writeStdout(
      stringify([
        ['image', 'ok', 'live_keys', 'entries', 'corrupt_entries', 'problems', 'summary'],
        ...rows.map((row) => [
          row.image,
          // Spelt out: csv-stringify writes false as an empty field, which reads as unknown.
          String(row.ok),
          row.live_keys,
          row.entries,
          row.corrupt_entries,
          row.error === undefined ? row.problems.length : '',
          summary(row),
        ]),
        [
          'total',
          String(total.ok === total.dumps),
          total.live_keys,
          '',
          total.corrupt_entries,
          '',
          '',
        ],
      ]),
    );
    return;
  }
  for (const line of tableLines(
    ['image', 'state', 'keys', 'entries', 'corrupt', 'problems', 'first problem'],
    rows.map((row) => [
      row.image,
      row.error !== undefined ? 'UNREADABLE' : row.ok ? 'ok' : 'PROBLEMS',
      row.live_keys,
      row.entries,
      row.corrupt_entries,
      row.error === undefined ? row.problems.length : '',
      row.error !== undefined || !row.ok ? summary(row) : '',
    ]),
  )) {
    print(line);
  }
  print(
    `total: ${plural(total.dumps, 'dump')}, ${total.ok} ok, ${total.with_problems} with problems, ${total.unreadable} unreadable`,
  );
}

function checkOne(path: string, args: ConfigArgs, asJson: boolean): void {
  const image = openImage(path, args, { forWriting: false, quiet: asJson });
  const { scan, config } = image;
  const { problems, initChanges } = checkProblems(image);
  if (problems.length > 0) setExitCode(EXIT_PROBLEMS);
  // Entry objects only when some are corrupt: a clean image is judged from counts.
  const counts = scan.entryCounts;
  const entryProblems =
    counts.corrupt === 0 ? [] : scan.entries.filter((entry) => entry.state === 'corrupt');
  if (asJson) {
    printJson('check', {
      image: path,
      ok: problems.length === 0,
      init_status: image.initStatus,
      init_would_rewrite_sectors: initChanges,
      erase_counts: null,
      ...scanJson(scan),
      problems,
      ...warningsJson(image),
    });
    return;
  }
  printDetection(image);
  requireOpen(image);
  const entryCount = counts.live + counts.tombstone + counts.stale + counts.corrupt;
  print(
    `${path}: ${config.sectorCount} sectors of ${config.sectorSizeBytes} B, ${entryCount} entries ` +
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
        sectorLabel(sector, config.sectorSizeBytes, image.original.length - image.truncatedBytes),
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
          entry.key.length === 0 ? '?' : showBytes(entry.key),
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
  for (const problem of problems) print(`  ${problem.message}`);
  if (initChanges.length > 0) {
    print(
      `pw_kvs's init would rewrite sector${initChanges.length === 1 ? '' : 's'} ${initChanges.join(', ')}; see flashkv repair --dry-run`,
    );
  }
}
