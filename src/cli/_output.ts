import Table from 'cli-table3';
import pc from 'picocolors';
import stringWidth from 'string-width';
import type { SectorReport, SpanKind } from '../image/scan.js';
import { utf8Decode } from '../utf8.js';

const BLANK_BORDERS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '  ',
};

/** Rows cli-table3 lays out at a time: its layout slows down more than linearly with rows. */
const ROWS_PER_CHUNK = 500;

/**
 * An aligned table without borders; the header is bold on a terminal. Column widths are
 * measured once over all rows and the rows laid out in chunks, so 100 000 keys list in
 * seconds.
 */
export function table(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const columns = Math.max(head.length, ...cells.map((row) => row.length));
  const colWidths = Array.from({ length: columns }, (_, column) =>
    Math.max(
      stringWidth(head[column] ?? ''),
      ...cells.map((row) => stringWidth(row[column] ?? '')),
    ),
  );
  const render = (chunk: string[][], withHead: boolean): string => {
    const output = new Table({
      head: withHead ? head.map((cell) => pc.bold(cell)) : [],
      chars: BLANK_BORDERS,
      colWidths,
      wordWrap: false,
      style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
    });
    output.push(...chunk);
    return output.toString();
  };
  const parts: string[] = [];
  for (let start = 0; start === 0 || start < cells.length; start += ROWS_PER_CHUNK) {
    parts.push(render(cells.slice(start, start + ROWS_PER_CHUNK), start === 0 && head.length > 0));
  }
  return parts
    .join('\n')
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

/** The value as text when it is printable UTF-8, else null. */
export function printableText(bytes: Uint8Array): string | null {
  const text = utf8Decode(bytes, true);
  if (text === undefined) return null;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return null;
  return text;
}

/** Bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A one-line preview of a value: quoted text when printable, else 0x hex; cut to `width`. */
export function preview(bytes: Uint8Array, width = 40): string {
  const text = printableText(bytes);
  const shown = text === null ? `0x${toHex(bytes)}` : JSON.stringify(text);
  return shown.length > width ? `${shown.slice(0, width - 1)}…` : shown;
}

const GLYPHS: Record<SpanKind, string> = { live: '█', stale: '▒', corrupt: '×', free: '·' };
const COLOURS: Record<SpanKind, (text: string) => string> = {
  live: pc.green,
  stale: pc.yellow,
  corrupt: pc.red,
  free: pc.dim,
};
/** When a cell holds several kinds, the one drawn: damage first, then what is kept. */
const PRIORITY: readonly SpanKind[] = ['corrupt', 'live', 'stale', 'free'];

/** One sector as a bar of `cells` characters, each the dominant kind of its bytes. */
export function sectorBar(sector: SectorReport, sectorSizeBytes: number, cells = 32): string {
  const cellBytes = sectorSizeBytes / cells;
  let bar = '';
  for (let cell = 0; cell < cells; cell++) {
    const start = sector.address + cell * cellBytes;
    const end = start + cellBytes;
    const present = new Set<SpanKind>();
    for (const span of sector.spans) {
      if (span.address < end && span.address + span.sizeBytes > start) present.add(span.kind);
    }
    const kind = PRIORITY.find((candidate) => present.has(candidate)) ?? 'free';
    bar += COLOURS[kind](GLYPHS[kind]);
  }
  return bar;
}

/** The legend under a sector map. */
export function sectorMapLegend(): string {
  return (['live', 'stale', 'free', 'corrupt'] as const)
    .map((kind) => `${COLOURS[kind](GLYPHS[kind])} ${kind === 'live' ? 'valid' : kind}`)
    .join('   ');
}

/**
 * Table rows for sectors, one per sector, except that a run of 3 or more erased sectors is one
 * row labelled with its first and last index ("3–63"). `cells` renders the rest of a row.
 */
export function sectorRows(
  sectors: readonly SectorReport[],
  sectorSizeBytes: number,
  cells: (sector: SectorReport) => unknown[],
): unknown[][] {
  const rows: unknown[][] = [];
  for (let i = 0; i < sectors.length;) {
    let end = i;
    while (end < sectors.length && sectors[end]!.freeBytes === sectorSizeBytes) end++;
    if (end - i >= 3) {
      rows.push([`${i}–${end - 1}`, ...cells(sectors[i]!)]);
      i = end;
    } else {
      rows.push([i, ...cells(sectors[i]!)]);
      i++;
    }
  }
  return rows;
}

/** The sector map: a bar and the byte counts per sector (runs of erased sectors as one row). */
export function sectorMap(sectors: readonly SectorReport[], sectorSizeBytes: number): string {
  const rows = sectorRows(sectors, sectorSizeBytes, (sector) => [
    sectorBar(sector, sectorSizeBytes),
    sector.liveBytes,
    sector.staleBytes,
    sector.freeBytes,
    sector.corruptBytes,
  ]);
  return `${table(['sector', 'map', 'valid B', 'stale B', 'free B', 'corrupt B'], rows)}\n${sectorMapLegend()}`;
}

/** Byte counts with thousands separators. */
export function bytes(count: number): string {
  return `${count.toLocaleString('en-US')} B`;
}
