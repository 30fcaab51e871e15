import type { DuckDBConnection } from '@duckdb/node-api';
import { scaleBand, scaleLinear, scaleSequential } from 'd3-scale';
import { interpolateOrRd } from 'd3-scale-chromatic';
import { line } from 'd3-shape';
import { type QueryCell, type QueryResult, cellText, runQuery } from './_fleet-query.js';
import { fleetSummary } from './_fleet-summary.js';
import {
  GRID,
  INNER_HEIGHT,
  INNER_WIDTH,
  MARGIN,
  MUTED,
  axes,
  colour,
  compact,
  escape,
  frame,
  text,
} from './_wear-plot.js';

// `flashkv fleet report`: one self-contained HTML page (no script, no network) of a fleet
// database: SVG charts drawn with the charts' helpers of `wear --plot`, and the summary's
// tables.

interface Bar {
  readonly label: string;
  readonly value: number;
}

function yGrid(y: (value: number) => number, ticks: number[], format = compact): string[] {
  return ticks.flatMap((tick) => [
    `<line x1="0" x2="${INNER_WIDTH}" y1="${y(tick)}" y2="${y(tick)}" stroke="${GRID}"/>`,
    text(-10, y(tick) + 4, format(tick), 'text-anchor="end"', 11, MUTED),
  ]);
}

/** Vertical bars, one per label. */
function barChart(
  title: string,
  subtitle: string,
  bars: readonly Bar[],
  xTitle: string,
  yTitle: string,
): string {
  const x = scaleBand()
    .domain(bars.map((bar) => bar.label))
    .range([0, INNER_WIDTH])
    .padding(0.2);
  const y = scaleLinear()
    .domain([0, Math.max(1, ...bars.map((bar) => bar.value))])
    .range([INNER_HEIGHT, 0])
    .nice();
  const body = [`<g transform="translate(${MARGIN.left},${MARGIN.top})">`, ...yGrid(y, y.ticks(6))];
  bars.forEach((bar, i) => {
    const left = x(bar.label)!;
    body.push(
      `<rect class="bar" x="${left}" y="${y(bar.value)}" width="${x.bandwidth()}" height="${INNER_HEIGHT - y(bar.value)}" fill="${colour(i === 0 ? 0 : 0)}"><title>${escape(`${bar.label}: ${bar.value}`)}</title></rect>`,
      text(
        left + x.bandwidth() / 2,
        INNER_HEIGHT + 16,
        bar.label,
        'text-anchor="middle"',
        10.5,
        MUTED,
      ),
    );
  });
  body.push(...axes(xTitle, yTitle), '</g>');
  return frame(title, subtitle, body);
}

