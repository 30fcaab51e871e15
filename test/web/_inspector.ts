import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { CLI, ROOT } from '../cli/_cli.js';

/** Debian's chromium (installed by .ci/run when missing); Playwright's download is not used. */
export const CHROMIUM = '/usr/bin/chromium';

/** Starts headless Chromium with a fresh profile and nothing that phones home. */
export async function launchBrowser(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'flashkv-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A running `flashkv inspect IMAGE --port 0 --no-open` and its address. */
export interface Inspector {
  readonly url: string;
  stop(): Promise<void>;
}

/** Spawns the built CLI's inspector on `args` and resolves once it prints its address. */
export function startInspector(args: readonly string[]): Promise<Inspector> {
  const child: ChildProcess = spawn(
    process.execPath,
    [CLI, 'inspect', ...args, '--port', '0', '--no-open'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(stdout);
      if (match === null) return;
      resolve({
        url: match[0],
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`inspect exited with ${code}: ${stderr}`)));
  });
}

/**
 * Opens `url` in a new page that records console errors, page errors and every request not
 * to 127.0.0.1 (there must be none), and waits for the page to be ready.
 */
export async function openPage(
  browser: BrowserContext,
  url: string,
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('console', (line) => {
    if (line.type() === 'error') problems.push(`console: ${line.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:') && !request.url().startsWith('blob:')) {
      problems.push(`request left 127.0.0.1: ${request.url()}`);
    }
  });
  await page.goto(url);
  await page.waitForSelector('#app[data-ready="true"]');
  return { page, problems };
}

/** Where the README's screenshots go. */
export const DOCS = join(ROOT, 'docs');
