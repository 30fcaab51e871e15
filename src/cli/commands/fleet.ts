import { defineCommand } from 'citty';
import Table from 'cli-table3';
import { stringify } from 'csv-stringify/sync';
import { EXIT_PROBLEMS, cliFail } from '../_errors.js';
import { exportParquet, openFleetForReading } from '../_fleet-db.js';
import { ingestDumps } from '../_fleet-ingest.js';
import { type QueryResult, cellText, rowObjects, runQuery } from '../_fleet-query.js';
import { expandSources, inShard, parseShard, readLabels } from '../_fleet-sources.js';
import { fleetSummary } from '../_fleet-summary.js';
import { fleetReport } from '../_fleet-report.js';
import { CONFIG_ARGS, type ConfigArgs, JSON_ARG, writeFile } from '../_image.js';
import { print, setExitCode, writeStdout } from '../_io.js';
import { printJson, refuseTogether } from '../_report.js';

function positiveInteger(flag: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    cliFail(`--${flag} must be a whole number ≥ 0, got ${text}`);
  }
  return value;
}

/** The config flags given (for the workers: the same resolution as `check`). */
function configArgs(args: Record<string, unknown>): ConfigArgs {
  return Object.fromEntries(
    Object.keys(CONFIG_ARGS)
      .filter((flag) => args[flag] !== undefined)
      .map((flag) => [flag, args[flag]]),
  ) as ConfigArgs;
}

const ingest = defineCommand({
  meta: {
    name: 'ingest',
    description: [
      'Scan dumps into a fleet database (DuckDB), one row per dump and its sectors, entries, keys and problems.',
      '  SOURCE: a folder (sub-folders too), a glob, dumps, @LIST or - (paths one a line on stdin).',
      '  Each dump opens as check opens it (IMAGE.json beside it, --config, flags or --detect). A dump',
      '  already in the database (same SHA-256 and config) is skipped; batches commit one transaction',
      '  each, so an interrupted ingest (Ctrl-C) keeps what it committed. A file that cannot be read is',
      '  an unreadable row with the reason. With --parquet DIR, writes a Parquet dataset instead of DB.',
      '  Examples:',
      '    flashkv fleet ingest fleet.duckdb dumps/ --labels devices.csv',
      "    flashkv fleet ingest fleet.duckdb 'returns/**/*.bin' --detect",
      '    find /data -name "*.bin" | flashkv fleet ingest --parquet lake/ - --shard 2/4',
    ].join('\n'),
  },
  args: {
    db: {
      type: 'positional',
      description: 'Fleet database file (created when missing); a SOURCE with --parquet',
      required: true,
    },
    source: {
      type: 'positional',
      description: 'Dumps: folders, globs, files, @LIST files or - (a list on stdin)',
      required: false,
    },
    parquet: {
      type: 'string',
      description: 'Write a Parquet dataset in this folder (partitioned by ingest date) instead',
    },
    labels: {
      type: 'string',
      description: 'CSV of labels per dump: a path or file name column, then label columns',
    },
    shard: { type: 'string', description: 'Ingest only part I of N of the dumps (I/N, e.g. 2/4)' },
    batch: { type: 'string', description: 'Dumps per transaction (default 1000)' },
    threads: {
      type: 'string',
      description: 'Worker threads scanning (default: the CPU count; 0: none)',
    },
    ...CONFIG_ARGS,
    ...JSON_ARG,
  },
  async run({ args }) {
    const positionals = [args.db, ...args._.slice(1).map(String)];
    const sources = args.parquet === undefined ? positionals.slice(1) : positionals;
    if (sources.length === 0) cliFail('name the dumps to ingest: a folder, a glob, files or -');
    let paths = await expandSources(sources);
    if (args.shard !== undefined) {
      const shard = parseShard(args.shard);
      paths = paths.filter((path) => inShard(path, shard));
    }
    const labelsOf = args.labels === undefined ? () => null : readLabels(args.labels);
    const summary = await ingestDumps(paths, {
      target: args.parquet === undefined ? { db: args.db } : { parquet: args.parquet },
      args: configArgs(args),
      labelsOf,
      batchDumps: Math.max(1, positiveInteger('batch', args.batch, 1000)),
      ...(args.threads === undefined
        ? {}
        : { threads: positiveInteger('threads', args.threads, 0) }),
      progress: args.json !== true,
    });
    if (summary.interrupted) setExitCode(130);
    const rate = summary.seconds > 0 ? summary.dumps / summary.seconds : 0;
    if (args.json === true) {
      printJson('fleet_ingest', {
        dumps: summary.dumps,
        added: summary.added,
        skipped: summary.skipped,
        with_problems: summary.problems,
        unreadable: summary.unreadable,
        seconds: Number(summary.seconds.toFixed(3)),
        interrupted: summary.interrupted,
        // Peak resident memory of the whole process (workers included), for the benchmark.
        max_rss_bytes: process.resourceUsage().maxRSS * 1024,
      });
      return;
    }
    print(
      `${summary.interrupted ? 'interrupted: ' : ''}${summary.added} dumps added ` +
        `(${summary.added - summary.problems - summary.unreadable} ok, ${summary.problems} with problems, ` +
        `${summary.unreadable} unreadable), ${summary.skipped} already held, ` +
        `in ${summary.seconds.toFixed(1)} s (${Math.round(rate)} dumps/s)`,
    );
  },
});

