import { useRef, useState } from 'preact/hooks';
import type { ImageBytes } from '../../src/image/open.js';
import { showBytes } from '../../src/image/report.js';
import { hexDump } from '../values.js';
import { ROW_HEIGHT_PX, useVirtualRows } from '../virtual.js';
import { entryTitle } from './map.js';

// ---- Entry log and hex ----

export function LogView(props: { image: ImageBytes }) {
  const { entries } = props.image.scan;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualRows(entries.length, scroller);
  const [start, setStart] = useState('0');
  const [length, setLength] = useState('256');
  const from = Math.max(0, Number.parseInt(start, 16) || 0);
  const size = Math.min(4096, Math.max(0, Number(length) || 0));
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
      </div>
      <pre class="hex" aria-label="Hex view">
        {hexDump(props.image.flash.bytes.subarray(from, from + size), from).join('\n')}
      </pre>
    </section>
  );
}