/** Horizontal bars (long labels: keys, problem kinds). */
function horizontalBarChart(
  title: string,
  subtitle: string,
  bars: readonly Bar[],
  xTitle: string,
): string {
  const left = 150;
  const y = scaleBand()
    .domain(bars.map((bar) => bar.label))
    .range([0, INNER_HEIGHT])
    .padding(0.2);
  const x = scaleLinear()
    .domain([0, Math.max(1, ...bars.map((bar) => bar.value))])
    .range([0, INNER_WIDTH - left + MARGIN.left])
    .nice();
  const body = [`<g transform="translate(${left},${MARGIN.top})">`];
  for (const tick of x.ticks(6)) {
    body.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="0" y2="${INNER_HEIGHT}" stroke="${GRID}"/>`,
      text(x(tick), INNER_HEIGHT + 16, compact(tick), 'text-anchor="middle"', 11, MUTED),
    );
  }
  bars.forEach((bar, i) => {
    const top = y(bar.label)!;
    body.push(
      `<rect class="bar" x="0" y="${top}" width="${x(bar.value)}" height="${y.bandwidth()}" fill="${colour(i % 2 === 0 ? 0 : 1)}"><title>${escape(`${bar.label}: ${bar.value}`)}</title></rect>`,
      text(-8, top + y.bandwidth() / 2 + 4, bar.label.slice(0, 22), 'text-anchor="end"', 11),
    );
  });
  body.push(
    text(
      (INNER_WIDTH - left + MARGIN.left) / 2,
      INNER_HEIGHT + 40,
      xTitle,
      'text-anchor="middle"',
      12,
      MUTED,
    ),
  );
  body.push('</g>');
  return frame(title, subtitle, body);
}

/** A heatmap: rows × columns of shares (0–1), coloured from white to red. */
function heatmap(
  title: string,
  subtitle: string,
  rows: readonly string[],
  columns: readonly string[],
  share: (row: string, column: string) => number | undefined,
  xTitle: string,
): string {
  const left = 150;
  const width = INNER_WIDTH - left + MARGIN.left;
  const x = scaleBand().domain(columns).range([0, width]).padding(0.04);
  const y = scaleBand().domain(rows).range([0, INNER_HEIGHT]).padding(0.06);
  const values = rows.flatMap((row) => columns.map((column) => share(row, column) ?? 0));
  const fill = scaleSequential(interpolateOrRd).domain([0, Math.max(0.01, ...values)]);
  const body = [`<g transform="translate(${left},${MARGIN.top})">`];
  for (const row of rows) {
    body.push(text(-8, y(row)! + y.bandwidth() / 2 + 4, row.slice(0, 22), 'text-anchor="end"', 11));
    for (const column of columns) {
      const value = share(row, column);
      body.push(
        `<rect class="cell" x="${x(column)}" y="${y(row)}" width="${x.bandwidth()}" height="${y.bandwidth()}" fill="${value === undefined ? '#f4f6f8' : fill(value)}"><title>${escape(`${row}, ${column}: ${value === undefined ? 'no sectors' : `${(value * 100).toFixed(1)} % corrupt`}`)}</title></rect>`,
      );
    }
  }
  for (const column of columns) {
    body.push(
      text(
        x(column)! + x.bandwidth() / 2,
        INNER_HEIGHT + 16,
        column,
        'text-anchor="middle"',
        10.5,
        MUTED,
      ),
    );
  }
  body.push(text(width / 2, INNER_HEIGHT + 40, xTitle, 'text-anchor="middle"', 12, MUTED), '</g>');
  return frame(title, subtitle, body);
}

/** A line of values over ordered labels (days). */
function lineChart(
  title: string,
  subtitle: string,
  points: readonly Bar[],
  xTitle: string,
  yTitle: string,
): string {
  const x = scaleBand()
    .domain(points.map((point) => point.label))
    .range([0, INNER_WIDTH])
    .padding(0.5);
  const y = scaleLinear().domain([0, 1]).range([INNER_HEIGHT, 0]);
  const body = [
    `<g transform="translate(${MARGIN.left},${MARGIN.top})">`,
    ...yGrid(y, y.ticks(5), (tick) => `${Math.round(tick * 100)} %`),
  ];
  const centre = (label: string): number => x(label)! + x.bandwidth() / 2;
  const path = line<Bar>()
    .x((point) => centre(point.label))
    .y((point) => y(point.value));
  body.push(
    `<path class="trend" d="${path([...points]) ?? ''}" fill="none" stroke="${colour(0)}" stroke-width="2.2"/>`,
  );
  for (const point of points) {
    body.push(
      `<circle cx="${centre(point.label)}" cy="${y(point.value)}" r="4" fill="${colour(0)}"><title>${escape(`${point.label}: ${(point.value * 100).toFixed(1)} %`)}</title></circle>`,
      text(
        centre(point.label),
        INNER_HEIGHT + 16,
        point.label,
        'text-anchor="middle"',
        10.5,
        MUTED,
      ),
    );
  }
  body.push(...axes(xTitle, yTitle), '</g>');
  return frame(title, subtitle, body);
}

function bars(result: QueryResult, label = 0, value = 1): Bar[] {
  return result.rows.map((row) => ({
    label: cellText(row[label] ?? null),
    value: Number(row[value] ?? 0),
  }));
}

function htmlTable(result: QueryResult): string {
  const head = result.columns.map((column) => `<th>${escape(column)}</th>`).join('');
  const rows = result.rows
    .map(
      (row) =>
        `<tr>${row.map((cell: QueryCell) => `<td>${escape(cellText(cell))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** The label the report groups by: `label` if given, else the first label name of the dumps. */
async function groupLabel(
  connection: DuckDBConnection,
  label?: string,
): Promise<string | undefined> {
  if (label !== undefined) return label;
  const names = await runQuery(
    connection,
    `SELECT name, count(*) AS n FROM (SELECT unnest(json_keys(labels)) AS name FROM dumps WHERE labels IS NOT NULL)
      GROUP BY 1 ORDER BY n DESC, name LIMIT 1`,
  );
  const name = names.rows[0]?.[0];
  return typeof name === 'string' ? name : undefined;
}

/**
 * The report of a fleet database as one HTML page: problems by kind and by label, corruption
 * by sector position (a heatmap per label value), partition fill, keys lost most often, the
 * share of dumps with problems by ingest day, then the summary's tables. `label`: the label to
 * group by (defaults to the most common one).
 */
export async function fleetReport(connection: DuckDBConnection, label?: string): Promise<string> {
  const summary = await fleetSummary(connection);
  const answer = (name: string): QueryResult =>
    summary.find((item) => item.question.name === name)!.result;
  const group = await groupLabel(connection, label);
  const groupSql =
    group === undefined
      ? `'all dumps'`
      : `coalesce(d.labels->>${`'${group.replaceAll("'", "''")}'`}, '(none)')`;
  const totals = await runQuery(
    connection,
    `SELECT count(*)::INTEGER, count(*) FILTER (WHERE state <> 'ok')::INTEGER FROM dumps`,
  );
  const [dumps = 0, bad = 0] = (totals.rows[0] ?? []).map(Number);
  const byLabel = await runQuery(
    connection,
    `SELECT ${groupSql} AS grp, count(*) FILTER (WHERE d.state <> 'ok')::INTEGER AS bad, count(*)::INTEGER AS n
      FROM dumps d GROUP BY 1 ORDER BY 1 LIMIT 30`,
  );
  const positions = await runQuery(
    connection,
    `SELECT ${groupSql} AS grp, (least(floor(s.position * 10), 9) * 10)::INTEGER AS pos,
        avg(CASE WHEN s.corrupt_bytes > 0 THEN 1 ELSE 0 END) AS share
      FROM sectors s JOIN dumps d USING (dump_id) GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const trend = await runQuery(
    connection,
    `SELECT strftime(ingested_at, '%Y-%m-%d') AS day, avg(CASE WHEN state <> 'ok' THEN 1 ELSE 0 END) AS share
      FROM dumps GROUP BY 1 ORDER BY 1`,
  );
  const shares = new Map<string, number>();
  for (const [grp, pos, share] of positions.rows) {
    shares.set(`${cellText(grp ?? null)}|${cellText(pos ?? null)}`, Number(share));
  }
  const groups = [...new Set(positions.rows.map((row) => cellText(row[0] ?? null)))].slice(0, 16);
  const columns = Array.from({ length: 10 }, (_, i) => `${i * 10}–${i * 10 + 10} %`);
  const charts = [
    {
      id: 'problems-by-kind',
      svg: horizontalBarChart(
        'Problems by kind',
        `${dumps} dumps, ${bad} not ok`,
        bars(answer('top_problem_kinds')),
        'problems',
      ),
    },
    {
      id: 'problems-by-label',
      svg: barChart(
        `Dumps with problems by ${group ?? 'fleet'}`,
        group === undefined ? 'no labels given (--labels CSV at ingest)' : `label ${group}`,
        bars(byLabel),
        group ?? '',
        'dumps not ok',
      ),
    },
    {
      id: 'corruption-heatmap',
      svg: heatmap(
        'Corrupt sectors by position in the partition',
        `share of sectors with corrupt bytes, by ${group ?? 'fleet'} and tenth of the partition`,
        groups,
        columns,
        (row, column) => shares.get(`${row}|${columns.indexOf(column) * 10}`),
        'position in the partition (0 % = first sector)',
      ),
    },
    {
      id: 'fill-distribution',
      svg: barChart(
        'Partition fill',
        'dumps by share of the partition not erased',
        bars(answer('fill_distribution')).map((bar) => ({
          ...bar,
          label: `${bar.label}–${Number(bar.label) + 10} %`,
        })),
        'fill',
        'dumps',
      ),
    },
    {
      id: 'lost-keys',
      svg: horizontalBarChart(
        'Keys lost most often',
        'dumps in which the key is lost (only corrupt entries left)',
        bars(answer('top_lost_keys')),
        'dumps',
      ),
    },
    {
      id: 'trend',
      svg: lineChart(
        'Dumps with problems by ingest day',
        'share of the day’s dumps not ok',
        bars(trend),
        'ingest day',
        'not ok',
      ),
    },
  ];
  const tables = summary
    .map(
      ({ question, result }) =>
        `<section class="table" id="table-${question.name}"><h2>${escape(question.title)}</h2>${htmlTable(result)}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>flashkv fleet report</title>
<style>
body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif; color: #1f2933; margin: 24px; background: #f7f8fa; }
h1 { font-size: 22px; margin: 0 0 4px; } p.lead { color: #6b7785; margin: 0 0 20px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure { margin: 0; background: #fff; border: 1px solid #e4e8ec; border-radius: 6px; }
figure svg { display: block; max-width: 100%; height: auto; }
section.table { background: #fff; border: 1px solid #e4e8ec; border-radius: 6px; padding: 8px 16px 16px; margin-top: 16px; }
h2 { font-size: 16px; } table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 3px 12px 3px 0; border-bottom: 1px solid #eef1f4; } th { color: #6b7785; font-weight: 600; }
</style>
</head>
<body>
<h1>Fleet report</h1>
<p class="lead">${dumps} dumps, ${bad} with problems or unreadable. Made by flashkv fleet report; every chart and table is a query on the fleet tables (docs/fleet-schema.md).</p>
<div class="charts">
${charts.map((chart) => `<figure class="chart" id="${chart.id}">${chart.svg}</figure>`).join('\n')}
</div>
${tables}
</body>
</html>
`;
}
