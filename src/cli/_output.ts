import pc from 'picocolors';
import stringWidth from 'string-width';
import { bytesToHex, printableText } from '../bytes.js';
import { type SectorReport, type SpanKind, soleKind } from '../image/scan.js';
import { isPlain, print } from './_io.js';

// Printable ASCII and the ellipsis of cut previews: one column each, no string-width needed.
const PLAIN_ASCII = /^[\u0020-\u007e\u2026]*$/;

/** Columns a cell takes on a terminal (ASCII fast, else string-width). */
function widthOf(cell: string): number {
  return PLAIN_ASCII.test(cell) ? cell.length : stringWidth(cell);
}

/**
 * An aligned table without borders, two spaces between columns; the header is bold on a
 * terminal. Returns the lines (no trailing spaces). Rows may be shorter than others.
 */
export function tableLines(
  head: readonly string[],
  rows: readonly (readonly unknown[])[],
  bold = false,
): string[] {
  // At least one column when there are rows: a row of no cells is an empty line.
  let columnCount = Math.max(head.length, rows.length > 0 ? 1 : 0);
  for (const row of rows) if (row.length > columnCount) columnCount = row.length;
  // A short row's missing cells are empty: trimmed away with the padding before them.
  const columns = Array.from({ length: columnCount }, (_, column) =>
    rows.map((row) => (column < row.length ? String(row[column]) : '')),
  );
  const lines: string[] = [];
  layOutTable(head, columns, bold, (line) => lines.push(line));
  return lines;
}

/** Runs of spaces by length, made once each: padding 100 000 cells allocates nothing. */
const PADDING: string[] = [];

function padding(count: number): string {
  return (PADDING[count] ??= ' '.repeat(count));
}

/** Lines are written to stdout in chunks of about this many characters. */
const CHUNK_CHARS = 1 << 16;

/**
 * Prints the table {@link tableLines} lays out from cells given column by column
 * (`columns[column][row]`, every column as long as the first), in chunks of about 64 KiB:
 * no row arrays and no array of lines are built, so 100 000 rows cost little more than their
 * text.
 */
export function printTable(
  head: readonly string[],
  columns: readonly (readonly string[])[],
  bold = false,
): void {
  let chunk = '';
  let lines = 0;
  layOutTable(head, columns, bold, (line) => {
    chunk = lines === 0 ? line : `${chunk}\n${line}`;
    lines++;
    if (chunk.length >= CHUNK_CHARS) {
      print(chunk);
      chunk = '';
      lines = 0;
    }
  });
  if (lines > 0) print(chunk);
}

/**
 * The layout of both: hands each line of the table (header first) to `emit`. Each cell's
 * width is measured once, in one pass per column; the last column is never padded.
 */
function layOutTable(
  head: readonly string[],
  columns: readonly (readonly string[])[],
  bold: boolean,
  emit: (line: string) => void,
): void {
  const rowCount = columns.length === 0 ? 0 : columns[0]!.length;
  const columnCount = Math.max(head.length, rowCount === 0 ? 0 : columns.length);
  const widths = new Array<number>(columnCount).fill(0);
  const cellWidths = columns.map((cells, column) => {
    // The last column is never padded: its widths matter only under a longer header.
    if (column === columns.length - 1 && column >= head.length - 1) return new Int32Array(0);
    const measured = new Int32Array(rowCount);
    let widest = 0;
    for (let row = 0; row < rowCount; row++) {
      const width = widthOf(cells[row]!);
      measured[row] = width;
      if (width > widest) widest = width;
    }
    widths[column] = widest;
    return measured;
  });
  for (let column = 0; column < head.length; column++) {
    widths[column] = Math.max(widths[column]!, widthOf(head[column]!));
  }
  if (head.length > 0) {
    let header = '';
    for (let column = 0; column < head.length; column++) {
      const cell = head[column]!;
      header +=
        column === head.length - 1 ? cell : cell + padding(widths[column]! - widthOf(cell) + 2);
    }
    header = header.trimEnd();
    emit(bold ? colours().bold(header) : header);
  }
  const last = columns.length - 1;
  for (let row = 0; row < rowCount; row++) {
    let line = '';
    for (let column = 0; column < last; column++) {
      line += columns[column]![row]! + padding(widths[column]! - cellWidths[column]![row]! + 2);
    }
    emit((line + columns[last]![row]!).trimEnd());
  }
}

