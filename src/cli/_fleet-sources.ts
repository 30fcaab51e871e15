import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { globSync, isDynamicPattern } from 'tinyglobby';
import { cliFail } from './_errors.js';
import { readStdin } from './_io.js';

// Which dumps a `fleet ingest` reads: its SOURCE arguments expanded, split into shards, and
// the labels a CSV gives them.

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Not a dump: config files beside dumps, lock files, hidden files. */
function isSkipped(name: string): boolean {
  return name.startsWith('.') || name.endsWith('.json') || name.endsWith('.lock');
}

/** A folder's dumps, in its sub-folders too, sorted. */
function walk(folder: string, into: string[]): void {
  const items = readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const item of items) {
    if (isSkipped(item.name)) continue;
    const path = join(folder, item.name);
    if (item.isDirectory()) walk(path, into);
    else into.push(path);
  }
}

function listLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The dumps `sources` name, in order: a folder's files (sub-folders included; no config, lock
 * or hidden files), a glob's matches (sorted), the paths listed one a line in `@FILE` or on
 * stdin (`-`), or a file as given. Fails when nothing is named.
 */
export async function expandSources(sources: readonly string[]): Promise<string[]> {
  const paths: string[] = [];
  for (const source of sources) {
    if (source === '-') paths.push(...listLines(Buffer.from(await readStdin()).toString('utf8')));
    else if (source.startsWith('@')) {
      let text: string;
      try {
        text = readFileSync(source.slice(1), 'utf8');
      } catch {
        cliFail(`cannot read the list of dumps ${source.slice(1)}`);
      }
      paths.push(...listLines(text));
    } else if (isFolder(source)) walk(source, paths);
    else if (isDynamicPattern(source)) {
      paths.push(
        ...globSync(source, { onlyFiles: true, expandDirectories: false })
          .filter((path) => !isSkipped(basename(path)))
          .sort(),
      );
    } else paths.push(source);
  }
  if (paths.length === 0) cliFail(`no dumps in ${sources.join(', ')}`);
  return paths;
}

/** A `--shard I/N`: this machine's part (1 ≤ I ≤ N) of N. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `--shard I/N`, failing with one line. */
export function parseShard(text: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (match === null || count < 1 || index < 1 || index > count) {
    cliFail(`--shard must be I/N with 1 ≤ I ≤ N (e.g. 2/4), got ${text}`);
  }
  return { index, count };
}

/**
 * Whether `path` belongs to `shard`: by a hash of the path as listed, so N machines given the
 * same sources split them into disjoint parts that together are all of them.
 */
export function inShard(path: string, shard: Shard): boolean {
  const hash = createHash('sha256').update(path).digest().readUInt32BE(0);
  return hash % shard.count === shard.index - 1;
}

/**
 * The labels of `--labels CSV`: a header row, then one row per dump; the first column (or one
 * named `path` or `file`) is the dump's path or file name, the others are its labels (device
 * id, firmware version, …). Returns the labels JSON of a path (matched as given, then by
 * file name), or null.
 */
export function readLabels(csvPath: string): (path: string) => string | null {
  let rows: string[][];
  try {
    rows = parse(readFileSync(csvPath, 'utf8'), { skip_empty_lines: true, trim: true });
  } catch (error) {
    cliFail(`cannot read the labels CSV ${csvPath}: ${(error as Error).message}`);
  }
  const [head, ...body] = rows;
  if (head === undefined || head.length < 2) {
    cliFail(`labels CSV ${csvPath}: expected a header row with a path column and label columns`);
  }
  const keyColumn = Math.max(
    0,
    head.findIndex((name) => name === 'path' || name === 'file'),
  );
  const labels = new Map<string, string>();
  for (const row of body) {
    const record: Record<string, string> = {};
    head.forEach((name, column) => {
      if (column !== keyColumn && row[column] !== undefined && row[column] !== '') {
        record[name] = row[column]!;
      }
    });
    labels.set(row[keyColumn] ?? '', JSON.stringify(record));
  }
  return (path) => labels.get(path) ?? labels.get(basename(path)) ?? null;
}
