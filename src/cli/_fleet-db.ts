import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBInstance,
  DuckDBTimestampValue,
} from '@duckdb/node-api';
import {
  FLEET_SCHEMA_VERSION,
  FLEET_TABLES,
  FLEET_TABLE_NAMES,
  type FleetCell,
  type FleetColumn,
  type FleetTable,
} from '../image/fleet.js';
import { cliFail } from './_errors.js';
import type { ScannedDump } from './_fleet-scan.js';

// The fleet database: a DuckDB file (or a folder of Parquet files, one folder per table,
// partitioned by ingest date) holding the fleet tables of docs/fleet-schema.md. Writes go in
// batches, one transaction each, through DuckDB's appenders; a batch's `dumps` rows are
// appended last, so a dump listed in `dumps` has all its rows.

/** SQL literal of a text. */
export function sqlText(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function createSql(table: FleetTable): string {
  const columns = FLEET_TABLES[table].map((column) => `${column.name} ${column.type}`);
  return `CREATE TABLE IF NOT EXISTS ${table} (${columns.join(', ')})`;
}

function isParquetFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Whether a Parquet dataset folder holds files for `table`. */
function hasParquet(folder: string, table: FleetTable): boolean {
  const dir = join(folder, table);
  if (!existsSync(dir)) return false;
  const walk = (path: string): boolean =>
    readdirSync(path, { withFileTypes: true }).some((item) =>
      item.isDirectory() ? walk(join(path, item.name)) : item.name.endsWith('.parquet'),
    );
  return walk(dir);
}

/** The SQL reading a Parquet dataset's table (every partition, columns matched by name). */
export function parquetSource(folder: string, table: FleetTable): string {
  const glob = join(resolve(folder), table, '**', '*.parquet');
  return `read_parquet(${sqlText(glob)}, hive_partitioning = true, union_by_name = true)`;
}

/** An open fleet database and its connection. */
export interface FleetDb {
  readonly connection: DuckDBConnection;
  /** Closes the connection and the database. */
  close(): void;
}

/**
 * Opens a fleet database for reading: a DuckDB file made by `fleet ingest`, or a Parquet
 * dataset folder (`ingest --parquet`, `export --parquet`), whose tables are then views over
 * its files. Fails with one line when there is none.
 */
export async function openFleetForReading(path: string): Promise<FleetDb> {
  if (!existsSync(path)) cliFail(`no fleet database at ${path}`);
  if (isParquetFolder(path)) {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const table of FLEET_TABLE_NAMES) {
      await connection.run(
        hasParquet(path, table)
          ? `CREATE VIEW ${table} AS SELECT * FROM ${parquetSource(path, table)}`
          : createSql(table),
      );
    }
    return { connection, close: () => (connection.closeSync(), instance.closeSync()) };
  }
  const instance = await openInstance(path, true);
  const connection = await instance.connect();
  await requireSchema(connection, path);
  return { connection, close: () => (connection.closeSync(), instance.closeSync()) };
}

async function openInstance(path: string, readOnly: boolean): Promise<DuckDBInstance> {
  try {
    return await DuckDBInstance.create(path, readOnly ? { access_mode: 'READ_ONLY' } : {});
  } catch (error) {
    return cliFail(`cannot open the fleet database ${path}: ${(error as Error).message}`);
  }
}

async function requireSchema(connection: DuckDBConnection, path: string): Promise<void> {
  const tables = await connection.runAndReadAll(
    "SELECT table_name FROM information_schema.tables WHERE table_name = 'fleet_meta'",
  );
  if (tables.currentRowCount === 0) cliFail(`${path} is not a flashkv fleet database`);
  const meta = await connection.runAndReadAll('SELECT max(schema_version) FROM fleet_meta');
  const version = Number(meta.getRows()[0]?.[0] ?? 0);
  if (version !== FLEET_SCHEMA_VERSION) {
    cliFail(
      `${path} has fleet schema version ${version}, this flashkv reads version ${FLEET_SCHEMA_VERSION}`,
    );
  }
}

