import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import sirv from 'sirv';

// The inspector's HTTP server. It is a local attack surface: any page the user has open can make
// the browser send it requests, so every route checks who is asking before it does anything.
//
// - Host must be one of the exact addresses served (defeats DNS rebinding).
// - Every /api route needs the per-launch secret in the X-Flashkv-Secret header. The secret is
//   in the URL's fragment the CLI prints (never sent by the browser on its own, never a cookie);
//   a custom header makes a cross-origin request preflighted, and the server answers no
//   preflight, so another page can neither send it nor read a reply.
// - Origin, when sent, must be the page's own; Sec-Fetch-Site, when sent, same-origin or none.
// - A save is application/octet-stream of exactly the partition's size, and names the version
//   it edited (If-Match with the ETag it was served): a file that is not that version any more
//   is not overwritten (409).
// - No request can stop the server: every failure is a 4xx (or 500) reply, and slow clients
//   time out.

/** The header that carries the per-launch secret. */
export const SECRET_HEADER = 'x-flashkv-secret';

/** How long a client may take to send its headers, and its whole request, in ms. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 30_000;

/** What the server hands out: the partition the page edits and the file's version. */
export interface ServedImage {
  /** The partition's bytes (fitted to the config). */
  readonly partition: Uint8Array;
  /** The version of the whole file these bytes came from (see {@link versionOf}). */
  readonly version: string;
}

/** A save the server accepted the request for: the page's bytes and the version it edited. */
export interface SaveRequest {
  readonly partition: Uint8Array;
  readonly version: string;
  readonly isRepair: boolean;
}

/** Why a save did not happen, as the page is told. */
export class SaveRefused extends Error {
  constructor(
    readonly status: 400 | 409 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'SaveRefused';
  }
}

/** What the server needs from the image it serves. */
export interface InspectBackend {
  /** The page's metadata (name, config, warnings), as JSON. */
  readonly meta: () => unknown;
  /** The image as the file holds it now. */
  readonly read: () => ServedImage;
  /** The partition's size in bytes: what a save must upload. */
  readonly partitionBytes: () => number;
  /**
   * Writes `save.partition` if the file is still `save.version` (else throws
   * {@link SaveRefused} 409), returning the file's new version; throws SaveRefused 422 when the
   * save is refused for another reason (data loss, truncated image).
   */
  readonly save: (save: SaveRequest) => Promise<string>;
  /**
   * The config file (`NAME.json`, or NAME with `.json` for its extension) beside the served
   * image of another image `name` (a bare file name) the page opened, for the Diff view: its
   * file name and JSON, or undefined when there is none.
   */
  readonly configBeside: (name: string) => { name: string; config: unknown } | undefined;
}

/** A strong ETag for the whole file's bytes: their SHA-256. */
export function versionOf(file: Uint8Array): string {
  return `"${createHash('sha256').update(file).digest('hex')}"`;
}

/** A fresh per-launch secret: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  // The page talks to this server only: no request leaves 127.0.0.1.
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  // No other origin may embed a reply (an <img> or <script> of /api/image).
  'cross-origin-resource-policy': 'same-origin',
  'referrer-policy': 'no-referrer',
};

function reply(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const isBytes = body instanceof Uint8Array;
  response.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': isBytes ? 'application/octet-stream' : 'application/json',
    ...headers,
  });
  response.end(isBytes ? body : JSON.stringify(body));
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Reads a body of exactly `sizeBytes` (its Content-Length was checked to be that). */
async function bodyOf(request: IncomingMessage, sizeBytes: number): Promise<Uint8Array> {
  const body = new Uint8Array(sizeBytes);
  let at = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    if (at + chunk.length > sizeBytes) throw new SaveRefused(400, 'the upload is too long');
    body.set(chunk, at);
    at += chunk.length;
  }
  // A client that closes early ends the stream with an error (caught by the caller) or short.
  if (at !== sizeBytes) throw new SaveRefused(400, `the upload ended after ${at} B`);
  return body;
}

/** Options of {@link createInspectServer}. */
export interface InspectServerOptions {
  readonly backend: InspectBackend;
  /** The built page's folder. */
  readonly webRoot: string;
  readonly secret: string;
}

/**
 * The inspector's server, not yet listening. Call {@link InspectServer.listen}: the Host check
 * needs the port it listens on.
 */
export interface InspectServer {
  readonly server: Server;
  /** Listens on 127.0.0.1:`port` (0: any free port) and resolves with the port. */
  listen(port: number): Promise<number>;
}

