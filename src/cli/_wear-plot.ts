import { scaleBand, scaleLinear, scaleLog } from 'd3-scale';
import { schemeTableau10 } from 'd3-scale-chromatic';
import { line } from 'd3-shape';
import { type WearReport, describeDuration } from '../wear/simulate.js';
import { SECONDS_PER_DAY, SECONDS_PER_YEAR } from '../wear/workload.js';

// SVG charts of a wear report. Plain SVG text, no DOM: d3 only computes scales, ticks and paths.
// The frame, text and axis helpers are exported: every flashkv chart (fleet report) draws with
// them, so the charts look alike.

/** Chart size and margins in px (every chart is this size). */
export const WIDTH = 860;
export const HEIGHT = 440;
export const MARGIN = { top: 64, right: 170, bottom: 52, left: 74 };
export const INNER_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
export const INNER_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
/** Chart colours: text, secondary text, grid lines, warnings. */
export const INK = '#1f2933';
export const MUTED = '#6b7785';
export const GRID = '#e4e8ec';
export const WARN = '#c0392b';

/** Text escaped for SVG/HTML content. */
export function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The x axis line and both axis titles of a chart (the y title rotated, `yTitleLeft` px out). */
export function axes(xTitle: string, yTitle: string, yTitleLeft = 52): string[] {
  const middle = INNER_HEIGHT / 2;
  return [
    `<line x1="0" x2="${INNER_WIDTH}" y1="${INNER_HEIGHT}" y2="${INNER_HEIGHT}" stroke="${MUTED}"/>`,
    text(INNER_WIDTH / 2, INNER_HEIGHT + 40, xTitle, 'text-anchor="middle"', 12, MUTED),
    text(
      -yTitleLeft,
      middle,
      yTitle,
      `text-anchor="middle" transform="rotate(-90 -${yTitleLeft} ${middle})"`,
      12,
      MUTED,
    ),
  ];
}

/** An SVG text element at (`x`, `y`), escaped, in the charts' font size and colour. */
export function text(
  x: number,
  y: number,
  content: string,
  attributes = '',
  size = 12,
  fill = INK,
): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" font-size="${size}" fill="${fill}" ${attributes}>${escape(content)}</text>`;
}

