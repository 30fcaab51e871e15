import type { DuckDBConnection } from '@duckdb/node-api';
import { type QueryResult, runQuery } from './_fleet-query.js';

// The named questions of `flashkv fleet summary` (and the tables of `fleet report`): SQL over
// the fleet tables, each answered as a small table.

/** A named question about a fleet. */
export interface FleetQuestion {
  readonly name: string;
  readonly title: string;
  readonly sql: string;
}

/** The questions `fleet summary` answers, in order. */
export const FLEET_QUESTIONS: readonly FleetQuestion[] = [
  {
    name: 'dumps_by_state',
    title: 'Dumps by state',
    sql: `SELECT state, count(*)::INTEGER AS dumps FROM dumps GROUP BY state ORDER BY dumps DESC, state`,
  },
  {
    name: 'top_lost_keys',
    title: 'Keys lost most often',
    sql: `SELECT coalesce(key, 'hex:' || key_hex) AS key, count(DISTINCT dump_id)::INTEGER AS dumps
      FROM keys WHERE state = 'lost' GROUP BY 1 ORDER BY dumps DESC, key LIMIT 10`,
  },
  {
    name: 'top_problem_kinds',
    title: 'Problem kinds',
    sql: `SELECT kind, count(*)::INTEGER AS problems, count(DISTINCT dump_id)::INTEGER AS dumps
      FROM problems GROUP BY kind ORDER BY problems DESC, kind`,
  },
  {
    name: 'corruption_by_sector_position',
    title: 'Corrupt sectors by position in the partition',
    sql: `SELECT (least(floor(position * 10), 9) * 10)::INTEGER AS position_from_percent,
        count(*) FILTER (WHERE corrupt_bytes > 0)::INTEGER AS corrupt_sectors,
        count(*)::INTEGER AS sectors
      FROM sectors GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'fill_distribution',
    title: 'Partition fill (share of bytes not erased)',
    sql: `SELECT (least(floor(fill_ratio * 10), 9) * 10)::INTEGER AS fill_from_percent,
        count(*)::INTEGER AS dumps
      FROM dumps WHERE state <> 'unreadable' GROUP BY 1 ORDER BY 1`,
  },
  {
    name: 'configs_seen',
    title: 'Configs seen',
    sql: `SELECT sector_size_bytes, sector_count, (config->>'alignment')::INTEGER AS alignment,
        (config->>'magic')::BIGINT AS magic, config->>'checksum' AS checksum,
        (config->>'redundancy')::INTEGER AS redundancy, config_source,
        count(*)::INTEGER AS dumps
      FROM dumps WHERE config IS NOT NULL
      GROUP BY ALL ORDER BY dumps DESC, sector_size_bytes, sector_count`,
  },
];

/** Answers every question of {@link FLEET_QUESTIONS}. */
export async function fleetSummary(
  connection: DuckDBConnection,
): Promise<{ question: FleetQuestion; result: QueryResult }[]> {
  const answers: { question: FleetQuestion; result: QueryResult }[] = [];
  for (const question of FLEET_QUESTIONS) {
    answers.push({ question, result: await runQuery(connection, question.sql) });
  }
  return answers;
}
