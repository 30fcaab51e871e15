import { useMemo, useState } from 'preact/hooks';
import { bytesToHex } from '../../src/bytes.js';
import {
  type ImageConfig,
  describeImageConfig,
  imageConfigToJson,
  parseImageConfig,
} from '../../src/image/config.js';
import { type ImageDiff, diffImages } from '../../src/image/diff.js';
import type { ImageBytes } from '../../src/image/open.js';
import { openImageFile } from '../../src/image/open-file.js';
import { showBytes } from '../../src/image/report.js';
import { message, openPickedFiles } from '../source.js';
import { showValue } from '../values.js';
import { SectorMap } from './map.js';

// ---- Diff ----

interface Other {
  readonly name: string;
  readonly raw: Uint8Array;
  /** The second image's own config: its IMAGE.json when there is one, else detected. */
  readonly config: ImageConfig;
  readonly image: ImageBytes;
}

export function DiffView(props: { image: ImageBytes; secret?: string }) {
  const [other, setOther] = useState<Other | undefined>(undefined);
  const [configText, setConfigText] = useState('');
  const [error, setError] = useState('');
  const [configFrom, setConfigFrom] = useState('');
  const openWith = (name: string, raw: Uint8Array, config: ImageConfig): void => {
    setOther({ name, raw, config, image: openImageFile(raw, { name, config }) });
    setConfigText(JSON.stringify(imageConfigToJson(config)));
    setError('');
  };
  const diff: ImageDiff | undefined = useMemo(
    () => (other === undefined ? undefined : diffImages(props.image, other.image)),
    [props.image, other],
  );
  const open = async (files: readonly File[]): Promise<void> => {
    try {
      const opened = await openPickedFiles(files, props.secret);
      if (opened === undefined) return;
      openWith(opened.source.name, opened.raw, opened.source.config);
      setConfigFrom(opened.configFrom);
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
          multiple
          aria-label="Second image"
          onChange={(event) => void open([...(event.currentTarget.files ?? [])])}
        />
      </label>
      {other !== undefined && (
        <div class="toolbar" data-testid="diff-config">
          <span>
            its config ({configFrom}): {describeImageConfig(other.config)}
          </span>
          <input
            aria-label="Second image config"
            size={60}
            value={configText}
            onInput={(event) => setConfigText(event.currentTarget.value)}
          />
          <button
            type="button"
            onClick={() => {
              try {
                openWith(
                  other.name,
                  other.raw,
                  parseImageConfig(JSON.parse(configText), 'second config'),
                );
                setConfigFrom('edited');
              } catch (failure) {
                setError(message(failure));
              }
            }}
          >
            Apply its config
          </button>
        </div>
      )}
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
