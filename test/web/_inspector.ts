import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as playwright from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import {
  type Inspector,
  launchChromium,
  startInspector as startInspectorOn,
} from '../../src/bench/inspector-bench.js';
import { CLI, ROOT } from '../cli/_cli.js';

/** Starts headless Chromium with a fresh profile and nothing that phones home. */
export function launchBrowser(): Promise<BrowserContext> {
  const profile = mkdtempSync(join(tmpdir(), 'flashkv-chromium-'));
  return launchChromium(playwright, profile, { width: 1200, height: 800 });
}

export type { Inspector };

/** Starts the built CLI's inspector on `args` (see {@link startInspectorOn}). */
export function startInspector(args: readonly string[]): Promise<Inspector> {
  return startInspectorOn(CLI, args, ROOT);
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

/** Where the screenshots of the README and docs/inspector.md go. */
export const DOCS = join(ROOT, 'docs');