/** Creates the fleet tables (and `fleet_meta`) when missing. */
async function createSchema(connection: DuckDBConnection): Promise<void> {
  await connection.run(
    'CREATE TABLE IF NOT EXISTS fleet_meta (schema_version INTEGER, created_at TIMESTAMP)',
  );
  const meta = await connection.runAndReadAll('SELECT count(*) FROM fleet_meta');
  if (Number(meta.getRows()[0]?.[0] ?? 0) === 0) {
    await connection.run(
      `INSERT INTO fleet_meta VALUES (${FLEET_SCHEMA_VERSION}, current_timestamp::TIMESTAMP)`,
    );
  }
  for (const table of FLEET_TABLE_NAMES) await connection.run(createSql(table));
}

type Append = (appender: DuckDBAppender, cell: FleetCell) => void;

function appendOf(column: FleetColumn): Append {
  const orNull =
    (append: Append): Append =>
    (appender, cell) =>
      cell === null || cell === undefined ? appender.appendNull() : append(appender, cell);
  switch (column.type) {
    case 'VARCHAR':
      return orNull((appender, cell) => appender.appendVarchar(String(cell)));
    case 'INTEGER':
      return orNull((appender, cell) => appender.appendInteger(cell as number));
    case 'BIGINT':
      return orNull((appender, cell) => appender.appendBigInt(BigInt(cell as number)));
    case 'DOUBLE':
      return orNull((appender, cell) => appender.appendDouble(cell as number));
    case 'BOOLEAN':
      return orNull((appender, cell) => appender.appendBoolean(cell as boolean));
    case 'TIMESTAMP':
      return orNull((appender, cell) =>
        appender.appendTimestamp(new DuckDBTimestampValue(BigInt(cell as number) * 1000n)),
      );
  }
}

/** Where `fleet ingest` writes: a DuckDB file, or a Parquet dataset folder. */
export type FleetTarget = { readonly db: string } | { readonly parquet: string };

/** What a batch added, for the progress line and the summary. */
export interface BatchCounts {
  added: number;
  skipped: number;
  unreadable: number;
  problems: number;
}