/** A whole chart: the SVG element, white background, title and subtitle, then `body`. */
export function frame(title: string, subtitle: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ${FONT}>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    text(MARGIN.left, 28, title, 'font-weight="600"', 17),
    text(MARGIN.left, 48, subtitle, '', 12.5, MUTED),
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** A compact number: 12 345 → "12.3k". */
export function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${+(value / 1e6).toFixed(1)}M`;
  if (abs >= 1e4) return `${+(value / 1e3).toFixed(0)}k`;
  if (abs >= 1e3) return `${+(value / 1e3).toFixed(1)}k`;
  return `${+value.toFixed(2)}`;
}

function years(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  const value = seconds / SECONDS_PER_YEAR;
  return value >= 1
    ? `${value.toFixed(1)} years`
    : `${(seconds / SECONDS_PER_DAY).toFixed(0)} days`;
}

/** The `index`-th colour of the charts' palette (Tableau 10). */
export function colour(index: number): string {
  return schemeTableau10[index % schemeTableau10.length]!;
}

/** Sectors whose erase-count series are identical, drawn (and labelled) as one line. */
function groupSectors(report: WearReport): number[][] {
  const groups = new Map<string, number[]>();
  for (let s = 0; s < report.sectorCount; s++) {
    const series = report.samples.map((sample) => sample.eraseCounts[s]).join(',');
    const group = groups.get(series);
    if (group === undefined) groups.set(series, [s]);
    else group.push(s);
  }
  return [...groups.values()];
}

function sectorNames(sectors: readonly number[]): string {
  if (sectors.length === 1) return `sector ${sectors[0]}`;
  const contiguous = sectors.every((s, i) => i === 0 || s === sectors[i - 1]! + 1);
  return contiguous && sectors.length > 2
    ? `sectors ${sectors[0]}–${sectors.at(-1)}`
    : `sectors ${sectors.join(', ')}`;
}

/**
 * Erase count of every sector over the horizon: simulated part solid, extrapolated part
 * dashed, the endurance drawn when the counts come near it, the first sector to wear marked.
 */
export function eraseCountsChart(report: WearReport): string {
  const innerWidth = INNER_WIDTH;
  const innerHeight = INNER_HEIGHT;
  const horizonYears = report.horizonSeconds / SECONDS_PER_YEAR;
  const maxCount = Math.max(1, ...report.eraseCounts);
  const showEndurance =
    maxCount >= report.enduranceCycles * 0.5 || report.lifetimeSeconds <= 3 * report.horizonSeconds;
  const yMax = showEndurance ? Math.max(maxCount, report.enduranceCycles) * 1.05 : maxCount;
  const lifetimeYears = report.lifetimeSeconds / SECONDS_PER_YEAR;
  // Show where the first sector wears out when that is not far past the horizon.
  const project =
    report.firstWornSector !== undefined &&
    lifetimeYears > horizonYears &&
    lifetimeYears <= 3 * horizonYears;
  const x = scaleLinear()
    .domain([0, project ? lifetimeYears : horizonYears])
    .range([0, innerWidth])
    .nice();
  const y = scaleLinear().domain([0, yMax]).range([innerHeight, 0]).nice();
  const body: string[] = [`<g transform="translate(${MARGIN.left},${MARGIN.top})">`];
  for (const tick of y.ticks(6)) {
    body.push(
      `<line x1="0" x2="${innerWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="${GRID}"/>`,
      text(-10, y(tick) + 4, compact(tick), 'text-anchor="end"', 11, MUTED),
    );
  }
  for (const tick of x.ticks(10)) {
    body.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${innerHeight}" y2="${innerHeight + 5}" stroke="${MUTED}"/>`,
      text(x(tick), innerHeight + 19, `${tick}`, 'text-anchor="middle"', 11, MUTED),
    );
  }
  body.push(...axes('years', 'erases per sector'));
  // Where the store stopped and the fast-forward took over.
  const firstExtrapolated = report.samples.findIndex((sample) => sample.extrapolated);
  if (firstExtrapolated > 0) {
    const at = x(report.samples[firstExtrapolated - 1]!.seconds / SECONDS_PER_YEAR);
    const end = x(horizonYears);
    body.push(
      `<rect x="${at}" y="0" width="${end - at}" height="${innerHeight}" fill="#f4f6f8"/>`,
      text(
        at + 6,
        innerHeight - 8,
        `extrapolated after ${describeDuration(report.steadyState?.confirmedAfterSeconds ?? 0)}, once the erase pattern repeats`,
        '',
        11,
        MUTED,
      ),
    );
  }
  if (showEndurance) {
    const level = y(report.enduranceCycles);
    body.push(
      `<line x1="0" x2="${innerWidth}" y1="${level}" y2="${level}" stroke="${WARN}" stroke-dasharray="6 4"/>`,
      text(
        4,
        level - 6,
        `endurance ${report.enduranceCycles.toLocaleString('en-US')} erases`,
        '',
        11,
        WARN,
      ),
    );
  }
  const path = line<[number, number]>()
    .x(([seconds]) => x(seconds / SECONDS_PER_YEAR))
    .y(([, count]) => y(count));
  const groups = groupSectors(report);
  const labels: { y: number; text: string; colour: string }[] = [];
  groups.forEach((sectors, index) => {
    const s = sectors[0]!;
    const points = report.samples.map((sample): [number, number] => [
      sample.seconds,
      sample.eraseCounts[s]!,
    ]);
    const cut = firstExtrapolated < 0 ? points.length : firstExtrapolated;
    const stroke = colour(index);
    const width = sectors.includes(report.firstWornSector ?? -1) ? 2.6 : 1.8;
    body.push(
      `<path d="${path(points.slice(0, cut))}" fill="none" stroke="${stroke}" stroke-width="${width}"/>`,
    );
    if (cut < points.length) {
      body.push(
        `<path d="${path(points.slice(Math.max(0, cut - 1)))}" fill="none" stroke="${stroke}" stroke-width="${width}" stroke-dasharray="5 4"/>`,
      );
    }
    const final = points.at(-1)![1];
    if (project && sectors.includes(report.firstWornSector!)) {
      const [endSeconds] = points.at(-1)!;
      body.push(
        `<line x1="${x(endSeconds / SECONDS_PER_YEAR)}" y1="${y(final)}" x2="${x(lifetimeYears)}" y2="${y(report.enduranceCycles)}" stroke="${stroke}" stroke-width="1.4" stroke-dasharray="1.5 3.5"/>`,
      );
    }
    labels.push({
      y: y(final),
      text: `${sectorNames(sectors)}  ${compact(final)}`,
      colour: stroke,
    });
  });
  // Direct labels at the right end, nudged apart so they never overlap.
  labels.sort((a, b) => a.y - b.y);
  for (let i = 1; i < labels.length; i++) {
    labels[i]!.y = Math.max(labels[i]!.y, labels[i - 1]!.y + 15);
  }
  for (const label of labels) {
    body.push(text(innerWidth + 8, label.y + 4, label.text, '', 11.5, label.colour));
  }
  const worn = report.firstWornSector;
  if (worn !== undefined && (project || report.lifetimeSeconds <= report.horizonSeconds)) {
    const at = x(lifetimeYears);
    body.push(
      `<circle cx="${at}" cy="${y(report.enduranceCycles)}" r="4" fill="${WARN}"/>`,
      text(
        at - 6,
        y(report.enduranceCycles) + 16,
        `sector ${worn} worn out: ${years(report.lifetimeSeconds)}`,
        'text-anchor="end"',
        11.5,
        WARN,
      ),
    );
  }
  if (project) {
    const end = x(horizonYears);
    body.push(
      `<line x1="${end}" x2="${end}" y1="0" y2="${innerHeight}" stroke="${MUTED}" stroke-dasharray="2 3"/>`,
      text(end + 5, 14, 'horizon', '', 11, MUTED),
    );
  }
  body.push('</g>');
  const lifetime =
    worn === undefined
      ? 'no sector is ever erased'
      : `first sector worn out: sector ${worn} after ${years(report.lifetimeSeconds)}`;
  const endurance = showEndurance
    ? ''
    : `; endurance ${report.enduranceCycles.toLocaleString('en-US')} is off the chart`;
  return frame(
    `Erases per sector over ${horizonYears >= 1 ? `${+horizonYears.toFixed(2)} year${horizonYears === 1 ? '' : 's'}` : describeDuration(report.horizonSeconds)} (${report.sectorCount} × ${report.sectorSizeBytes} B)`,
    `${lifetime}${endurance}`,
    body,
  );
}

