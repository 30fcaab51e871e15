// flashkv fleet: a generated fleet with known damage ingested into DuckDB must say, dump by
// dump, what `check --json` says (state and lost keys); ingest is idempotent, labels join,
// query/summary answer, and shards written as Parquet equal a single-machine ingest.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FleetDamage, generateFleet } from '../../src/bench/fleet-workload.js';
import { flashkv, spawnFlashkv } from './_cli.js';

const DUMPS = 1000;

interface CheckJson {
  ok: boolean;
  entries: { state: string; key_hex: string; format_index: number }[];
}

/** The keys `check --json` shows lost: a readable corrupt entry, no intact entry of the key. */
function lostKeysOf(report: CheckJson): string[] {
  const intact = new Set(
    report.entries
      .filter((entry) => entry.state === 'live' || entry.state === 'tombstone')
      .map((entry) => entry.key_hex),
  );
  const lost = report.entries
    .filter(
      (entry) =>
        entry.state === 'corrupt' &&
        entry.format_index >= 0 &&
        entry.key_hex !== '' &&
        !intact.has(entry.key_hex),
    )
    .map((entry) => entry.key_hex);
  return [...new Set(lost)].sort();
}

async function queryRows(db: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowsJS() as unknown[][];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

let dir: string;
let dumpsDir: string;
const damageOf = new Map<string, FleetDamage>();
/** Distinct dumps by content: a truncation can cut two copies of one image to the same bytes. */
const shaOf = new Map<string, string>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'flashkv-fleet-'));
  dumpsDir = join(dir, 'dumps');
  const groups = ['a', 'b', 'c'];
  for (const group of groups) mkdirSync(join(dumpsDir, group), { recursive: true });
  const labels = ['file,device,firmware'];
  let i = 0;
  for (const dump of generateFleet({ count: DUMPS, seed: 7 })) {
    const folder = join(dumpsDir, groups[i % groups.length]!);
    const path = join(folder, dump.name);
    writeFileSync(path, dump.bytes);
    if (dump.configJson !== undefined) {
      writeFileSync(join(folder, dump.name.replace(/\.bin$/, '.json')), dump.configJson);
    }
    damageOf.set(path, dump.damage);
    shaOf.set(path, createHash('sha256').update(dump.bytes).digest('hex'));
    labels.push(`${dump.name},dev-${i},fw-${1 + (i % 3)}`);
    i++;
  }
  writeFileSync(join(dir, 'labels.csv'), `${labels.join('\n')}\n`);
}, 120_000);

describe('flashkv fleet ingest: the database says what check --json says', () => {
  it('ingests a damaged fleet of 1000 dumps; every state and lost key matches check', async () => {
    expect(new Set(damageOf.values()).size).toBeGreaterThanOrEqual(6);
    const db = join(dir, 'fleet.duckdb');
    const run = spawnFlashkv([
      'fleet',
      'ingest',
      db,
      dumpsDir,
      '--labels',
      join(dir, 'labels.csv'),
      '--json',
    ]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const distinct = new Set(shaOf.values()).size;
    expect(distinct).toBeGreaterThan(DUMPS * 0.98);
    const summary = JSON.parse(run.stdout) as { added: number; skipped: number };
    expect(summary).toMatchObject({ added: distinct, skipped: DUMPS - distinct });
    const dumps = await queryRows(
      db,
      'SELECT path, state, labels, sha256 FROM dumps ORDER BY path',
    );
    expect(dumps).toHaveLength(distinct);
    // Every dump is held: itself, or the byte-identical dump met first.
    const held = new Set(dumps.map((row) => String(row[3])));
    for (const sha of shaOf.values()) expect(held.has(sha)).toBe(true);
    const lostRows = await queryRows(
      db,
      "SELECT d.path, k.key_hex FROM keys k JOIN dumps d USING (dump_id) WHERE k.state = 'lost'",
    );
    const lostInDb = new Map<string, string[]>();
    for (const [path, key] of lostRows) {
      lostInDb.set(String(path), [...(lostInDb.get(String(path)) ?? []), String(key)]);
    }
    const states = new Map<string, number>();
    for (const [path, state, labels] of dumps) {
      const checked = await flashkv(['check', String(path), '--json']);
      const expected =
        checked.status === 2
          ? { state: 'unreadable', lost: [] as string[] }
          : (() => {
              const report = JSON.parse(checked.stdout) as CheckJson;
              return { state: report.ok ? 'ok' : 'problems', lost: lostKeysOf(report) };
            })();
      expect({ path, state }).toEqual({ path, state: expected.state });
      expect({ path, lost: (lostInDb.get(String(path)) ?? []).sort() }).toEqual({
        path,
        lost: expected.lost,
      });
      expect(JSON.parse(String(labels)).device).toMatch(/^dev-\d+$/);
      states.set(expected.state, (states.get(expected.state) ?? 0) + 1);
    }
    // The fleet exercises every outcome, and lost keys are not a rarity.
    expect(states.get('ok')).toBeGreaterThan(100);
    expect(states.get('problems')).toBeGreaterThan(100);
    expect(states.get('unreadable') ?? 0).toBeGreaterThan(0);
    expect(lostInDb.size).toBeGreaterThan(10);

    // Idempotent: the same fleet again adds nothing.
    const again = spawnFlashkv(['fleet', 'ingest', db, dumpsDir, '--json']);
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 0, skipped: DUMPS });
    expect(await queryRows(db, 'SELECT count(*)::INTEGER FROM dumps')).toEqual([[distinct]]);
  }, 300_000);
});

