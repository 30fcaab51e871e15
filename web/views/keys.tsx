import { useMemo, useRef, useState } from 'preact/hooks';
import { bytesToHex } from '../../src/bytes.js';
import type { ImageBytes } from '../../src/image/open.js';
import { showBytes } from '../../src/image/report.js';
import type { ImageScan } from '../../src/image/scan.js';
import { KvsError } from '../../src/status.js';
import { message } from '../source.js';
import { VALUE_VIEWS, type ValueView, showValue } from '../values.js';
import { ROW_HEIGHT_PX, useVirtualRows } from '../virtual.js';

// ---- Keys ----

interface KeyRow {
  readonly key: Uint8Array;
  readonly text: string;
  readonly transactionId: number;
  readonly addresses: number[];
  readonly valueSizeBytes: number;
}

function keyRows(scan: ImageScan): KeyRow[] {
  const rows = new Map<string, KeyRow>();
  for (const entry of scan.entries) {
    if (entry.state !== 'live') continue;
    const id = bytesToHex(entry.key);
    const row = rows.get(id);
    if (row === undefined) {
      rows.set(id, {
        key: entry.key,
        text: showBytes(entry.key),
        transactionId: entry.transactionId,
        addresses: [entry.address],
        valueSizeBytes: entry.valueSizeBytes ?? 0,
      });
    } else row.addresses.push(entry.address);
  }
  return [...rows.values()];
}

/** Natural order: `cal/2` before `cal/10`. */
const NATURAL = new Intl.Collator('en', { numeric: true });

export function KeysView(props: { image: ImageBytes }) {
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<'key' | 'size' | 'transaction'>('key');
  const [view, setView] = useState<ValueView>('text');
  const all = useMemo(() => keyRows(props.image.scan), [props.image]);
  const rows = useMemo(() => {
    const needle = filter.toLowerCase();
    const kept =
      needle === '' ? [...all] : all.filter((row) => row.text.toLowerCase().includes(needle));
    const by =
      sort === 'key'
        ? (a: KeyRow, b: KeyRow) => NATURAL.compare(a.text, b.text)
        : sort === 'size'
          ? (a: KeyRow, b: KeyRow) => a.valueSizeBytes - b.valueSizeBytes
          : (a: KeyRow, b: KeyRow) => a.transactionId - b.transactionId;
    return kept.sort(by);
  }, [all, filter, sort]);
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualRows(rows.length, scroller);
  const valueOf = (row: KeyRow): string => {
    try {
      const value = props.image.store.get(row.key);
      return value === undefined ? '(not found)' : showValue(value, view);
    } catch (error) {
      return `(unreadable: ${KvsError.is(error) ? error.code : message(error)})`;
    }
  };
  return (
    <section>
      <div class="toolbar">
        <input
          type="search"
          aria-label="Filter keys"
          placeholder="Filter keys"
          value={filter}
          onInput={(event) => setFilter(event.currentTarget.value)}
        />
        <label>
          sort{' '}
          <select
            aria-label="Sort keys"
            value={sort}
            onChange={(event) => setSort(event.currentTarget.value as typeof sort)}
          >
            <option value="key">key</option>
            <option value="size">size</option>
            <option value="transaction">transaction id</option>
          </select>
        </label>
        <label>
          value as{' '}
          <select
            aria-label="Value as"
            value={view}
            onChange={(event) => setView(event.currentTarget.value as ValueView)}
          >
            {VALUE_VIEWS.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <span class="count" data-testid="key-count">
          {rows.length} of {all.length} keys
        </span>
      </div>
      <div class="row head">
        <span>key</span>
        <span>size</span>
        <span>value</span>
        <span>transaction</span>
        <span>copies at</span>
      </div>
      <div class="scroller" ref={scroller} role="table" aria-label="Keys">
        <div style={{ height: `${virtual.getTotalSize()}px`, position: 'relative' }}>
          {virtual.getVirtualItems().map((item) => {
            const row = rows[item.index]!;
            return (
              <div
                key={item.key}
                class="row"
                role="row"
                data-key={row.text}
                style={{ transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT_PX}px` }}
              >
                <span>{row.text}</span>
                <span>{row.valueSizeBytes} B</span>
                <span class="value">{valueOf(row)}</span>
                <span>{row.transactionId}</span>
                <span>{row.addresses.map((address) => `0x${address.toString(16)}`).join(' ')}</span>
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}