/**
 * Erases per day of each sector as bars, against the rate that would wear a sector out at the
 * end of `targetYears`.
 */
export function eraseRateChart(report: WearReport, targetYears: number): string {
  const innerWidth = INNER_WIDTH;
  const innerHeight = INNER_HEIGHT;
  const budget = report.enduranceCycles / (targetYears * 365.25);
  const rates = report.erasesPerSectorPerDay;
  const x = scaleBand<number>()
    .domain(rates.map((_, s) => s))
    .range([0, innerWidth])
    .padding(0.2);
  const y = scaleLinear()
    .domain([0, Math.max(budget, ...rates) * 1.1])
    .range([innerHeight, 0])
    .nice();
  const body: string[] = [`<g transform="translate(${MARGIN.left},${MARGIN.top})">`];
  for (const tick of y.ticks(6)) {
    body.push(
      `<line x1="0" x2="${innerWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="${GRID}"/>`,
      text(-10, y(tick) + 4, compact(tick), 'text-anchor="end"', 11, MUTED),
    );
  }
  const labelEvery = Math.ceil(rates.length / 32);
  rates.forEach((rate, s) => {
    const over = rate > budget;
    const left = x(s)!;
    body.push(
      `<rect x="${left}" y="${y(rate)}" width="${x.bandwidth()}" height="${innerHeight - y(rate)}" fill="${over ? WARN : colour(0)}" rx="2"/>`,
    );
    if (s % labelEvery === 0) {
      body.push(
        text(left + x.bandwidth() / 2, innerHeight + 18, `${s}`, 'text-anchor="middle"', 11, MUTED),
      );
    }
    if (rates.length <= 16) {
      body.push(
        text(left + x.bandwidth() / 2, y(rate) - 5, compact(rate), 'text-anchor="middle"', 11, INK),
      );
    }
  });
  const level = y(budget);
  body.push(
    ...axes('sector', 'erases per day'),
    `<line x1="0" x2="${innerWidth}" y1="${level}" y2="${level}" stroke="${WARN}" stroke-dasharray="6 4"/>`,
    text(innerWidth + 8, level + 4, `${compact(budget)}/day lasts`, '', 11, WARN),
    text(innerWidth + 8, level + 18, `${targetYears} years`, '', 11, WARN),
    '</g>',
  );
  const idle = rates.filter((rate) => rate === 0).length;
  return frame(
    'Erases per day, by sector',
    idle === 0
      ? 'averaged over the horizon; the dashed line is the most a sector can take for the target'
      : `averaged over the horizon; ${idle} of ${rates.length} sectors never erased` +
          ' (pw_kvs never moves data that never changes)',
    body,
  );
}

