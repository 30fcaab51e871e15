import { useMemo, useState } from 'preact/hooks';
import {
  type ImageConfig,
  describeImageConfig,
  imageConfigToJson,
  parseImageConfig,
} from '../../src/image/config.js';
import { detectImageConfig } from '../../src/image/detect.js';
import { message } from '../source.js';

// ---- Config ----

export function ConfigView(props: {
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
