import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as playwright from 'playwright-core';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageConfigToJson } from '../../src/image/config.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../src/bench/inspector-bench.js';
import { flashkv } from '../cli/_cli.js';
import { loadCase } from '../helpers/vectors.js';
import { caseConfig } from '../image/_images.js';
import { type Inspector, launchBrowser, openPage, startInspector } from './_inspector.js';

// The inspector left open beside other sites, in Chromium: a page from another origin tries to
// read and overwrite the image; two tabs save the same version; a malformed request comes in.

let browser: BrowserContext;
/** A browser where evil.example resolves to 127.0.0.1: a DNS-rebinding page's view. */
let rebound: BrowserContext;
let attacker: Server;
let attackerPort: number;
let dir: string;
const inspectors: Inspector[] = [];

/** What the attack page does, against the inspector at `targets` (origins with a slash). */
function attackPage(targets: readonly string[], sizeBytes: number): string {
  const script = `
    const targets = ${JSON.stringify(targets)};
    const size = ${sizeBytes};
    const results = {};
    const attempt = async (name, run) => {
      try { results[name] = await run(); } catch (error) { results[name] = 'refused: ' + error.name; }
    };
    const read = async (response) =>
      ({ type: response.type, status: response.status, bytes: (await response.arrayBuffer()).byteLength });
    const element = (tag, url) => new Promise((resolve) => {
      const node = document.createElement(tag);
      node.onload = () => resolve('loaded');
      node.onerror = () => resolve('error');
      node.src = url;
      document.body.append(node);
    });
    window.addEventListener('error', (event) => { results['script error ' + event.filename] = event.message; });
    (async () => {
      for (const target of targets) {
        const image = target + 'api/image';
        await attempt('no-cors text/plain POST ' + target, async () => read(await fetch(image,
          { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: 'x'.repeat(size) })));
        await attempt('no-cors octet-stream POST ' + target, async () => read(await fetch(image,
          { method: 'POST', mode: 'no-cors', body: new Blob([new Uint8Array(size)]) })));
        await attempt('POST with a guessed secret ' + target, async () => read(await fetch(image,
          { method: 'POST', headers: { 'x-flashkv-secret': 'guess', 'content-type': 'application/octet-stream',
            'if-match': '*' }, body: new Uint8Array(size) })));
        await attempt('GET image ' + target, async () => read(await fetch(image)));
        await attempt('GET meta ' + target, async () => read(await fetch(target + 'api/meta')));
        await attempt('GET page ' + target, async () => read(await fetch(target)));
        await attempt('no-cors GET image ' + target, async () => read(await fetch(image, { mode: 'no-cors' })));
        results['img ' + target] = await element('img', image);
        results['script image ' + target] = await element('script', image);
        results['script meta ' + target] = await element('script', target + 'api/meta');
        await attempt('form POST ' + target, () => new Promise((resolve) => {
          const frame = document.createElement('iframe');
          frame.name = 'sink' + targets.indexOf(target);
          document.body.append(frame);
          const form = document.createElement('form');
          form.method = 'POST';
          form.action = image;
          form.enctype = 'text/plain';
          form.target = frame.name;
          const field = document.createElement('input');
          field.name = 'x';
          field.value = 'y'.repeat(size);
          form.append(field);
          document.body.append(form);
          frame.onload = () => {
            try { resolve('read: ' + frame.contentDocument.body.textContent); }
            catch (error) { resolve('refused: ' + error.name); }
          };
          form.submit();
        }));
      }
      window.results = results;
      document.title = 'done';
    })();
  `;
  return `<!doctype html><html><head><title>attack</title></head><body><script>${script}</script></body></html>`;
}

let attackHtml = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flashkv-attack-'));
  browser = await launchBrowser();
  rebound = await playwright.chromium.launchPersistentContext(mkdtempSync(join(dir, 'profile-')), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, '--host-resolver-rules=MAP evil.example 127.0.0.1'],
  });
  attacker = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end(attackHtml);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  const address = attacker.address();
  attackerPort = typeof address === 'object' && address !== null ? address.port : 0;
  // Two Chromiums start here: more than the default 10 s on a loaded machine.
}, 60_000);