function printResult(result: QueryResult, format: 'text' | 'json' | 'csv'): void {
  if (format === 'json') {
    writeStdout(`${JSON.stringify(rowObjects(result), null, 2)}\n`);
    return;
  }
  if (format === 'csv') {
    writeStdout(stringify([result.columns, ...result.rows.map((row) => row.map(cellText))]));
    return;
  }
  const table = new Table({
    head: result.columns,
    style: { head: [], border: [] },
    // One line a row: no rules between rows.
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of result.rows) table.push(row.map(cellText));
  print(table.toString());
  print(`${result.rows.length} row${result.rows.length === 1 ? '' : 's'}`);
}

const query = defineCommand({
  meta: {
    name: 'query',
    description: [
      'Run SQL on a fleet database: tables dumps, sectors, entries, keys, problems (docs/fleet-schema.md).',
      '  DB: a database file of fleet ingest, or a Parquet dataset folder. Never changes it.',
      '  Examples:',
      `    flashkv fleet query fleet.duckdb "SELECT state, count(*) FROM dumps GROUP BY state"`,
      `    flashkv fleet query lake/ "SELECT key, count(*) n FROM keys WHERE state = 'lost' GROUP BY key" --csv`,
    ].join('\n'),
  },
  args: {
    db: {
      type: 'positional',
      description: 'Fleet database file or Parquet folder',
      required: true,
    },
    sql: { type: 'positional', description: 'The SQL to run', required: true },
    csv: { type: 'boolean', description: 'Print the rows as CSV' },
    ...JSON_ARG,
  },
  async run({ args }) {
    refuseTogether(args, ['json', 'csv']);
    const db = await openFleetForReading(args.db);
    try {
      const result = await runQuery(db.connection, args.sql);
      printResult(result, args.json === true ? 'json' : args.csv === true ? 'csv' : 'text');
    } finally {
      db.close();
    }
  },
});

const summary = defineCommand({
  meta: {
    name: 'summary',
    description: [
      'Answer the usual questions about a fleet: states, lost keys, problems, corruption, fill, configs.',
      '  Dumps by state, keys lost most often, problem kinds, corrupt sectors by position in the',
      '  partition, partition fill, configs seen. Exit 1 if any dump has problems or is unreadable.',
      '  Examples:',
      '    flashkv fleet summary fleet.duckdb',
      '    flashkv fleet summary lake/ --json',
    ].join('\n'),
  },
  args: {
    db: {
      type: 'positional',
      description: 'Fleet database file or Parquet folder',
      required: true,
    },
    ...JSON_ARG,
  },
  async run({ args }) {
    const db = await openFleetForReading(args.db);
    try {
      const answers = await fleetSummary(db.connection);
      const states = answers.find((answer) => answer.question.name === 'dumps_by_state')!;
      if (states.result.rows.some((row) => row[0] !== 'ok')) setExitCode(EXIT_PROBLEMS);
      if (args.json === true) {
        printJson(
          'fleet_summary',
          Object.fromEntries(
            answers.map(({ question, result }) => [question.name, rowObjects(result)]),
          ),
        );
        return;
      }
      answers.forEach(({ question, result }, i) => {
        print(`${i === 0 ? '' : '\n'}${question.title}:`);
        printResult(result, 'text');
      });
    } finally {
      db.close();
    }
  },
});

const exportCommand = defineCommand({
  meta: {
    name: 'export',
    description: [
      'Write a fleet database as a Parquet dataset: a folder per table, partitioned by ingest date.',
      '  The layout fleet ingest --parquet writes, for DuckDB, Spark, Trino or BigQuery as it is.',
      '  Example:',
      '    flashkv fleet export fleet.duckdb --parquet lake/',
    ].join('\n'),
  },
  args: {
    db: { type: 'positional', description: 'Fleet database file', required: true },
    parquet: {
      type: 'string',
      description: 'Folder to write the Parquet files in',
      required: true,
    },
  },
  async run({ args }) {
    if (args.parquet === undefined) cliFail('--parquet DIR is required');
    const db = await openFleetForReading(args.db);
    try {
      await exportParquet(db, args.parquet);
    } finally {
      db.close();
    }
  },
});

const report = defineCommand({
  meta: {
    name: 'report',
    description: [
      'Write a self-contained HTML report of a fleet: charts and the summary tables, no network.',
      '  Problems by kind and by label, corrupt sectors by position (a heatmap per label value), partition',
      '  fill, keys lost most often, the share of dumps with problems by ingest day. Charts are SVG.',
      '  Examples:',
      '    flashkv fleet report fleet.duckdb --out report.html',
      '    flashkv fleet report lake/ --out report.html --label firmware',
    ].join('\n'),
  },
  args: {
    db: {
      type: 'positional',
      description: 'Fleet database file or Parquet folder',
      required: true,
    },
    out: { type: 'string', description: 'The HTML file to write (- for stdout)', required: true },
    label: {
      type: 'string',
      description: 'Label to group by (default: the most common label of --labels)',
    },
  },
  async run({ args }) {
    if (args.out === undefined) cliFail('--out FILE is required');
    const db = await openFleetForReading(args.db);
    try {
      writeFile(args.out, await fleetReport(db.connection, args.label));
    } finally {
      db.close();
    }
  },
});

export default defineCommand({
  meta: {
    name: 'fleet',
    description: [
      'Triage a fleet of dumps in a DuckDB database: ingest, query, summary, export, report.',
      '  Run flashkv fleet COMMAND --help for each.',
      '  Examples:',
      '    flashkv fleet ingest fleet.duckdb dumps/',
      '    flashkv fleet summary fleet.duckdb',
    ].join('\n'),
  },
  subCommands: {
    ingest,
    query,
    summary,
    export: exportCommand,
    report,
  },
});