/** {@link tableLines} joined into one string. */
export function table(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return tableLines(head, rows).join('\n');
}

/**
 * A one-line preview of a value: quoted text when printable, else `hex:` digits (so the text
 * "07000000" and the bytes 07 00 00 00 never look alike); cut to `width`.
 */
export function preview(bytes: Uint8Array, width = 40): string {
  // Only the bytes that can show are formatted: a 4 KiB value costs as much as a short one.
  const head = bytes.length > width ? bytes.subarray(0, width + 3) : bytes;
  const headText = printableText(head);
  let shown = headText === undefined ? `hex:${bytesToHex(head)}` : JSON.stringify(headText);
  if (head !== bytes && headText === undefined && printableText(bytes) !== undefined) {
    shown = JSON.stringify(printableText(bytes));
  }
  return shown.length > width || head !== bytes ? `${shown.slice(0, width - 1)}…` : shown;
}

const GLYPHS: Record<SpanKind, string> = { live: '█', stale: '▒', corrupt: '×', free: '·' };
/**
 * Colours for this run's stdout: none when it is not a terminal or NO_COLOR is set (decided per
 * run, not from the process environment picocolors reads once: `cli()` runs in-process too).
 */
function colours(): ReturnType<typeof pc.createColors> {
  return pc.createColors(!isPlain());
}

/** The colour of each kind of bytes in a sector map, for this run. */
function palette(): Record<SpanKind, (text: string) => string> {
  const c = colours();
  return { live: c.green, stale: c.yellow, corrupt: c.red, free: c.dim };
}
/** When a cell holds several kinds, the one drawn: damage first, then what is kept. */
const PRIORITY: readonly SpanKind[] = ['corrupt', 'live', 'stale', 'free'];

/** Each kind of bytes as one bit, for the kinds present in a cell of a bar. */
const KIND_BITS: Record<SpanKind, number> = { corrupt: 1, live: 2, stale: 4, free: 8 };

/** One sector as a bar of `cells` characters, each the dominant kind of its bytes. */
export function sectorBar(
  sector: SectorReport,
  sectorSizeBytes: number,
  cells = 32,
  colour: Record<SpanKind, (text: string) => string> = palette(),
): string {
  // A sector of one kind (full, erased) is one glyph throughout: its spans need not be made.
  const sole = soleKind(sector);
  if (sole !== undefined) return colour[sole](GLYPHS[sole]).repeat(cells);
  const cellBytes = sectorSizeBytes / cells;
  const { spans } = sector;
  let bar = '';
  // Spans are in address order: the first one that can still reach a cell only moves forward.
  let first = 0;
  for (let cell = 0; cell < cells; cell++) {
    const start = sector.address + cell * cellBytes;
    const end = start + cellBytes;
    while (first < spans.length && spans[first]!.address + spans[first]!.sizeBytes <= start) {
      first++;
    }
    let present = 0;
    for (let i = first; i < spans.length && spans[i]!.address < end; i++) {
      present |= KIND_BITS[spans[i]!.kind];
    }
    const kind = PRIORITY.find((candidate) => (present & KIND_BITS[candidate]) !== 0) ?? 'free';
    bar += colour[kind](GLYPHS[kind]);
  }
  return bar;
}

/** The legend under a sector map. */
export function sectorMapLegend(): string {
  const colour = palette();
  return (['live', 'stale', 'free', 'corrupt'] as const)
    .map((kind) => `${colour[kind](GLYPHS[kind])} ${kind === 'live' ? 'valid' : kind}`)
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
  const colour = palette();
  const rows = sectorRows(sectors, sectorSizeBytes, (sector) => [
    sectorBar(sector, sectorSizeBytes, 32, colour),
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