afterAll(async () => {
  await Promise.all(inspectors.map((inspector) => inspector.stop()));
  await browser?.close();
  await rebound?.close();
  await new Promise((resolve) => attacker?.close(resolve));
}, 60_000);

function referenceImage(name: string): string {
  const testCase = loadCase('basic-001');
  const path = join(dir, name);
  writeFileSync(path, testCase.imageOut);
  writeFileSync(`${path}.json`, JSON.stringify(imageConfigToJson(caseConfig(testCase))));
  return path;
}

async function inspect(path: string): Promise<Inspector> {
  const inspector = await startInspector([path]);
  inspectors.push(inspector);
  return inspector;
}

/** What a page on another origin learned, and every status the inspector answered it with. */
async function attack(
  context: BrowserContext,
  pageUrl: string,
  targets: readonly string[],
  inspectorPort: string,
  sizeBytes: number,
): Promise<{ results: Record<string, unknown>; requests: number; statuses: number[] }> {
  attackHtml = attackPage(targets, sizeBytes);
  const page = await context.newPage();
  const statuses: number[] = [];
  let requests = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).port === inspectorPort) requests += 1;
  });
  page.on('response', (response) => {
    if (new URL(response.url()).port === inspectorPort) statuses.push(response.status());
  });
  await page.goto(pageUrl);
  await page.waitForFunction("document.title === 'done'", undefined, { timeout: 30_000 });
  const results = (await page.evaluate('window.results')) as Record<string, unknown>;
  await page.close();
  return { results, requests, statuses };
}

