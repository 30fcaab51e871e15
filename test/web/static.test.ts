import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, flashkv } from '../cli/_cli.js';
import { loadCase } from '../helpers/vectors.js';
import { launchBrowser, openPage } from './_inspector.js';

// dist/web on its own (any static server, no flashkv behind it): open by file picker, edit,
// download.

const WEB = join(ROOT, 'dist/web');
let server: Server;
let url: string;
let browser: BrowserContext;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = normalize(join(WEB, request.url === '/' ? 'index.html' : (request.url ?? '')));
    if (!path.startsWith(WEB) || !existsSync(path)) {
      response.writeHead(404).end();
      return;
    }
    const type =
      extname(path) === '.js'
        ? 'text/javascript'
        : extname(path) === '.css'
          ? 'text/css'
          : 'text/html';
    response.writeHead(200, { 'content-type': type }).end(readFileSync(path));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/`;
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('the static inspector page', () => {
  it('opens a picked image with a detected config and downloads the edited image', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-static-'));
    const image = join(dir, 'dump.bin');
    writeFileSync(image, loadCase('basic-001').imageOut);
    const ls = (await flashkv(['ls', image, '--detect', '--json'])) as { stdout: string };
    const keys = (JSON.parse(ls.stdout) as { keys: unknown[] }).keys.length;

    const { page, problems } = await openPage(browser, url);
    await page.getByLabel('Open image').setInputFiles(image);
    await page.getByTestId('summary').waitFor();
    expect(await page.getByTestId('summary').textContent()).toContain(`${keys} keys`);
    await page.getByRole('tab', { name: 'Edit' }).click();
    await page.getByLabel('Key', { exact: true }).fill('added');
    await page.getByLabel('Value', { exact: true }).fill('offline');
    await page.getByRole('button', { name: 'Put' }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download image' }).click();
    const saved = join(dir, 'edited.bin');
    await (await download).saveAs(saved);
    const get = await flashkv(['get', saved, 'added', '--detect']);
    expect(get.stdout.trim()).toBe('"offline"');
    expect(problems).toEqual([]);
  });
});
