import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand } from 'citty';
import { imageConfigToJson } from '../../image/config.js';
import { cliFail, isUserError } from '../_errors.js';
import {
  CONFIG_ARGS,
  FORCE_ARG,
  changeImage,
  configFileBeside,
  openImage,
  readImage,
} from '../_image.js';
import {
  type InspectBackend,
  SaveRefused,
  type ServedImage,
  createInspectServer,
  newSecret,
  versionOf,
} from '../_inspect-server.js';
import { flush, print, readJsonFile } from '../_io.js';

/** The built page: dist/web beside dist/cli (from the build), or the project's (from sources). */
function webRoot(): string {
  const candidates = ['../../web', '../../../dist/web'].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(join(path, 'index.html')));
  if (found === undefined) cliFail('the inspector page is not built: run npm run build:web');
  return found;
}

export default defineCommand({
  meta: {
    name: 'inspect',
    description: [
      'Open an image in the web inspector, served on 127.0.0.1 only, to the page at the URL it prints',
      '  (which holds a secret made for this launch). Sector map, keys, entry log and hex, check and',
      '  repair dry run, edits, config and diff. Saving an edit writes the file as put does: locked,',
      '  atomically, refused when the file changed since the page loaded it (reload to get it), or when',
      '  pw_kvs would drop entries, unless --force. Stops on Ctrl-C.',
      '  Examples:',
      '    flashkv inspect field-dump.bin',
      '    flashkv inspect factory.img --port 8080 --no-open',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    port: { type: 'string', description: 'Port on 127.0.0.1 (default 0: any free port)' },
    open: {
      type: 'boolean',
      default: true,
      description: 'Open a browser on the URL',
      negativeDescription: 'Only print the URL; open no browser',
    },
    ...CONFIG_ARGS,
    ...FORCE_ARG,
  },
  async run({ args }) {
    const port = args.port === undefined ? 0 : Number(args.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      cliFail(`--port: expected 0..65535, got ${JSON.stringify(args.port)}`);
    }
    const root = webRoot();
    const opened = openImage(args.image, args, { forWriting: false });
    const meta = {
      name: basename(args.image),
      config: imageConfigToJson(opened.config),
      detected: opened.resolved.detected !== undefined,
      read_only: opened.truncatedBytes > 0,
      // Bytes of the partition the file holds: fewer than the config's when it is truncated
      // (the page reports that, for this config and any other it is given).
      present_bytes: opened.original.length - opened.truncatedBytes,
      offset: opened.window.offset,
      warnings: [...opened.warnings],
      // Key (hex) → type: the page's Put defaults to a key's saved type, as put does.
      value_types: Object.fromEntries(opened.resolved.valueTypes ?? []),
    };
    // The last image handed out, kept while the file still has its version.
    let served: ServedImage = { partition: opened.original, version: versionOf(opened.file) };
    const backend: InspectBackend = {
      meta: () => meta,
      partitionBytes: () => served.partition.length,
      read: () => {
        const file = readImage(args.image);
        const version = versionOf(file);
        if (version !== served.version) {
          const now = openImage(args.image, args, { forWriting: false, quiet: true }, file);
          served = { partition: now.original, version };
        }
        return served;
      },
      save: async ({ partition, version, isRepair }) => {
        try {
          return await changeImage(
            args.image,
            args,
            { isRepair, force: args.force === true, quiet: true },
            (image) => {
              if (versionOf(image.file) !== version) {
                throw new SaveRefused(
                  409,
                  `${args.image} changed on disk since the page loaded it; nothing written (reload to see it)`,
                );
              }
              if (partition.length !== image.original.length) {
                throw new SaveRefused(422, `${args.image} is not the size it was; nothing written`);
              }
              const whole = new Uint8Array(image.file);
              whole.set(partition, image.window.offset);
              image.locked!.write(whole);
              served = { partition, version: versionOf(whole) };
              return served.version;
            },
          );
        } catch (error) {
          if (isUserError(error)) throw new SaveRefused(422, error.message);
          throw error;
        }
      },
      // Where `flashkv diff` would find a second image's config, were it in this folder.
      configBeside: (name) => {
        const file = configFileBeside(join(dirname(args.image), name));
        if (file === undefined) return undefined;
        try {
          return { name: basename(file), config: readJsonFile(file, 'config file') };
        } catch (error) {
          if (isUserError(error)) throw new SaveRefused(422, error.message);
          throw error;
        }
      },
    };
    const secret = newSecret();
    const inspector = createInspectServer({ backend, webRoot: root, secret });
    let bound: number;
    try {
      bound = await inspector.listen(port);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      cliFail(`cannot listen on 127.0.0.1:${port}: ${code ?? String(error)}`);
    }
    // The secret rides in the fragment: the browser never sends it on its own; the page does.
    const url = `http://127.0.0.1:${bound}/#secret=${secret}`;
    print(`flashkv inspect: ${url} (Ctrl-C to stop)`);
    flush();
    if (args.open !== false) {
      const opener =
        process.platform === 'darwin'
          ? 'open'
          : process.platform === 'win32'
            ? 'explorer'
            : 'xdg-open';
      spawn(opener, [url], { stdio: 'ignore', detached: true })
        .on('error', () => undefined)
        .unref();
    }
    // Serves until the process is stopped (Ctrl-C / SIGTERM).
    await new Promise<never>(() => undefined);
  },
});
