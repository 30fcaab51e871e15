import { useMemo, useState } from 'preact/hooks';
import { describeImageConfig } from '../src/image/config.js';
import type { ImageBytes } from '../src/image/open.js';
import { openImageFile } from '../src/image/open-file.js';
import type { ImageScan } from '../src/image/scan.js';
import { KvsError } from '../src/status.js';
import { SECRET_HEADER, type Source, fetchImage, fileProblemsOf, message } from './source.js';
import { CheckView } from './views/check.js';
import { ConfigView } from './views/config.js';
import { DiffView } from './views/diff.js';
import { type Edit, EditView } from './views/edit.js';
import { KeysView } from './views/keys.js';
import { LogView } from './views/log.js';
import { MapView } from './views/map.js';

// The app shell: one opened image, its unsaved edits, the tabs of the views.

const TABS = ['Map', 'Keys', 'Log', 'Check', 'Edit', 'Config', 'Diff'] as const;
type Tab = (typeof TABS)[number];

/** Entries of a scan, from its counts (the entry objects are made only for the log). */
function entryCount(scan: ImageScan): number {
  const { live, tombstone, stale, corrupt } = scan.entryCounts;
  return live + tombstone + stale + corrupt;
}

export function Inspector(props: { source: Source }) {
  const [source, setSource] = useState(props.source);
  const [edits, setEdits] = useState<readonly Edit[]>([]);
  const [tab, setTab] = useState<Tab>('Map');
  const [status, setStatus] = useState('');
  const bytes = edits.length === 0 ? source.file : edits[edits.length - 1]!.bytes;
  // Opened as flashkv opens a file (src/image/open-file.ts), under the page's config.
  const image = useMemo(
    () => openImageFile(bytes, { name: source.name, config: source.config }),
    [bytes, source.name, source.config],
  );
  // A truncated dump: its missing bytes read as erased, and it cannot be saved back.
  const fileProblems = useMemo(() => fileProblemsOf(source, source.config), [source]);
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
      // Opened for a change as the command line opens one: the same refusals.
      const copy = openImageFile(bytes, {
        name: source.name,
        config: source.config,
        purpose: isRepair ? 'repair' : 'change',
      });
      if (copy.refusal !== undefined)
        throw new KvsError('FAILED_PRECONDITION', `refusing to ${label}: ${copy.refusal.why}`);
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
          {entryCount(image.scan)} entries, {fileProblems.length + image.scan.problems.length}{' '}
          problems
          {fileProblems.length > 0
            ? ` (truncated: ${fileProblems[0]!.missingBytes} B missing, read-only)`
            : ''}
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
      {tab === 'Log' && <LogView image={image} bytes={bytes} saved={source.file} />}
      {tab === 'Check' && <CheckView image={image} fileProblems={fileProblems} />}
      {tab === 'Edit' && (
        <EditView
          edits={edits}
          onEdit={edit}
          valueTypes={source.valueTypes}
          onUndo={() => {
            setEdits(edits.slice(0, -1));
            setStatus(`undid ${edits[edits.length - 1]!.label}`);
          }}
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
            const refitted = openImageFile(source.file, { name: source.name, config });
            setSource({ ...source, config, file: refitted.original });
          }}
        />
      )}
      {tab === 'Diff' && (
        <DiffView
          image={image}
          {...(source.served === undefined ? {} : { secret: source.served.secret })}
        />
      )}
    </main>
  );
}
