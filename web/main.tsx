import { render } from 'preact';
import { useMemo, useRef, useState } from 'preact/hooks';
import { KvsError } from '../src/status.js';
import { checkImage, sectorLabel } from '../src/image/check.js';
import {
  DEFAULT_IMAGE_CONFIG,
  type ImageConfig,
  describeImageConfig,
  imageConfigToJson,
  parseImageConfig,
} from '../src/image/config.js';
import { detectImageConfig } from '../src/image/detect.js';
import { type ImageDiff, diffImages } from '../src/image/diff.js';
import {
  type ImageBytes,
  type RepairResult,
  openImageBytes,
  otherConfigHint,
  refuseDataLoss,
  repairDataLoss,
  repairImage,
} from '../src/image/open.js';
import { bytesToHex, hexInputToBytes } from '../src/bytes.js';
import { showBytes } from '../src/image/report.js';
import {
  type ImageScan,
  type ScannedEntry,
  type SectorReport,
  soleKind,
} from '../src/image/scan.js';
import { fitImage } from '../src/image/window.js';
import { utf8Encode } from '../src/utf8.js';
import { VALUE_VIEWS, type ValueView, hexDump, showValue } from './values.js';
import { ROW_HEIGHT_PX, useVirtualRows } from './virtual.js';
import './style.css';

// The inspector renders what the image layer (src/image) decodes; it never parses flash bytes.

interface Source {
  readonly name: string;
  /** The file's bytes as opened (the partition, fitted to the config). */
  readonly file: Uint8Array;
  readonly config: ImageConfig;
  /** Served by `flashkv inspect` (saves go back to it), or opened in the page (downloads). */
  readonly served?: Served;
}

/** What `flashkv inspect` gave the page: its secret and the version of the file loaded. */
interface Served {
  readonly secret: string;
  /** The file's ETag when these bytes were loaded: a save is refused if it is not that now. */
  readonly version: string;
}

interface Edit {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly isRepair: boolean;
}

const TABS = ['Map', 'Keys', 'Log', 'Check', 'Edit', 'Config', 'Diff'] as const;
type Tab = (typeof TABS)[number];

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fitted(bytes: Uint8Array, config: ImageConfig): Uint8Array {
  return fitImage(bytes, config.sectorSizeBytes * config.sectorCount).bytes;
}

/** The config of bytes opened in the page: detected, else the defaults sized to the file. */
function configFor(bytes: Uint8Array): ImageConfig {
  try {
    return detectImageConfig(bytes).config;
  } catch {
    const sectorCount = Math.max(2, Math.ceil(bytes.length / DEFAULT_IMAGE_CONFIG.sectorSizeBytes));
    return { ...DEFAULT_IMAGE_CONFIG, sectorCount };
  }
}

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

function SectorBar(props: {
  sector: SectorReport;
  sectorSizeBytes: number;
  marked: boolean;
  selected: boolean;
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
      <span class="index">{sector.index}</span>
      <span class="bar">
        {runsOf(sector).map((run) => (
          <span
            key={run.address}
            class={`span ${run.kind}`}
            style={{ width: `${(100 * run.sizeBytes) / sectorSizeBytes}%` }}
          />
        ))}
      </span>
    </button>
  );
}