/** Makes the inspector's server (see the notes at the top of this file). */
export function createInspectServer(options: InspectServerOptions): InspectServer {
  const { backend, secret } = options;
  let hosts = new Set<string>();
  const assets = sirv(options.webRoot, {
    dev: false,
    etag: false,
    dotfiles: false,
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    },
  });

  /** The reason to refuse a request before looking at its route, if any. */
  const refusal = (request: IncomingMessage, isApi: boolean): string | undefined => {
    const host = header(request, 'host');
    if (host === undefined || !hosts.has(host)) return `Host ${JSON.stringify(host)} is not served`;
    const origin = header(request, 'origin');
    if (origin !== undefined && origin !== `http://${host}`)
      return `Origin ${JSON.stringify(origin)} is not this page's`;
    if (!isApi) return undefined;
    const site = header(request, 'sec-fetch-site');
    if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request`;
    if (!sameSecret(header(request, SECRET_HEADER), secret)) return 'no or a wrong secret';
    return undefined;
  };

  const save = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (header(request, 'content-type') !== 'application/octet-stream') {
      reply(response, 415, { error: 'a save is application/octet-stream' });
      return;
    }
    const version = header(request, 'if-match');
    if (version === undefined) {
      reply(response, 428, { error: 'a save names the version it edited (If-Match)' });
      return;
    }
    const expected = backend.partitionBytes();
    const length = header(request, 'content-length');
    if (length === undefined || !/^\d+$/.test(length)) {
      reply(response, 411, { error: 'a save has a Content-Length' }, { connection: 'close' });
      return;
    }
    if (Number(length) !== expected) {
      // Not read: the connection closes after the reply rather than take the body in.
      reply(
        response,
        Number(length) > expected ? 413 : 400,
        { error: `expected ${expected} B, got ${length} B` },
        { connection: 'close' },
      );
      return;
    }
    const partition = await bodyOf(request, expected);
    const isRepair = header(request, 'x-flashkv-repair') === '1';
    const saved = await backend.save({ partition, version, isRepair });
    reply(response, 200, { saved: true }, { etag: saved });
  };

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    // request.url is the raw request target: anything may be in it (`//[`, `*`, a full URL).
    const target = request.url ?? '';
    const path = target.startsWith('/') ? target.split(/[?#]/, 1)[0]! : undefined;
    const isApi = path?.startsWith('/api/') ?? false;
    const why = refusal(request, isApi);
    if (why !== undefined) {
      reply(response, 403, { error: `refused: ${why}` }, { connection: 'close' });
      return;
    }
    if (path === undefined) {
      reply(response, 400, { error: 'bad request target' });
    } else if (path === '/api/meta' && request.method === 'GET') {
      reply(response, 200, backend.meta());
    } else if (path === '/api/image' && request.method === 'GET') {
      const image = backend.read();
      reply(response, 200, image.partition, { etag: image.version });
    } else if (path === '/api/image' && request.method === 'POST') {
      await save(request, response);
    } else if (path === '/api/config-beside' && request.method === 'GET') {
      const name = new URLSearchParams(target.slice(path.length).replace(/^\?/, '')).get('name');
      // A bare file name only: nothing outside the served image's folder is ever read.
      const found =
        name === null || !/^[^/\\]+$/.test(name) || name.startsWith('.')
          ? undefined
          : backend.configBeside(name);
      reply(response, 200, found === undefined ? { found: false } : { found: true, ...found });
    } else if (isApi) {
      reply(response, path === '/api/image' || path === '/api/meta' ? 405 : 404, {
        error: `${request.method ?? '?'} ${path}: no such route`,
      });
    } else if (request.method === 'GET' || request.method === 'HEAD') {
      assets(request, response, () => reply(response, 404, { error: 'not found' }));
    } else {
      reply(response, 405, { error: 'method not allowed' });
    }
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      const status = error instanceof SaveRefused ? error.status : 500;
      const message = error instanceof Error ? error.message : String(error);
      // A body that broke off has no one to answer; a reply is tried anyway.
      if (!response.destroyed) reply(response, status, { error: message }, { connection: 'close' });
    });
  });
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  // A request the HTTP parser rejects (malformed, oversized headers): 400, and the socket goes.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  return {
    server,
    listen: (port) =>
      new Promise<number>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          const address = server.address();
          const bound = typeof address === 'object' && address !== null ? address.port : port;
          hosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`]);
          resolve(bound);
        });
      }),
  };
}
