import { useState } from 'preact/hooks';
import { bytesToHex } from '../../src/bytes.js';
import { type ImageBytes, repairDataLoss, repairImage } from '../../src/image/open.js';
import {
  VALUE_ENCODINGS,
  type ValueEncoding,
  type ValueType,
  encodePutValue,
} from '../../src/image/value-types.js';
import { KvsError } from '../../src/status.js';
import { utf8Encode } from '../../src/utf8.js';

/** One unsaved change: the bytes after it. */
export interface Edit {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly isRepair: boolean;
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

export function EditView(props: {
  edits: readonly Edit[];
  onEdit: (label: string, isRepair: boolean, change: (image: ImageBytes) => string) => void;
  onUndo: () => void;
  onSave: () => void;
  onReload: () => void;
  /** Saved value types by key (hex), from the config's value_types. */
  valueTypes: ReadonlyMap<string, ValueType>;
  served: boolean;
  status: string;
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  // 'saved': the key's saved value type (the config's value_types), else text; as flashkv put.
  const [encoding, setEncoding] = useState<ValueEncoding | 'saved'>('saved');
  const savedType = props.valueTypes.get(bytesToHex(utf8Encode(key)));
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
        <label>
          as{' '}
          <select
            aria-label="Value type"
            value={encoding}
            onChange={(event) => setEncoding(event.currentTarget.value as typeof encoding)}
          >
            <option value="saved">{savedType ?? 'text'} (saved type)</option>
            {VALUE_ENCODINGS.map((name) => (
              <option key={name} value={name}>
                {name === 'string' ? 'text' : name}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() =>
            props.onEdit(`put ${key}`, false, (image) => {
              const typed = encodePutValue(
                encoding === 'saved' ? { text: value } : { text: value, encoding },
                savedType,
                `key ${JSON.stringify(key)}`,
              );
              return image.store.putStatus(key, typed.value);
            })
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