describe('flashkv fleet query and summary', () => {
  it('answers SQL as a table, JSON and CSV, and the named questions', async () => {
    const small = join(dir, 'small');
    mkdirSync(small);
    let n = 0;
    for (const dump of generateFleet({ count: 40, seed: 3 })) {
      writeFileSync(join(small, dump.name), dump.bytes);
      if (dump.configJson !== undefined) {
        writeFileSync(join(small, dump.name.replace(/\.bin$/, '.json')), dump.configJson);
      }
      n++;
    }
    const db = join(dir, 'small.duckdb');
    const list = readdirSync(small)
      .filter((name) => name.endsWith('.bin'))
      .map((name) => join(small, name))
      .join('\n');
    // A list on stdin, in this thread (--threads 0), in batches of 7 dumps.
    const ingest = await flashkv(['fleet', 'ingest', db, '-', '--threads', '0', '--batch', '7'], {
      input: `${list}\n`,
    });
    expect(ingest.status).toBe(0);
    expect(ingest.stdout).toMatch(/^40 dumps added/);
    const sql = 'SELECT state, count(*)::INTEGER AS n FROM dumps GROUP BY state ORDER BY state';
    const json = await flashkv(['fleet', 'query', db, sql, '--json']);
    expect(json.status).toBe(0);
    const rows = JSON.parse(json.stdout) as { state: string; n: number }[];
    expect(rows.reduce((sum, row) => sum + row.n, 0)).toBe(n);
    const csv = await flashkv(['fleet', 'query', db, sql, '--csv']);
    expect(csv.stdout.split('\n')[0]).toBe('state,n');
    expect(csv.stdout.trim().split('\n')).toHaveLength(rows.length + 1);
    const text = await flashkv(['fleet', 'query', db, sql]);
    expect(text.stdout).toContain(rows[0]!.state);
    const summary = await flashkv(['fleet', 'summary', db, '--json']);
    expect(summary.status).toBe(1);
    const answers = JSON.parse(summary.stdout) as Record<string, Record<string, unknown>[]>;
    expect(answers.dumps_by_state).toEqual(
      [...rows]
        .sort((a, b) => b.n - a.n || a.state.localeCompare(b.state))
        .map((row) => ({
          state: row.state,
          dumps: row.n,
        })),
    );
    expect(answers.configs_seen!.length).toBeGreaterThan(0);
    expect(answers.fill_distribution!.reduce((sum, row) => sum + Number(row.dumps), 0)).toBe(
      rows.filter((row) => row.state !== 'unreadable').reduce((sum, row) => sum + row.n, 0),
    );
    // Bad SQL is a usage error, and nothing in the database changes.
    expect((await flashkv(['fleet', 'query', db, 'SELEC nonsense'])).status).toBe(2);
    expect((await flashkv(['fleet', 'query', db, 'DELETE FROM dumps'])).status).toBe(2);
    expect((await flashkv(['fleet', 'query', db, sql, '--json'])).stdout).toBe(json.stdout);
  });

  it('refuses what is not a fleet database', async () => {
    const other = join(dir, 'not-a-fleet.bin');
    writeFileSync(other, new Uint8Array(4096).fill(0xff));
    expect((await flashkv(['fleet', 'summary', join(dir, 'missing.duckdb')])).status).toBe(2);
    expect((await flashkv(['fleet', 'query', other, 'SELECT 1'])).status).toBe(2);
  });
});

