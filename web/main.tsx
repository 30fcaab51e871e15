import { render } from 'preact';
import { useState } from 'preact/hooks';
import { Inspector } from './inspector.js';
import { type Source, message, openPickedFiles, served } from './source.js';
import './style.css';

// The inspector renders what the image layer (src/image) decodes; it never parses flash bytes.

/** Without `flashkv inspect` behind the page: open an image by drag-and-drop or file picker. */
function Opener(props: { onOpen: (source: Source) => void }) {
  const [error, setError] = useState('');
  const open = async (files: readonly File[]): Promise<void> => {
    try {
      const opened = await openPickedFiles(files);
      if (opened !== undefined) props.onOpen(opened.source);
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
        void open([...(event.dataTransfer?.files ?? [])]);
      }}
    >
      <h1>flashkv inspector</h1>
      <p>
        Drop a pw_kvs image here, or pick one (with its IMAGE.json, to use its config). Nothing
        leaves this page.
      </p>
      <input
        type="file"
        multiple
        aria-label="Open image"
        onChange={(event) => void open([...(event.currentTarget.files ?? [])])}
      />
      <p role="alert">{error}</p>
    </main>
  );
}

function App(props: { served?: Source }) {
  const [source, setSource] = useState<Source | undefined>(props.served);
  return source === undefined ? <Opener onOpen={setSource} /> : <Inspector source={source} />;
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