/**
 * How long writes take under the timing model: a histogram on log scales (most writes are
 * fast, the ones that garbage collect wait for an erase), with p50, p99 and the worst marked.
 */
export function latencyChart(report: WearReport): string {
  const innerWidth = INNER_WIDTH;
  const innerHeight = INNER_HEIGHT;
  const { histogram, p50Ms, p99Ms, maxMs } = report.latency;
  const total = histogram.reduce((sum, bucket) => sum + bucket.writes, 0);
  const smallest = Math.max(1e-3, histogram[0]?.ms ?? 1e-3);
  const x = scaleLog()
    .domain([smallest / 1.5, Math.max(maxMs, smallest) * 1.5])
    .range([0, innerWidth]);
  // Log-spaced bins, ~60 across the chart; each bar is a bin's share of the writes.
  const binCount = 60;
  const [lo, hi] = x.domain() as [number, number];
  const ratio = Math.pow(hi / lo, 1 / binCount);
  const bins = new Array<number>(binCount).fill(0);
  for (const { ms, writes } of histogram) {
    const bin = Math.min(
      binCount - 1,
      Math.max(0, Math.floor(Math.log(ms / lo) / Math.log(ratio))),
    );
    bins[bin]! += writes;
  }
  const minShare = Math.min(...bins.filter((n) => n > 0).map((n) => n / total));
  const y = scaleLog()
    .domain([Math.min(minShare, 1e-4) / 2, 4])
    .range([innerHeight, 0])
    .clamp(true);
  const body: string[] = [`<g transform="translate(${MARGIN.left},${MARGIN.top})">`];
  for (const tick of [1, 0.1, 0.01, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8]) {
    if (tick < y.domain()[0]!) continue;
    body.push(
      `<line x1="0" x2="${innerWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="${GRID}"/>`,
      text(-10, y(tick) + 4, `${+(tick * 100).toPrecision(1)} %`, 'text-anchor="end"', 11, MUTED),
    );
  }
  for (const tick of x.ticks(8)) {
    const label = x.tickFormat(8, '~g')(tick);
    if (label === '') continue;
    body.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${innerHeight}" y2="${innerHeight + 5}" stroke="${MUTED}"/>`,
      text(x(tick), innerHeight + 19, label, 'text-anchor="middle"', 11, MUTED),
    );
  }
  bins.forEach((writes, bin) => {
    if (writes === 0) return;
    const left = x(lo * Math.pow(ratio, bin));
    const right = x(lo * Math.pow(ratio, bin + 1));
    const top = y(writes / total);
    body.push(
      `<rect x="${left + 0.5}" y="${top}" width="${Math.max(1, right - left - 1)}" height="${innerHeight - top}" fill="${colour(0)}" rx="1.5"/>`,
      text(
        (left + right) / 2,
        top - 5,
        `${+((writes / total) * 100).toPrecision(3)} %`,
        'text-anchor="middle"',
        10.5,
        INK,
      ),
    );
  });
  const markers: [string, number, string][] = [
    ['p50', p50Ms, INK],
    ['p99', p99Ms, colour(1)],
    ['max', maxMs, WARN],
  ];
  let lastX = Number.NEGATIVE_INFINITY;
  let row = 0;
  for (const [name, ms, stroke] of markers) {
    const at = x(ms);
    row = at - lastX < 110 ? row + 1 : 0;
    lastX = at;
    body.push(
      `<line x1="${at}" x2="${at}" y1="0" y2="${innerHeight}" stroke="${stroke}" stroke-dasharray="3 3"/>`,
      text(at + 4, 12 + row * 14, `${name} ${+ms.toPrecision(3)} ms`, '', 11, stroke),
    );
  }
  body.push(...axes('write latency (ms, log scale)', 'share of writes (log scale)', 58), '</g>');
  return frame(
    'Write latency',
    `${report.simulatedWrites.toLocaleString('en-US')} simulated writes under the timing model; ` +
      `${((report.writesWithGc / report.totalWrites) * 100).toFixed(2)} % of all writes wait for a garbage collection`,
    body,
  );
}
