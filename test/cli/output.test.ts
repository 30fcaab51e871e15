import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { withIo } from '../../src/cli/_io.js';
import { printTable, sectorBar, tableLines } from '../../src/cli/_output.js';
import type { SectorReport, SpanKind } from '../../src/image/scan.js';
import { fcOptions } from '../helpers/fc.js';

/** What `body` prints to stdout, on a plain (not a terminal) stream. */
async function printed(body: () => void): Promise<string> {
  let text = '';
  const stdout = { write: (chunk: string | Uint8Array) => (text += String(chunk)) };
  await withIo({ stdin: new PassThrough(), stdout, stderr: stdout, env: {} }, async () => body());
  return text;
}

/**
 * The definition of the table layout, written plainly: every column as wide as its widest
 * cell (terminal columns, by string-width), two spaces between columns, a row's last cell
 * unpadded, no trailing spaces.
 */
function referenceLines(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const columns = Math.max(head.length, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) =>
    Math.max(
      0,
      ...[head, ...rows].map((row) => (column < row.length ? stringWidth(row[column]!) : 0)),
    ),
  );
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) =>
        column === row.length - 1
          ? cell
          : cell + ' '.repeat(widths[column]! - stringWidth(cell) + 2),
      )
      .join('')
      .trimEnd();
  return [...(head.length > 0 ? [line(head)] : []), ...rows.map(line)];
}

describe('tableLines and printTable', () => {
  // Cells of every width class: ASCII, wide and combining characters, spaces at the end, empty.
  const cell = fc.oneof(
    fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    fc.constantFrom('', ' ', 'a ', '中文', 'é', 'e\u0301', '…', '█▒'),
  );

  it('printTable prints the reference layout, byte for byte, for any cells', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(cell, { minLength: 1, maxLength: 4 }),
        fc.nat({ max: 2 }),
        fc.array(cell, { maxLength: 200 }),
        async (head, extraColumns, pool) => {
          const columnCount = Math.max(1, head.length - 1 + extraColumns);
          const rowCount = Math.floor(pool.length / columnCount);
          const rows = Array.from({ length: rowCount }, (_, row) =>
            pool.slice(row * columnCount, (row + 1) * columnCount),
          );
          const columns = Array.from({ length: columnCount }, (_, column) =>
            rows.map((row) => row[column]!),
          );
          const expected = referenceLines(head, rows)
            .map((line) => `${line}\n`)
            .join('');
          expect(await printed(() => printTable(head, columns))).toBe(expected);
        },
      ),
      fcOptions(300),
    );
  });

  it('tableLines lays out the reference lines, rows of any lengths included', () => {
    fc.assert(
      fc.property(
        fc.array(cell, { maxLength: 4 }),
        fc.array(fc.array(cell, { maxLength: 5 }), { maxLength: 30 }),
        (head, rows) => {
          expect(tableLines(head, rows)).toEqual(referenceLines(head, rows));
        },
      ),
      fcOptions(300),
    );
  });

  it('writes 100 000 rows in chunks, the same lines', async () => {
    const keys = Array.from({ length: 100_000 }, (_, i) => `"key/${i}"`);
    const sizes = keys.map((_, i) => String(i % 1000));
    const widest = keys.at(-1)!.length; // "key/99999": the keys grow in width
    const expected = [
      'key'.padEnd(widest + 2) + 'size',
      ...keys.map((key, i) => key.padEnd(widest + 2) + sizes[i]),
    ]
      .map((line) => `${line}\n`)
      .join('');
    expect(await printed(() => printTable(['key', 'size'], [keys, sizes]))).toBe(expected);
    expect(
      tableLines(
        ['key', 'size'],
        keys.map((key, i) => [key, sizes[i]!]),
      ),
    ).toEqual(expected.slice(0, -1).split('\n'));
  });
});

describe('sectorBar', () => {
  const PRIORITY: readonly SpanKind[] = ['corrupt', 'live', 'stale', 'free'];
  const GLYPHS: Record<SpanKind, string> = { live: '█', stale: '▒', corrupt: '×', free: '·' };

  /** The definition: each cell shows the first kind, by priority, of the spans it overlaps. */
  function reference(sector: SectorReport, sectorSizeBytes: number, cells: number): string {
    const cellBytes = sectorSizeBytes / cells;
    let bar = '';
    for (let cell = 0; cell < cells; cell++) {
      const start = sector.address + cell * cellBytes;
      const end = start + cellBytes;
      const present = sector.spans
        .filter((span) => span.address < end && span.address + span.sizeBytes > start)
        .map((span) => span.kind);
      bar += GLYPHS[PRIORITY.find((kind) => present.includes(kind)) ?? 'free'];
    }
    return bar;
  }

  it('draws the dominant kind of each cell, for spans that tile the sector', () => {
    const plain = { live: String, stale: String, corrupt: String, free: String };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(
            fc.record({
              sizeBytes: fc.integer({ min: 1, max: 300 }),
              kind: fc.constantFrom<SpanKind>('live', 'stale', 'corrupt', 'free'),
            }),
            { minLength: 1, maxLength: 30 },
          ),
          // Sectors of one kind (full, erased), drawn without their spans.
          fc
            .tuple(fc.constantFrom<SpanKind>('live', 'free'), fc.integer({ min: 1, max: 8 }))
            .map(([kind, count]) => Array.from({ length: count }, () => ({ sizeBytes: 64, kind }))),
        ),
        fc.constantFrom(7, 32),
        fc.nat({ max: 3 }),
        (parts, cells, index) => {
          const sectorSizeBytes = parts.reduce((sum, part) => sum + part.sizeBytes, 0);
          const address = index * sectorSizeBytes;
          let at = address;
          const spans = parts.map((part) => {
            const span = { address: at, ...part };
            at += part.sizeBytes;
            return span;
          });
          const bytesOf = (kind: SpanKind): number =>
            parts.reduce((sum, part) => sum + (part.kind === kind ? part.sizeBytes : 0), 0);
          const sector = {
            index,
            address,
            liveBytes: bytesOf('live'),
            staleBytes: bytesOf('stale'),
            corruptBytes: bytesOf('corrupt'),
            freeBytes: bytesOf('free'),
            spans,
          } as unknown as SectorReport;
          expect(sectorBar(sector, sectorSizeBytes, cells, plain)).toBe(
            reference(sector, sectorSizeBytes, cells),
          );
        },
      ),
      fcOptions(500),
    );
  });
});