/** Writes scanned dumps to a fleet database in batches (one transaction each). */
export class FleetWriter {
  private readonly appenders = new Map<FleetTable, DuckDBAppender>();
  private readonly appends: Record<FleetTable, Append[]>;
  private batches = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly parquet: string | undefined,
    /** Dump ids the target holds, and those added since. */
    readonly known: Set<string>,
  ) {
    this.appends = Object.fromEntries(
      FLEET_TABLE_NAMES.map((table) => [table, FLEET_TABLES[table].map(appendOf)]),
    ) as Record<FleetTable, Append[]>;
  }

  /** Opens (creating when missing) the target and reads the ids of the dumps it holds. */
  static async open(target: FleetTarget): Promise<FleetWriter> {
    const parquet = 'parquet' in target ? target.parquet : undefined;
    if (parquet !== undefined) mkdirSync(parquet, { recursive: true });
    const instance = await openInstance(
      parquet === undefined ? (target as { db: string }).db : ':memory:',
      false,
    );
    const connection = await instance.connect();
    const known = new Set<string>();
    if (parquet === undefined) {
      const path = (target as { db: string }).db;
      const tables = await connection.runAndReadAll(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'dumps'",
      );
      if (Number(tables.getRows()[0]?.[0]) > 0) await requireSchema(connection, path);
      await createSchema(connection);
      for (const [id] of (await connection.runAndReadAll('SELECT dump_id FROM dumps')).getRows()) {
        known.add(String(id));
      }
    } else {
      await createSchema(connection);
      if (hasParquet(parquet, 'dumps')) {
        const rows = await connection.runAndReadAll(
          `SELECT dump_id FROM ${parquetSource(parquet, 'dumps')}`,
        );
        for (const [id] of rows.getRows()) known.add(String(id));
      }
    }
    const writer = new FleetWriter(instance, connection, parquet, known);
    for (const table of FLEET_TABLE_NAMES) {
      writer.appenders.set(table, await connection.createAppender(table));
    }
    return writer;
  }

  private appendRow(table: FleetTable, dumpId: string, cells: readonly FleetCell[]): void {
    const appender = this.appenders.get(table)!;
    const appends = this.appends[table];
    appender.appendVarchar(dumpId);
    for (let i = 0; i < cells.length; i++) appends[i + 1]!(appender, cells[i]!);
    appender.endRow();
  }

  /**
   * Writes one batch in one transaction: every new dump's rows (a dump already held, or
   * met earlier in this run, is counted as skipped). `labelsOf(path)`: the labels JSON of a
   * dump, or null. Returns what was added.
   */
  async write(
    dumps: readonly ScannedDump[],
    ingestedAtMs: number,
    labelsOf: (path: string) => string | null,
  ): Promise<BatchCounts> {
    const counts: BatchCounts = { added: 0, skipped: 0, unreadable: 0, problems: 0 };
    const fresh: Exclude<ScannedDump, { skipped: true }>[] = [];
    for (const dump of dumps) {
      if (dump.skipped || this.known.has(dump.dumpId)) {
        counts.skipped++;
        continue;
      }
      this.known.add(dump.dumpId);
      fresh.push(dump);
    }
    if (fresh.length === 0) return counts;
    await this.connection.run('BEGIN TRANSACTION');
    try {
      for (const dump of fresh) {
        for (const row of dump.sectors) this.appendRow('sectors', dump.dumpId, row);
        for (const row of dump.entries) this.appendRow('entries', dump.dumpId, row);
        for (const row of dump.keys) this.appendRow('keys', dump.dumpId, row);
        for (const row of dump.problems) this.appendRow('problems', dump.dumpId, row);
      }
      const columns = FLEET_TABLES.dumps.slice(1);
      for (const dump of fresh) {
        const cells = columns.map((column) =>
          column.name === 'labels'
            ? labelsOf(dump.path)
            : column.name === 'ingested_at'
              ? ingestedAtMs
              : (dump.dump[column.name] ?? null),
        );
        this.appendRow('dumps', dump.dumpId, cells);
        if (dump.dump.state === 'unreadable') counts.unreadable++;
        else if (dump.dump.state === 'problems') counts.problems++;
        counts.added++;
      }
      for (const table of FLEET_TABLE_NAMES) this.appenders.get(table)!.flushSync();
      if (this.parquet !== undefined) await this.flushParquet();
      await this.connection.run('COMMIT');
    } catch (error) {
      await this.connection.run('ROLLBACK');
      for (const dump of fresh) this.known.delete(dump.dumpId);
      throw error;
    }
    return counts;
  }

  /** Writes the batch's rows to Parquet files (the `dumps` ones last), then empties the tables. */
  private async flushParquet(): Promise<void> {
    const folder = resolve(this.parquet!);
    const batch = `${Date.now().toString(36)}-${process.pid}-${this.batches++}`;
    for (const table of FLEET_TABLE_NAMES) {
      await copyToParquet(this.connection, table, folder, `part-${batch}-{uuid}`);
    }
    for (const table of FLEET_TABLE_NAMES) await this.connection.run(`DELETE FROM ${table}`);
  }

  /** Closes the appenders and the database. */
  close(): void {
    for (const appender of this.appenders.values()) appender.closeSync();
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * Writes every fleet table of the database at `path` to a Parquet dataset in `folder`, one
 * folder per table partitioned by ingest date (`ingest_date=YYYY-MM-DD`), the layout
 * `ingest --parquet` writes.
 */
export async function exportParquet(db: FleetDb, folder: string): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const out = resolve(folder);
  for (const table of FLEET_TABLE_NAMES)
    await copyToParquet(db.connection, table, out, 'export-{uuid}');
}

/**
 * Appends `table`'s rows to the Parquet dataset in `folder` (`folder/TABLE/ingest_date=…/`),
 * each row with its dump's ingest date, in files named by `filePattern`.
 */
async function copyToParquet(
  connection: DuckDBConnection,
  table: string,
  folder: string,
  filePattern: string,
): Promise<void> {
  const rows =
    table === 'dumps'
      ? `SELECT *, strftime(ingested_at, '%Y-%m-%d') AS ingest_date FROM dumps`
      : `SELECT t.*, strftime(d.ingested_at, '%Y-%m-%d') AS ingest_date FROM ${table} t JOIN dumps d USING (dump_id)`;
  await connection.run(
    `COPY (${rows}) TO ${sqlText(join(folder, table))} (FORMAT parquet, PARTITION_BY (ingest_date), ` +
      `FILENAME_PATTERN ${sqlText(filePattern)}, APPEND)`,
  );
}