describe('the inspector beside other sites, in Chromium', () => {
  it('a page on another port can neither overwrite nor read the image', async () => {
    const path = referenceImage('attacked.img');
    const before = readFileSync(path);
    const inspector = await inspect(path);
    const port = new URL(inspector.base).port;
    const targets = [inspector.base, `http://localhost:${port}/`];
    const { results, requests, statuses } = await attack(
      browser,
      `http://127.0.0.1:${attackerPort}/`,
      targets,
      port,
      before.length,
    );
    expect(readFileSync(path)).toEqual(before);
    // A no-cors reply is opaque (no status, no byte) or, with CORP, no reply at all.
    const nothing = [
      JSON.stringify({ type: 'opaque', status: 0, bytes: 0 }),
      '"refused: TypeError"',
    ];
    for (const target of targets) {
      // CORS reads and preflights fail.
      expect(nothing).toContain(JSON.stringify(results[`no-cors text/plain POST ${target}`]));
      expect(nothing).toContain(JSON.stringify(results[`no-cors octet-stream POST ${target}`]));
      expect(nothing).toContain(JSON.stringify(results[`no-cors GET image ${target}`]));
      expect(results[`POST with a guessed secret ${target}`]).toBe('refused: TypeError');
      expect(results[`GET image ${target}`]).toBe('refused: TypeError');
      expect(results[`GET meta ${target}`]).toBe('refused: TypeError');
      expect(results[`GET page ${target}`]).toBe('refused: TypeError');
      expect(results[`img ${target}`]).toBe('error');
      expect(results[`script image ${target}`]).toBe('error');
      expect(results[`script meta ${target}`]).toBe('error');
      expect(results[`form POST ${target}`]).toMatch(/^refused: /);
    }
    // Nothing ran from the inspector's replies as script.
    expect(Object.keys(results).filter((name) => name.startsWith('script error'))).toEqual([]);
    // The browser sent them all; every reply it let the page see a status of was a 403 (the
    // others it blocked by CORP or CORS before the page saw anything).
    expect(requests).toBeGreaterThanOrEqual(targets.length * 8);
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([403]));
    // The page itself still works.
    const { page, problems } = await openPage(browser, inspector.url);
    expect(await page.getByTestId('summary').textContent()).toContain('attacked.img');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('a rebound name (evil.example → 127.0.0.1) gets 403 everywhere, even with the secret', async () => {
    const path = referenceImage('rebound.img');
    const before = readFileSync(path);
    const inspector = await inspect(path);
    const port = new URL(inspector.base).port;
    const evil = `http://evil.example:${port}/`;
    const { results, statuses } = await attack(
      rebound,
      `http://evil.example:${attackerPort}/`,
      [inspector.base, evil],
      port,
      before.length,
    );
    expect(readFileSync(path)).toEqual(before);
    expect(results[`GET image ${evil}`]).toBe('refused: TypeError');
    expect(new Set(statuses)).toEqual(new Set([403]));
    // The page under the rebound name, secret and all, is refused: the Host is not served.
    const page = await rebound.newPage();
    const response = await page.goto(`${evil}#secret=${inspector.secret}`);
    expect(response?.status()).toBe(403);
    expect(await page.content()).not.toContain('"config"');
    expect(readFileSync(path)).toEqual(before);
  });

  it('two pages save the same version: the second gets 409, reloads and then saves', async () => {
    const path = referenceImage('two-tabs.img');
    const inspector = await inspect(path);
    const first = await openPage(browser, inspector.url);
    const second = await openPage(browser, inspector.url);
    const put = async (page: typeof first.page, key: string, value: string): Promise<void> => {
      await page.getByRole('tab', { name: 'Edit' }).click();
      await page.getByLabel('Key', { exact: true }).fill(key);
      await page.getByLabel('Value', { exact: true }).fill(value);
      await page.getByRole('button', { name: 'Put' }).click();
      await page.getByText(`put ${key}: done (unsaved)`).waitFor();
    };
    await put(first.page, 'tab/one', '1');
    await put(second.page, 'tab/two', '2');
    await first.page.getByRole('button', { name: 'Save' }).click();
    await first.page.getByText(/^saved /).waitFor();
    const afterFirst = readFileSync(path);
    await second.page.getByRole('button', { name: 'Save' }).click();
    await second.page.getByText(/^not saved: .*changed on disk/).waitFor();
    expect(readFileSync(path)).toEqual(afterFirst);
    // Reload: the page now holds the file with the first tab's key, and saving works.
    await second.page.getByRole('button', { name: 'Reload' }).click();
    await second.page.getByText(/^reloaded .*unsaved edits dropped/).waitFor();
    await put(second.page, 'tab/two', '2');
    await second.page.getByRole('button', { name: 'Save' }).click();
    await second.page.getByText(/^saved /).waitFor();
    expect((await flashkv(['get', path, 'tab/one'])).stdout.trim()).toBe('"1"');
    expect((await flashkv(['get', path, 'tab/two'])).stdout.trim()).toBe('"2"');
    expect(first.problems).toEqual([]);
    // The 409 is a failed request the page reports; it prints no error of its own.
    expect(second.problems.filter((problem) => !problem.includes('409'))).toEqual([]);
  });

  it('a malformed request on a raw socket leaves the server serving: the next save works', async () => {
    const path = referenceImage('malformed.img');
    const inspector = await inspect(path);
    const { page, problems } = await openPage(browser, inspector.url);
    const { port, host } = new URL(inspector.base);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      let got = '';
      socket.on('data', (chunk) => (got += chunk.toString('latin1')));
      socket.on('close', () => resolve(got));
      socket.end(`GET //[ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 4\d\d /);
    await page.getByRole('tab', { name: 'Edit' }).click();
    await page.getByLabel('Key', { exact: true }).fill('after/malformed');
    await page.getByLabel('Value', { exact: true }).fill('ok');
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^saved /).waitFor();
    expect((await flashkv(['get', path, 'after/malformed'])).stdout.trim()).toBe('"ok"');
    expect(problems).toEqual([]);
  });
});
