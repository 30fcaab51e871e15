import { useState } from 'preact/hooks';
import { sectorLabel } from '../../src/image/check.js';
import type { ImageBytes } from '../../src/image/open.js';
import { showBytes } from '../../src/image/report.js';
import {
  type ImageScan,
  type ScannedEntry,
  type SectorReport,
  soleKind,
} from '../../src/image/scan.js';

// ---- Sector map ----

/** A sector's spans with neighbours of the same kind merged: one bar piece per run. */
function runsOf(sector: SectorReport): { address: number; sizeBytes: number; kind: string }[] {
  // A sector of one kind (full, empty) is one run: its spans need not be made.
  const kind = soleKind(sector);
  if (kind !== undefined) {
    const sizeBytes = sector.liveBytes + sector.staleBytes + sector.corruptBytes + sector.freeBytes;
    return [{ address: sector.address, sizeBytes, kind }];
  }
  const runs: { address: number; sizeBytes: number; kind: string }[] = [];
  for (const span of sector.spans) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.kind === span.kind) last.sizeBytes += span.sizeBytes;
    else runs.push({ address: span.address, sizeBytes: span.sizeBytes, kind: span.kind });
  }
  return runs;
}

/** Above this many sectors the map is a grid of one cell a sector (4 096 bars would be 90 000 px). */
const GRID_THRESHOLD = 64;

function SectorBar(props: {
  sector: SectorReport;
  sectorSizeBytes: number;
  marked: boolean;
  selected: boolean;
  /** One coloured cell (by the sector's state), not a bar of its spans. */
  compact: boolean;
  onSelect?: (index: number) => void;
}) {
  const { sector, sectorSizeBytes } = props;
  const label = sectorLabel(sector, sectorSizeBytes);
  return (
    <button
      type="button"
      class={`sector ${label.toLowerCase()}${props.marked ? ' marked' : ''}${props.selected ? ' selected' : ''}`}
      data-sector={sector.index}
      data-live={sector.liveBytes}
      data-stale={sector.staleBytes}
      data-free={sector.freeBytes}
      data-corrupt={sector.corruptBytes}
      data-label={label}
      title={`sector ${sector.index} at 0x${sector.address.toString(16)}: ${sector.entryCount} entries; valid ${sector.liveBytes} B, stale ${sector.staleBytes} B, free ${sector.freeBytes} B, corrupt ${sector.corruptBytes} B (${label}); erase count not recorded by pw_kvs`}
      onClick={() => props.onSelect?.(sector.index)}
    >
      {!props.compact && <span class="index">{sector.index}</span>}
      {!props.compact && (
        <span class="bar">
          {runsOf(sector).map((run) => (
            <span
              key={run.address}
              class={`span ${run.kind}`}
              style={{ width: `${(100 * run.sizeBytes) / sectorSizeBytes}%` }}
            />
          ))}
        </span>
      )}
    </button>
  );
}

export function SectorMap(props: {
  scan: ImageScan;
  marked?: ReadonlySet<number>;
  selected?: number;
  onSelect?: (index: number) => void;
  label: string;
}) {
  const compact = props.scan.sectors.length > GRID_THRESHOLD;
  return (
    <div class={compact ? 'map compact' : 'map'} role="group" aria-label={props.label}>
      {props.scan.sectors.map((sector) => (
        <SectorBar
          key={sector.index}
          sector={sector}
          sectorSizeBytes={props.scan.config.sectorSizeBytes}
          compact={compact}
          marked={props.marked?.has(sector.index) ?? false}
          selected={props.selected === sector.index}
          {...(props.onSelect === undefined ? {} : { onSelect: props.onSelect })}
        />
      ))}
      <div class="legend">
        <span class="span live" /> valid <span class="span stale" /> stale{' '}
        <span class="span free" /> free <span class="span corrupt" /> corrupt
      </div>
    </div>
  );
}

export function entryTitle(entry: ScannedEntry): string {
  return [
    `address 0x${entry.address.toString(16)} (sector ${entry.sector})`,
    `magic 0x${entry.magic.toString(16)} (format ${entry.formatIndex})`,
    `transaction id ${entry.transactionId}`,
    `key ${entry.key.length === 0 ? '?' : showBytes(entry.key)} (${entry.key.length} B)`,
    `value ${entry.valueSizeBytes === null ? 'tombstone' : `${entry.valueSizeBytes} B`}`,
    `size on flash ${entry.sizeBytes} B`,
    `state ${entry.state}${entry.reason === undefined ? '' : `: ${entry.reason}`}`,
  ].join('\n');
}

export function MapView(props: { image: ImageBytes; marked: ReadonlySet<number> }) {
  const [selected, setSelected] = useState<number | undefined>(undefined);
  // The entry objects are made on first use: not for the map alone.
  const entries =
    selected === undefined
      ? []
      : props.image.scan.entries.filter((entry) => entry.sector === selected);
  return (
    <section class="map-view">
      <SectorMap
        scan={props.image.scan}
        marked={props.marked}
        label="Sector map"
        {...(selected === undefined ? {} : { selected })}
        onSelect={setSelected}
      />
      {selected !== undefined && (
        <div class="sector-entries" aria-label={`Entries of sector ${selected}`}>
          <h3>Sector {selected}</h3>
          {entries.length === 0 && <p>no entries</p>}
          <ol>
            {entries.map((entry) => (
              <li key={entry.address} class={`entry ${entry.state}`} title={entryTitle(entry)}>
                0x{entry.address.toString(16).padStart(6, '0')} {entry.sizeBytes} B{' '}
                {entry.key.length === 0 ? '?' : showBytes(entry.key)} — {entry.state}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
