import type { DuckDBConnection } from '@duckdb/node-api';
import { cliFail } from './_errors.js';

// Running SQL on a fleet database and turning the result into plain values for a table, JSON
// or CSV.

/** A plain value of a result cell: BIGINTs as numbers when they fit, timestamps as ISO text. */
export type QueryCell =
  string | number | boolean | null | QueryCell[] | { [key: string]: QueryCell };

/** A query's result: its column names and rows. */
export interface QueryResult {
  readonly columns: string[];
  readonly rows: QueryCell[][];
}

function plain(value: unknown): QueryCell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value as QueryCell;
}

/** Runs `sql` and reads every row. Fails with one line (DuckDB's message) for bad SQL. */
export async function runQuery(connection: DuckDBConnection, sql: string): Promise<QueryResult> {
  let reader;
  try {
    reader = await connection.runAndReadAll(sql);
  } catch (error) {
    return cliFail(`query failed: ${(error as Error).message}`);
  }
  return {
    columns: reader.deduplicatedColumnNames(),
    rows: reader.getRowsJS().map((row) => row.map(plain)),
  };
}

/** A result's rows as objects by column name. */
export function rowObjects(result: QueryResult): Record<string, QueryCell>[] {
  return result.rows.map((row) =>
    Object.fromEntries(result.columns.map((column, i) => [column, row[i] ?? null])),
  );
}

/** A cell as table or CSV text (null as empty). */
export function cellText(cell: QueryCell): string {
  if (cell === null) return '';
  if (typeof cell === 'object') return JSON.stringify(cell);
  return String(cell);
}
