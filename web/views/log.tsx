import { useRef, useState } from 'preact/hooks';
import type { ImageBytes } from '../../src/image/open.js';
import { showBytes } from '../../src/image/report.js';
import { hexDump } from '../values.js';
import { ROW_HEIGHT_PX, useVirtualRows } from '../virtual.js';
import { entryTitle } from './map.js';

// ---- Entry log and hex ----

/** The most bytes the hex view shows at once. */
const HEX_MAX_BYTES = 4096;

/**
 * The log and hex of the page's image. `bytes` is what the page holds (the file with its unsaved
 * edits), `saved` the file as loaded: hex shows `bytes` with edited lines marked, or (a separate
 * choice) the bytes after pw_kvs's init would repair them.
 */
export function LogView(props: { image: ImageBytes; bytes: Uint8Array; saved: Uint8Array }) {
  const { entries } = props.image.scan;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualRows(entries.length, scroller);
  const [start, setStart] = useState('0');
  const [length, setLength] = useState('256');
  const from = Math.max(0, Number.parseInt(start, 16) || 0);
  const asked = Math.max(0, Number(length) || 0);
  const [afterInit, setAfterInit] = useState(false);
  const shown = afterInit ? props.image.flash.bytes : props.bytes;
  const end = Math.min(shown.length, from + Math.min(asked, HEX_MAX_BYTES));
  const lines = hexDump(shown.subarray(from, end), from);
  const isEdited = (line: number): boolean => {
    const at = from + line * 16;
    for (let i = at; i < Math.min(at + 16, end); i++)
      if (props.bytes[i] !== props.saved[i]) return true;
    return false;
  };
  const cut =
    from >= shown.length
      ? `0x${from.toString(16)} is past the partition's end (0x${shown.length.toString(16)})`
      : from + asked > end
        ? `showing ${end - from} of the ${asked} B asked: ${
            asked > HEX_MAX_BYTES ? `at most ${HEX_MAX_BYTES} B at a time` : ''
          }${asked > HEX_MAX_BYTES && from + asked > shown.length ? '; ' : ''}${
            from + asked > shown.length
              ? `the partition ends at 0x${shown.length.toString(16)}`
              : ''
          }`
        : '';
  return (
    <section>
      <h3>Entry log ({entries.length} entries, flash order)</h3>
      <div class="scroller log" ref={scroller} role="table" aria-label="Entry log">
        <div style={{ height: `${virtual.getTotalSize()}px`, position: 'relative' }}>
          {virtual.getVirtualItems().map((item) => {
            const entry = entries[item.index]!;
            return (
              <div
                key={item.key}
                class={`row entry ${entry.state}`}
                role="row"
                title={entryTitle(entry)}
                style={{ transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT_PX}px` }}
              >
                <span>0x{entry.address.toString(16).padStart(6, '0')}</span>
                <span>sector {entry.sector}</span>
                <span>tx {entry.transactionId}</span>
                <span>{entry.key.length === 0 ? '?' : showBytes(entry.key)}</span>
                <span>
                  {entry.valueSizeBytes === null ? 'tombstone' : `${entry.valueSizeBytes} B`}
                </span>
                <span>
                  {entry.reason === undefined ? entry.state : `${entry.state}: ${entry.reason}`}
                </span>
              </div>
            );
          })}
        </div>
      </div>
      <h3>Hex</h3>
      <div class="toolbar">
        <label>
          from 0x
          <input
            aria-label="Hex from"
            value={start}
            onInput={(event) => setStart(event.currentTarget.value)}
          />
        </label>
        <label>
          bytes
          <input
            aria-label="Hex bytes"
            value={length}
            onInput={(event) => setLength(event.currentTarget.value)}
          />
        </label>
        <label>
          bytes of{' '}
          <select
            aria-label="Hex of"
            value={afterInit ? 'init' : 'file'}
            onChange={(event) => setAfterInit(event.currentTarget.value === 'init')}
          >
            <option value="file">the file (unsaved edits marked)</option>
            <option value="init">the image after init's repairs</option>
          </select>
        </label>
        <span role="status" data-testid="hex-range">
          {cut}
        </span>
      </div>
      <pre class="hex" aria-label="Hex view">
        {lines.map((line, i) => {
          const edited = !afterInit && isEdited(i);
          return (
            <div key={i} class={edited ? 'edited' : undefined} data-edited={edited}>
              {edited ? '* ' : '  '}
              {line}
            </div>
          );
        })}
      </pre>
    </section>
  );
}