function SectorMap(props: {
  scan: ImageScan;
  marked?: ReadonlySet<number>;
  selected?: number;
  onSelect?: (index: number) => void;
  label: string;
}) {
  return (
    <div class="map" role="group" aria-label={props.label}>
      {props.scan.sectors.map((sector) => (
        <SectorBar
          key={sector.index}
          sector={sector}
          sectorSizeBytes={props.scan.config.sectorSizeBytes}
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

function entryTitle(entry: ScannedEntry): string {
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

function MapView(props: { image: ImageBytes; marked: ReadonlySet<number> }) {
  const [selected, setSelected] = useState<number | undefined>(undefined);
  // The entry objects are made on first use: not for the map alone.
  const entries =
    selected === undefined
      ? []
      : props.image.scan.entries.filter((entry) => entry.sector === selected);
  return (
    <section>
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

function KeysView(props: { image: ImageBytes }) {
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
        ? (a: KeyRow, b: KeyRow) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)
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

// ---- Entry log and hex ----

function LogView(props: { image: ImageBytes }) {
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

// ---- Check and repair dry run ----

function CheckView(props: { image: ImageBytes; bytes: Uint8Array; config: ImageConfig }) {
  const verdict = useMemo(
    () => checkImage(props.image, otherConfigHint(props.bytes, props.config, props.image.scan)),
    [props.image],
  );
  const [dryRun, setDryRun] = useState<RepairResult | undefined>(undefined);
  const marked = new Set(
    verdict.problems.flatMap((problem) => (problem.sector === undefined ? [] : [problem.sector])),
  );
  const run = (heavy: boolean): void =>
    setDryRun(
      repairImage(openImageBytes(props.bytes, props.config, { surplusKeys: 'refuse' }), heavy),
    );
  return (
    <section>
      <p class={verdict.ok ? 'ok' : 'bad'} data-testid="verdict">
        {verdict.ok ? 'OK: no problems' : `${verdict.problems.length} problem(s)`}
      </p>
      <ul class="problems">
        {verdict.problems.map((problem, i) => (
          <li key={i} data-kind={problem.kind} data-sector={problem.sector ?? ''}>
            {problem.message}
          </li>
        ))}
      </ul>
      <SectorMap scan={props.image.scan} marked={marked} label="Problems on the map" />
      <div class="toolbar">
        <button type="button" onClick={() => run(false)}>
          Repair dry run
        </button>
        <button type="button" onClick={() => run(true)}>
          Heavy repair dry run
        </button>
      </div>
      {dryRun !== undefined && (
        <div class="before-after" data-testid="dry-run">
          <p>
            Would change sectors {dryRun.changedSectors.join(', ') || 'none'}; keeps{' '}
            {dryRun.effect.keysAfter} of {dryRun.effect.keysBefore} keys;{' '}
            {dryRun.after.problems.length} problem(s) after. Nothing is written.
          </p>
          {dryRun.effect.lostKeys.map((key) => (
            <p key={bytesToHex(key)}>lost: key {showBytes(key)}</p>
          ))}
          {dryRun.effect.olderValueKeys.map((key) => (
            <p key={bytesToHex(key)}>older value: key {showBytes(key)}</p>
          ))}
          <div class="columns">
            <SectorMap
              scan={props.image.scan}
              marked={new Set(dryRun.changedSectors)}
              label="Before repair"
            />
            <SectorMap
              scan={dryRun.after}
              marked={new Set(dryRun.changedSectors)}
              label="After repair"
            />
          </div>
        </div>
      )}
    </section>
  );
}

// ---- Edit ----

/** A labelled checkbox. */
function Checkbox(props: {
  label: string;
  checked: boolean;
  onChange: (checked: boolean) => void;
}) {
  return (
    <label>
      <input
        type="checkbox"
        checked={props.checked}
        onChange={(event) => props.onChange(event.currentTarget.checked)}
      />{' '}
      {props.label}
    </label>
  );
}

function EditView(props: {
  edits: readonly Edit[];
  onEdit: (label: string, isRepair: boolean, change: (image: ImageBytes) => string) => void;
  onUndo: () => void;
  onSave: () => void;
  onReload: () => void;
  served: boolean;
  status: string;
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [isHex, setIsHex] = useState(false);
  const [allowLoss, setAllowLoss] = useState(false);
  // A repair that loses keys is refused, as `flashkv repair` refuses it without --force.
  const repair =
    (heavy: boolean) =>
    (image: ImageBytes): string => {
      const result = repairImage(image, heavy);
      const loss = repairDataLoss(image.config, result.effect);
      if (loss !== undefined && result.changedSectors.length > 0 && !allowLoss) {
        throw new KvsError(
          'FAILED_PRECONDITION',
          `refusing to ${heavy ? 'heavy repair' : 'repair'}: ${loss}; tick "allow losing keys" to repair anyway`,
        );
      }
      return result.status;
    };
  return (
    <section>
      <div class="toolbar">
        <input
          aria-label="Key"
          placeholder="key"
          value={key}
          onInput={(event) => setKey(event.currentTarget.value)}
        />
        <input
          aria-label="Value"
          placeholder="value"
          value={value}
          onInput={(event) => setValue(event.currentTarget.value)}
        />
        <Checkbox label="hex" checked={isHex} onChange={setIsHex} />
        <button
          type="button"
          onClick={() =>
            props.onEdit(`put ${key}`, false, (image) =>
              image.store.putStatus(
                key,
                isHex ? hexInputToBytes('value', value) : utf8Encode(value),
              ),
            )
          }
        >
          Put
        </button>
        <button
          type="button"
          onClick={() =>
            props.onEdit(`delete ${key}`, false, (image) => image.store.deleteStatus(key))
          }
        >
          Delete
        </button>
        <button type="button" onClick={() => props.onEdit('repair', true, repair(false))}>
          Repair
        </button>
        <button type="button" onClick={() => props.onEdit('heavy repair', true, repair(true))}>
          Heavy repair
        </button>
        <Checkbox label="allow losing keys" checked={allowLoss} onChange={setAllowLoss} />
      </div>
      <div class="toolbar">
        <button type="button" disabled={props.edits.length === 0} onClick={props.onUndo}>
          Undo
        </button>
        <button type="button" disabled={props.edits.length === 0} onClick={props.onSave}>
          {props.served ? 'Save' : 'Download image'}
        </button>
        {props.served && (
          <button type="button" onClick={props.onReload}>
            Reload
          </button>
        )}
        <span>
          {props.edits.length === 0
            ? 'no unsaved edits'
            : `unsaved: ${props.edits.map((edit) => edit.label).join(', ')}`}
        </span>
      </div>
      <p role="status" data-testid="edit-status">
        {props.status}
      </p>
    </section>
  );
}

// ---- Config ----

function ConfigView(props: {
  bytes: Uint8Array;
  config: ImageConfig;
  onConfig: (config: ImageConfig) => void;
}) {
  const [text, setText] = useState(JSON.stringify(imageConfigToJson(props.config), null, 2));
  const [error, setError] = useState('');
  const detected = useMemo(() => {
    try {
      return detectImageConfig(props.bytes);
    } catch (failure) {
      return message(failure);
    }
  }, [props.bytes]);
  return (
    <section>
      <p>In use: {describeImageConfig(props.config)}</p>
      {typeof detected === 'string' ? (
        <p>detection: {detected}</p>
      ) : (
        <div data-testid="detected">
          <p>
            Detected: {describeImageConfig(detected.config)} — confidence: {detected.entriesFound}{' '}
            entries pass their checksum, {detected.inconsistentSectors} sectors disagree
            {detected.otherSectorSizes.length > 0
              ? `, also fits ${detected.otherSectorSizes.join(', ')} B sectors`
              : ''}
          </p>
          <ul>
            {detected.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
          <button
            type="button"
            onClick={() => setText(JSON.stringify(imageConfigToJson(detected.config), null, 2))}
          >
            Use detected
          </button>
        </div>
      )}
      <textarea
        aria-label="Config JSON"
        rows={12}
        cols={60}
        value={text}
        onInput={(event) => setText(event.currentTarget.value)}
      />
      <div class="toolbar">
        <button
          type="button"
          onClick={() => {
            try {
              props.onConfig(parseImageConfig(JSON.parse(text), 'config'));
              setError('');
            } catch (failure) {
              setError(message(failure));
            }
          }}
        >
          Apply config
        </button>
        <span role="alert">{error}</span>
      </div>
    </section>
  );
}

// ---- Diff ----

function DiffView(props: { image: ImageBytes; config: ImageConfig }) {
  const [other, setOther] = useState<{ name: string; image: ImageBytes } | undefined>(undefined);
  const [error, setError] = useState('');
  const diff: ImageDiff | undefined = useMemo(
    () => (other === undefined ? undefined : diffImages(props.image, other.image)),
    [props.image, other],
  );
  const open = async (file: File): Promise<void> => {
    try {
      const bytes = fitted(new Uint8Array(await file.arrayBuffer()), props.config);
      setOther({ name: file.name, image: openImageBytes(bytes, props.config) });
      setError('');
    } catch (failure) {
      setError(message(failure));
    }
  };
  return (
    <section>
      <label>
        Second image{' '}
        <input
          type="file"
          aria-label="Second image"
          onChange={(event) => {
            const file = event.currentTarget.files?.[0];
            if (file !== undefined) void open(file);
          }}
        />
      </label>
      <span role="alert">{error}</span>
      {diff !== undefined && other !== undefined && (
        <div data-testid="diff">
          <p>
            against {other.name}: {diff.added.length} added, {diff.removed.length} removed,{' '}
            {diff.changed.length} changed, {diff.unchangedKeys} the same; sectors changed:{' '}
            {diff.changedSectors.join(', ') || 'none'}
          </p>
          <ul class="diff">
            {diff.added.map((item) => (
              <li key={`+${bytesToHex(item.key)}`} class="added" data-key={showBytes(item.key)}>
                + {showBytes(item.key)}
              </li>
            ))}
            {diff.removed.map((item) => (
              <li key={`-${bytesToHex(item.key)}`} class="removed" data-key={showBytes(item.key)}>
                − {showBytes(item.key)}
              </li>
            ))}
            {diff.changed.map((item) => (
              <li key={`~${bytesToHex(item.key)}`} class="changed" data-key={showBytes(item.key)}>
                ~ {showBytes(item.key)}:{' '}
                {item.before === undefined ? '?' : showValue(item.before, 'text')} →{' '}
                {item.after === undefined ? '?' : showValue(item.after, 'text')}
              </li>
            ))}
          </ul>
          <div class="columns">
            <SectorMap
              scan={props.image.scan}
              marked={new Set(diff.changedSectors)}
              label="This image"
            />
            <SectorMap
              scan={other.image.scan}
              marked={new Set(diff.changedSectors)}
              label="Second image"
            />
          </div>
        </div>
      )}
    </section>
  );
}

// ---- The page ----

/** Entries of a scan, from its counts (the entry objects are made only for the log). */
function entryCount(scan: ImageScan): number {
  const { live, tombstone, stale, corrupt } = scan.entryCounts;
  return live + tombstone + stale + corrupt;
}

function Inspector(props: { source: Source }) {
  const [source, setSource] = useState(props.source);
  const [edits, setEdits] = useState<readonly Edit[]>([]);
  const [tab, setTab] = useState<Tab>('Map');
  const [status, setStatus] = useState('');
  const bytes = edits.length === 0 ? source.file : edits[edits.length - 1]!.bytes;
  const image = useMemo(
    () => openImageBytes(bytes, source.config, { surplusKeys: 'refuse' }),
    [bytes, source.config],
  );
  const problemSectors = useMemo(
    () =>
      new Set(
        image.scan.problems.flatMap((problem) =>
          problem.sector === undefined ? [] : [problem.sector],
        ),
      ),
    [image],
  );
  const edit = (label: string, isRepair: boolean, change: (image: ImageBytes) => string): void => {
    try {
      // The refusals of the command line: nothing that would make pw_kvs drop entries.
      const refusal = refuseDataLoss(bytes, source.config, image.scan, { isRepair });
      if (refusal !== undefined)
        throw new KvsError('FAILED_PRECONDITION', `refusing to ${label}: ${refusal.why}`);
      const copy = openImageBytes(bytes, source.config, { surplusKeys: 'refuse' });
      const result = change(copy);
      if (result !== 'OK')
        throw new KvsError(
          'FAILED_PRECONDITION',
          `${label}: pw_kvs status ${result}; nothing changed`,
        );
      setEdits([...edits, { label, bytes: copy.flash.bytes.slice(), isRepair }]);
      setStatus(`${label}: done (unsaved)`);
    } catch (error) {
      setStatus(message(error));
    }
  };
  const reload = async (): Promise<void> => {
    if (source.served === undefined) return;
    try {
      const now = await fetchImage(source.served.secret);
      setSource({ ...source, file: now.file, served: now.served });
      setEdits([]);
      setStatus(
        `reloaded ${source.name} from disk${edits.length > 0 ? '; unsaved edits dropped' : ''}`,
      );
    } catch (error) {
      setStatus(`not reloaded: ${message(error)}`);
    }
  };
  const save = async (): Promise<void> => {
    if (source.served === undefined) {
      const url = URL.createObjectURL(
        new Blob([bytes.slice()], { type: 'application/octet-stream' }),
      );
      const link = document.createElement('a');
      link.href = url;
      link.download = source.name;
      link.click();
      URL.revokeObjectURL(url);
      setStatus(`downloaded ${source.name}`);
      return;
    }
    const { secret, version } = source.served;
    const response = await fetch('/api/image', {
      method: 'POST',
      body: bytes.slice(),
      headers: {
        [SECRET_HEADER]: secret,
        'content-type': 'application/octet-stream',
        'if-match': version,
        'x-flashkv-repair': edits.some((entry) => entry.isRepair) ? '1' : '0',
      },
    });
    const reply = (await response.json().catch(() => ({}))) as { saved?: boolean; error?: string };
    const saved = response.headers.get('etag');
    if (response.ok && reply.saved === true && saved !== null) {
      setSource({ ...source, file: bytes, served: { secret, version: saved } });
      setEdits([]);
      setStatus(`saved ${source.name}`);
    } else {
      setStatus(
        `not saved: ${reply.error ?? response.statusText}${response.status === 409 ? ' — Reload gets the file as it is now' : ''}`,
      );
    }
  };
  return (
    <main>
      <header>
        <h1>flashkv inspector</h1>
        <span data-testid="summary">
          {source.name}: {describeImageConfig(source.config)}; {image.scan.liveKeys} keys,{' '}
          {entryCount(image.scan)} entries, {image.scan.problems.length} problems
          {edits.length > 0 ? ' (unsaved edits)' : ''}
        </span>
      </header>
      <nav role="tablist">
        {TABS.map((name) => (
          <button
            key={name}
            type="button"
            role="tab"
            aria-selected={tab === name}
            onClick={() => setTab(name)}
          >
            {name}
          </button>
        ))}
      </nav>
      {tab === 'Map' && <MapView image={image} marked={problemSectors} />}
      {tab === 'Keys' && <KeysView image={image} />}
      {tab === 'Log' && <LogView image={image} />}
      {tab === 'Check' && <CheckView image={image} bytes={bytes} config={source.config} />}
      {tab === 'Edit' && (
        <EditView
          edits={edits}
          onEdit={edit}
          onUndo={() => setEdits(edits.slice(0, -1))}
          onSave={() => void save()}
          onReload={() => void reload()}
          served={source.served !== undefined}
          status={status}
        />
      )}
      {tab === 'Config' && (
        <ConfigView
          bytes={source.file}
          config={source.config}
          onConfig={(config) => {
            setEdits([]);
            setSource({ ...source, config, file: fitted(source.file, config) });
          }}
        />
      )}
      {tab === 'Diff' && <DiffView image={image} config={source.config} />}
    </main>
  );
}

/** Without `flashkv inspect` behind the page: open an image by drag-and-drop or file picker. */
function Opener(props: { onOpen: (source: Source) => void }) {
  const [error, setError] = useState('');
  const open = async (file: File): Promise<void> => {
    try {
      const raw = new Uint8Array(await file.arrayBuffer());
      const config = configFor(raw);
      props.onOpen({ name: file.name, file: fitted(raw, config), config });
    } catch (failure) {
      setError(message(failure));
    }
  };
  return (
    <main
      class="drop"
      onDragOver={(event) => event.preventDefault()}
      onDrop={(event) => {
        event.preventDefault();
        const file = event.dataTransfer?.files[0];
        if (file !== undefined) void open(file);
      }}
    >
      <h1>flashkv inspector</h1>
      <p>Drop a pw_kvs image here, or pick one. Nothing leaves this page.</p>
      <input
        type="file"
        aria-label="Open image"
        onChange={(event) => {
          const file = event.currentTarget.files?.[0];
          if (file !== undefined) void open(file);
        }}
      />
      <p role="alert">{error}</p>
    </main>
  );
}

function App(props: { served?: Source }) {
  const [source, setSource] = useState<Source | undefined>(props.served);
  return source === undefined ? <Opener onOpen={setSource} /> : <Inspector source={source} />;
}

/** The header `flashkv inspect` wants its secret in (src/cli/_inspect-server.ts). */
const SECRET_HEADER = 'x-flashkv-secret';

/** The image as the file holds it now, and its version. */
async function fetchImage(secret: string): Promise<{ file: Uint8Array; served: Served }> {
  const response = await fetch('/api/image', { headers: { [SECRET_HEADER]: secret } });
  const version = response.headers.get('etag');
  if (!response.ok || version === null) throw new Error(`GET /api/image: ${response.status}`);
  return { file: new Uint8Array(await response.arrayBuffer()), served: { secret, version } };
}

async function served(): Promise<Source | undefined> {
  // `flashkv inspect` opens the page with its secret in the fragment; a static copy has none.
  const secret = new URLSearchParams(location.hash.slice(1)).get('secret');
  if (secret === null) return undefined;
  const response = await fetch('/api/meta', { headers: { [SECRET_HEADER]: secret } });
  if (!response.ok) throw new Error(`GET /api/meta: ${response.status}`);
  const meta = (await response.json()) as { name: string; config: unknown };
  const config = parseImageConfig(meta.config, 'the served config');
  return { name: meta.name, config, ...(await fetchImage(secret)) };
}

const root = document.getElementById('app')!;

async function start(): Promise<void> {
  let source: Source | undefined;
  try {
    source = await served();
  } catch (error) {
    render(<p role="alert">flashkv inspect did not hand out the image: {message(error)}</p>, root);
    return;
  }
  const started = performance.now();
  render(source === undefined ? <App /> : <App served={source} />, root);
  // For `npm run bench`: parse + first render of the opened image, in milliseconds.
  requestAnimationFrame(() => {
    root.dataset.openMs = String(performance.now() - started);
    root.dataset.ready = 'true';
  });
}

void start();
