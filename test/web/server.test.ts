import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageConfigToJson } from '../../src/image/config.js';
import { openImageBytes } from '../../src/image/open.js';
import { flashkv } from '../cli/_cli.js';
import { loadCase } from '../helpers/vectors.js';
import { caseConfig } from '../image/_images.js';
import { type Inspector, startInspector } from './_inspector.js';

// The inspector's server without a browser: who may ask it what, and what a save may do.
// (test/web/attack.test.ts tries the same from another origin in Chromium.)

const inspectors: Inspector[] = [];

afterAll(async () => {
  await Promise.all(inspectors.map((inspector) => inspector.stop()));
});

function image(name: string): string {
  const testCase = loadCase('basic-001');
  const path = join(mkdtempSync(join(tmpdir(), 'flashkv-serve-')), name);
  writeFileSync(path, testCase.imageOut);
  writeFileSync(`${path}.json`, JSON.stringify(imageConfigToJson(caseConfig(testCase))));
  return path;
}

async function serve(name: string): Promise<{ path: string; inspector: Inspector }> {
  const path = image(name);
  const inspector = await startInspector([path]);
  inspectors.push(inspector);
  return { path, inspector };
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request with exactly these headers (node:http lets Host and Origin be anything). */
function send(
  inspector: Inspector,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Uint8Array,
): Promise<Reply> {
  const { port } = new URL(inspector.base);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method, path, headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** The page's own headers: its host, its secret. */
function own(inspector: Inspector, extra: Record<string, string> = {}): Record<string, string> {
  return { host: new URL(inspector.base).host, 'x-flashkv-secret': inspector.secret, ...extra };
}

async function load(inspector: Inspector): Promise<{ bytes: Uint8Array; version: string }> {
  const reply = await send(inspector, 'GET', '/api/image', own(inspector));
  expect(reply.status).toBe(200);
  return { bytes: new Uint8Array(reply.body), version: String(reply.headers.etag) };
}

function save(inspector: Inspector, bytes: Uint8Array, version: string): Promise<Reply> {
  return send(
    inspector,
    'POST',
    '/api/image',
    own(inspector, {
      'content-type': 'application/octet-stream',
      'content-length': String(bytes.length),
      'if-match': version,
    }),
    bytes,
  );
}

/** Raw bytes on a fresh socket; resolves with all the server sent before closing (or 2 s). */
function raw(inspector: Inspector, text: string | Buffer, keepOpen = false): Promise<string> {
  const { port } = new URL(inspector.base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let got = '';
    const done = (): void => {
      socket.destroy();
      resolve(got);
    };
    socket.on('data', (chunk) => (got += chunk.toString('latin1')));
    socket.on('close', done);
    socket.on('error', done);
    socket.write(text, () => {
      if (!keepOpen) setTimeout(done, 2000);
    });
    if (keepOpen) setTimeout(done, 300);
  });
}

let edits = 0;

/** `bytes` with one more key put, as the page's Put would make them. */
function edited(bytes: Uint8Array): Uint8Array {
  const image = openImageBytes(bytes, caseConfig(loadCase('basic-001')));
  image.store.put(`edit/${edits++}`, 'v');
  return image.flash.bytes.slice();
}

describe('flashkv inspect serves', () => {
  it('on 127.0.0.1 only, the partition and its config, to the page with the secret', async () => {
    const { path, inspector } = await serve('a.img');
    expect(new URL(inspector.base).hostname).toBe('127.0.0.1');
    expect(inspector.url).toBe(`${inspector.base}#secret=${inspector.secret}`);
    const served = await load(inspector);
    expect(served.bytes).toEqual(new Uint8Array(readFileSync(path)));
    const hash = createHash('sha256').update(readFileSync(path)).digest('hex');
    expect(served.version).toBe(`"${hash}"`);
    const meta = await send(inspector, 'GET', '/api/meta', own(inspector));
    expect(JSON.parse(meta.body.toString()).config).toEqual(
      imageConfigToJson(caseConfig(loadCase('basic-001'))),
    );
    // The page itself needs no secret; it is what reads the secret from the fragment.
    const page = await send(inspector, 'GET', '/', { host: new URL(inspector.base).host });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(page.body.toString()).not.toContain(inspector.secret);
    const localhost = `localhost:${new URL(inspector.base).port}`;
    expect(
      (await send(inspector, 'GET', '/api/meta', own(inspector, { host: localhost }))).status,
    ).toBe(200);
    expect((await send(inspector, 'GET', '/../../etc/passwd', own(inspector))).status).toBe(404);
    expect((await send(inspector, 'GET', '/%2e%2e/%2e%2e/etc/passwd', own(inspector))).status).toBe(
      404,
    );
  });

  it('refuses with 403 a foreign Host, a foreign Origin, a cross-site fetch, a missing or wrong secret', async () => {
    const { path, inspector } = await serve('host.img');
    const before = readFileSync(path);
    const { bytes, version } = await load(inspector);
    const port = new URL(inspector.base).port;
    const attempts: Record<string, string>[] = [
      own(inspector, { host: 'evil.example' }),
      own(inspector, { host: `evil.example:${port}` }),
      own(inspector, { host: `127.0.0.1:${Number(port) + 1}` }),
      own(inspector, { host: '127.0.0.1' }),
      own(inspector, { origin: 'http://evil.example' }),
      own(inspector, { origin: `http://127.0.0.1:${Number(port) + 1}` }),
      own(inspector, { origin: 'null' }),
      own(inspector, { 'sec-fetch-site': 'same-site' }),
      own(inspector, { 'sec-fetch-site': 'cross-site' }),
      own(inspector, { 'x-flashkv-secret': 'wrong' }),
      own(inspector, { 'x-flashkv-secret': `${inspector.secret}x` }),
      { host: new URL(inspector.base).host },
    ];
    for (const headers of attempts) {
      for (const route of ['/api/image', '/api/meta']) {
        const got = await send(inspector, 'GET', route, headers);
        expect(got.status, `GET ${route} ${JSON.stringify(headers)}`).toBe(403);
        expect(got.body.toString()).not.toContain('"config"');
      }
      const post = await send(
        inspector,
        'POST',
        '/api/image',
        {
          ...headers,
          'content-type': 'application/octet-stream',
          'content-length': String(bytes.length),
          'if-match': version,
        },
        edited(bytes),
      );
      expect(post.status, `POST ${JSON.stringify(headers)}`).toBe(403);
    }
    // A foreign Host is refused on the page too (a rebound name cannot even load it).
    expect((await send(inspector, 'GET', '/', { host: 'evil.example' })).status).toBe(403);
    // A preflight is never granted.
    const preflight = await send(inspector, 'OPTIONS', '/api/image', {
      host: new URL(inspector.base).host,
      origin: 'http://evil.example',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'x-flashkv-secret',
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(readFileSync(path)).toEqual(before);
  });

  it('takes only octet-stream uploads of exactly the partition size, naming a version', async () => {
    const { path, inspector } = await serve('size.img');
    const before = readFileSync(path);
    const { bytes, version } = await load(inspector);
    const post = (headers: Record<string, string>, body: Uint8Array) =>
      send(inspector, 'POST', '/api/image', own(inspector, headers), body);
    const good = { 'content-type': 'application/octet-stream', 'if-match': version };
    expect((await post({ ...good, 'content-type': 'text/plain' }, edited(bytes))).status).toBe(415);
    expect(
      (await post({ ...good, 'content-type': 'multipart/form-data' }, edited(bytes))).status,
    ).toBe(415);
    const unversioned = { 'content-type': 'application/octet-stream' };
    expect((await post(unversioned, edited(bytes))).status).toBe(428);
    expect((await post(good, edited(bytes).subarray(1))).status).toBe(400);
    const longer = new Uint8Array(bytes.length + 1).fill(0xff);
    expect((await post(good, longer)).status).toBe(413);
    expect((await post({ ...good, 'if-match': '"0"' }, edited(bytes))).status).toBe(409);
    expect(readFileSync(path)).toEqual(before);
    // Chunked (no Content-Length) is refused too.
    const chunked = await raw(
      inspector,
      `POST /api/image HTTP/1.1\r\nHost: ${new URL(inspector.base).host}\r\n` +
        `x-flashkv-secret: ${inspector.secret}\r\ncontent-type: application/octet-stream\r\n` +
        `if-match: ${version}\r\ntransfer-encoding: chunked\r\n\r\n1\r\n0\r\n0\r\n\r\n`,
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 411 /);
    expect(readFileSync(path)).toEqual(before);
    // The right request saves, and says the file's new version.
    const after = edited(bytes);
    const saved = await save(inspector, after, version);
    expect(saved.status).toBe(200);
    expect(new Uint8Array(readFileSync(path))).toEqual(after);
    expect(saved.headers.etag).toBe(
      `"${createHash('sha256').update(readFileSync(path)).digest('hex')}"`,
    );
  });

  it('compares and swaps: a save of a version the file no longer is gets 409; reload gets the file and saves', async () => {
    const { path, inspector } = await serve('cas.img');
    const first = await load(inspector);
    const second = await load(inspector);
    expect(second.version).toBe(first.version);
    // Two pages edit the same version: the first save wins, the second is refused.
    const a = edited(first.bytes);
    expect((await save(inspector, a, first.version)).status).toBe(200);
    const b = edited(first.bytes);
    const refused = await save(inspector, b, second.version);
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body.toString()).error).toMatch(/changed on disk/);
    expect(new Uint8Array(readFileSync(path))).toEqual(a);
    // Reloading gets the current bytes; a save of those works.
    const reloaded = await load(inspector);
    expect(reloaded.bytes).toEqual(a);
    const c = edited(reloaded.bytes);
    expect((await save(inspector, c, reloaded.version)).status).toBe(200);
    expect(new Uint8Array(readFileSync(path))).toEqual(c);

    // Another process changes the file (flashkv put): the page's version is stale.
    const stale = await load(inspector);
    expect((await flashkv(['put', path, 'from/cli', 'x'])).status).toBe(0);
    const byCli = readFileSync(path);
    expect((await save(inspector, edited(stale.bytes), stale.version)).status).toBe(409);
    expect(readFileSync(path)).toEqual(byCli);
    const fresh = await load(inspector);
    expect(fresh.bytes).toEqual(new Uint8Array(byCli));
    expect((await save(inspector, fresh.bytes, fresh.version)).status).toBe(200);

    // An editor appends to the file: its version changes, so the save is refused.
    const now = await load(inspector);
    const appended = new Uint8Array(readFileSync(path).length + 16).fill(0xff);
    appended.set(readFileSync(path));
    writeFileSync(path, appended);
    expect((await save(inspector, now.bytes, now.version)).status).toBe(409);
    expect(new Uint8Array(readFileSync(path))).toEqual(appended);
  });

  it('never stops serving: malformed requests, bad methods, truncated bodies, slow clients get a 4xx or are dropped', async () => {
    const { path, inspector } = await serve('robust.img');
    const host = new URL(inspector.base).host;
    const { bytes, version } = await load(inspector);
    const before = readFileSync(path);
    const answers = [
      await raw(inspector, `GET //[ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      await raw(inspector, `GET * HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      await raw(
        inspector,
        `GET http://[::1 HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
      await raw(inspector, `GET /%ff%fe HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`),
      await raw(
        inspector,
        `BREW /api/image HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
      await raw(
        inspector,
        `DELETE /api/image HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      ),
      await raw(inspector, Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x0d, 0x0a])),
      await raw(inspector, `GET / HTTP/1.1\r\nHost: ${host}\r\nX: ${'a'.repeat(20000)}\r\n\r\n`),
      await raw(inspector, `GET / HTTP/1.1\r\nHost: ${host}\r\ncontent-length: -1\r\n\r\n`),
    ];
    for (const answer of answers) expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    // A body cut short: the client announces the partition's size, sends 10 B and goes.
    const head =
      `POST /api/image HTTP/1.1\r\nHost: ${host}\r\nx-flashkv-secret: ${inspector.secret}\r\n` +
      `content-type: application/octet-stream\r\nif-match: ${version}\r\n` +
      `content-length: ${bytes.length}\r\n\r\n`;
    await raw(inspector, `${head}0123456789`, true);
    // A slow client: headers begun, never finished; another holding half a body open.
    const slowHeaders = raw(inspector, `GET /api/meta HTTP/1.1\r\nHost: ${host}\r\n`, true);
    const slowBody = raw(inspector, `${head}${'x'.repeat(100)}`, true);
    // Meanwhile the page's save goes through.
    const after = edited(bytes);
    const saved = await save(inspector, after, version);
    expect(saved.status).toBe(200);
    await Promise.all([slowHeaders, slowBody]);
    expect(before).not.toEqual(readFileSync(path));
    expect(new Uint8Array(readFileSync(path))).toEqual(after);
    expect((await load(inspector)).bytes).toEqual(after);
  });
});
