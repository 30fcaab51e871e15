import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import { basename, extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineCommand } from 'citty';
import { imageConfigToJson } from '../../image/config.js';
import { KvsError } from '../../status.js';
import { CliError, cliFail } from '../_errors.js';
import { CONFIG_ARGS, FORCE_ARG, changeImage, openImage } from '../_image.js';
import { flush, print } from '../_io.js';

/** The built page: dist/web beside dist/cli (from the build), or the project's (from sources). */
function webRoot(): string {
  const candidates = ['../../web', '../../../dist/web'].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );
  const found = candidates.find((path) => existsSync(join(path, 'index.html')));
  if (found === undefined) cliFail('the inspector page is not built: run npm run build:web');
  return found;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

function send(response: ServerResponse, status: number, type: string, body: string | Uint8Array) {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    // The page talks to this server only: no request leaves 127.0.0.1.
    'content-security-policy':
      "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:",
  });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json', JSON.stringify(body));
}

async function bodyOf(request: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes)
      throw new KvsError('INVALID_ARGUMENT', 'the upload is larger than the image');
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}

export default defineCommand({
  meta: {
    name: 'inspect',
    description: [
      'Open an image in the web inspector, served on 127.0.0.1 only.',
      '  Sector map, keys, entry log and hex, check and repair dry run, edits, config and diff. Saving an',
      '  edit writes the file as put does: locked, atomically, refused when the file changed since it was',
      '  opened (or when pw_kvs would drop entries, unless --force). Stops on Ctrl-C.',
      '  Examples:',
      '    flashkv inspect field-dump.bin',
      '    flashkv inspect factory.img --port 8080 --no-open',
    ].join('\n'),
  },
  args: {
    image: { type: 'positional', description: 'Image file', required: true },
    port: { type: 'string', description: 'Port on 127.0.0.1 (default 0: any free port)' },
    open: { type: 'boolean', default: true, description: 'Open a browser (--no-open: do not)' },
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
    // What the page was given: a save is refused when the file no longer holds these bytes.
    let servedFile = opened.file;
    let partition = opened.original;
    const meta = {
      name: basename(args.image),
      config: imageConfigToJson(opened.config),
      detected: opened.resolved.detected !== undefined,
      read_only: opened.truncatedBytes > 0,
      warnings: [...opened.warnings],
    };

    const save = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      const body = await bodyOf(request, partition.length);
      if (body.length !== partition.length) {
        sendJson(response, 400, { error: `expected ${partition.length} B, got ${body.length} B` });
        return;
      }
      const isRepair = request.headers['x-flashkv-repair'] === '1';
      await changeImage(
        args.image,
        args,
        { isRepair, force: args.force === true, quiet: true },
        (image) => {
          if (!sameBytes(image.file, servedFile)) {
            throw new KvsError(
              'ABORTED',
              `${args.image} changed on disk since the inspector opened it; nothing written (reload to see it)`,
            );
          }
          const whole = new Uint8Array(image.file);
          whole.set(body, image.window.offset);
          image.locked!.write(whole);
          servedFile = whole;
          partition = body;
        },
      );
      sendJson(response, 200, { saved: true });
    };

    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const handle = async (): Promise<void> => {
        if (url.pathname === '/api/meta' && request.method === 'GET') {
          sendJson(response, 200, meta);
        } else if (url.pathname === '/api/image' && request.method === 'GET') {
          send(response, 200, 'application/octet-stream', partition);
        } else if (url.pathname === '/api/image' && request.method === 'POST') {
          await save(request, response);
        } else if (request.method === 'GET') {
          const path = normalize(join(root, url.pathname === '/' ? 'index.html' : url.pathname));
          if (!path.startsWith(root + sep) || !existsSync(path)) {
            send(response, 404, 'text/plain', 'not found');
            return;
          }
          let body: Uint8Array | string = readFileSync(path);
          if (extname(path) === '.html') {
            // Tells the page that this server holds the image (a static copy has no API).
            body = body
              .toString()
              .replace('<head>', '<head><meta name="flashkv-inspect" content="served" />');
          }
          send(response, 200, TYPES[extname(path)] ?? 'application/octet-stream', body);
        } else {
          send(response, 405, 'text/plain', 'method not allowed');
        }
      };
      handle().catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        const status = error instanceof CliError || KvsError.is(error) ? 409 : 500;
        sendJson(response, status, { error: message });
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(new CliError(`cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}`)),
      );
      server.listen(port, '127.0.0.1', resolve);
    });
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : port}/`;
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