describe('flashkv fleet --help', () => {
  it('matches the snapshot, with examples on every subcommand', async () => {
    for (const command of [[], ['ingest'], ['query'], ['summary'], ['export'], ['report']]) {
      const help = await flashkv(['fleet', ...command, '--help']);
      expect(help.status, command.join(' ')).toBe(0);
      expect(help.stdout, command.join(' ')).toContain('Example');
      expect(help.stdout).toMatchSnapshot(['fleet', ...command].join(' '));
    }
  });
});

describe('flashkv fleet --shard and --parquet', () => {
  it('4 shards written as Parquet hold exactly what one ingest into a database holds', async () => {
    const fleet = join(dir, 'sharded');
    mkdirSync(fleet);
    for (const dump of generateFleet({ count: 160, seed: 11 })) {
      writeFileSync(join(fleet, dump.name), dump.bytes);
      if (dump.configJson !== undefined) {
        writeFileSync(join(fleet, dump.name.replace(/\.bin$/, '.json')), dump.configJson);
      }
    }
    const db = join(dir, 'single.duckdb');
    const single = spawnFlashkv(['fleet', 'ingest', db, fleet, '--json']);
    expect(single.status).toBe(0);
    const total = (JSON.parse(single.stdout) as { added: number }).added;
    const lake = join(dir, 'lake');
    let added = 0;
    for (let shard = 1; shard <= 4; shard++) {
      const run = spawnFlashkv([
        'fleet',
        'ingest',
        '--parquet',
        lake,
        fleet,
        '--shard',
        `${shard}/4`,
        '--json',
      ]);
      expect(run.status).toBe(0);
      const part = (JSON.parse(run.stdout) as { added: number }).added;
      expect(part).toBeGreaterThan(0);
      added += part;
    }
    // Disjoint parts that together are the whole fleet.
    expect(added).toBe(total);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`ATTACH '${db}' AS single (READ_ONLY)`);
      for (const table of ['dumps', 'sectors', 'entries', 'keys', 'problems']) {
        const parquet = `read_parquet('${join(lake, table)}/**/*.parquet', hive_partitioning = true)`;
        const fromDb = await connection.runAndReadAll(
          `SELECT * EXCLUDE (ingested_at, path, file_name) FROM ${table === 'dumps' ? 'single.dumps' : `single.${table} JOIN single.dumps USING (dump_id)`} ORDER BY ALL`,
        );
        const fromParquet = await connection.runAndReadAll(
          `SELECT * EXCLUDE (ingested_at, ingest_date, path, file_name) FROM ${table === 'dumps' ? parquet : `${parquet} t JOIN ${parquet.replace(`/${table}/`, '/dumps/')} d USING (dump_id)`} ORDER BY ALL`,
        );
        expect(fromParquet.currentRowCount, table).toBe(fromDb.currentRowCount);
        expect(fromParquet.getRowsJson(), table).toEqual(fromDb.getRowsJson());
      }
      // Byte-identical dumps are one dump, named by the first path its shard met (shards are
      // split by path, so two copies can fall in different shards): the path is one of the
      // copies, which the comparison above leaves out.
      const paths = await connection.runAndReadAll(
        `SELECT p.path, s.path FROM read_parquet('${join(lake, 'dumps')}/**/*.parquet', hive_partitioning = true) p JOIN single.dumps s USING (dump_id)`,
      );
      for (const [fromLake, fromSingle] of paths.getRows()) {
        expect(readFileSync(String(fromLake))).toEqual(readFileSync(String(fromSingle)));
      }
      // The dataset answers like the database, through every fleet command.
      const summary = await flashkv(['fleet', 'summary', lake, '--json']);
      const fromDb = await flashkv(['fleet', 'summary', db, '--json']);
      expect(summary.stdout).toBe(fromDb.stdout);
      // A shard run again adds nothing: the dataset's dumps are known.
      const again = spawnFlashkv(['fleet', 'ingest', '--parquet', lake, fleet, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ added: 0 });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }, 300_000);
});
