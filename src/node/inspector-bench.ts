import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Playwright from 'playwright-core';
import { type ImageConfig, imageConfigToJson } from '../image/config.js';
import { storeOn } from '../image/open.js';

/** Debian's chromium, which the inspector's browser tests and bench drive. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a headless Chromium that makes no request of its own. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The 16 MiB, 100 000-key geometry of the scale figures. */
export const SCALE_IMAGE_CONFIG: ImageConfig = {
  sectorSizeBytes: 4096,
  sectorCount: 4096,
  alignmentBytes: 16,
  formats: [{ magic: 0xd5ee9ac9, checksum: 'crc16' }],
  redundancy: 1,
  maxEntries: 100_000,
};

/**
 * Writes an image of `keys` keys (`key/000000`… holding their index as a u32) to `path`, with
 * its config beside it as `path.json`.
 */
export function writeScaleImage(path: string, keys = 100_000): void {
  const config = { ...SCALE_IMAGE_CONFIG, maxEntries: Math.max(keys, 1) };
  const { flash, store } = storeOn(config);
  store.init();
  const value = new Uint8Array(4);
  const view = new DataView(value.buffer);
  for (let i = 0; i < keys; i++) {
    view.setUint32(0, i, true);
    store.put(`key/${String(i).padStart(6, '0')}`, value);
  }
  writeFileSync(path, flash.bytes);
  writeFileSync(`${path}.json`, JSON.stringify(imageConfigToJson(config)));
}

/** What opening the 100 000-key image in the inspector took, in Chromium. */
export interface InspectorOpenBench {
  readonly keys: number;
  /** Parse (the image layer's open) + first render, as the page measures it, in ms. */
  readonly openMs: number;
  /** From navigation to the page being ready (fetching the image included), in ms. */
  readonly loadMs: number;
}

/**
 * Opens a 100 000-key image through `flashkv inspect` (the built CLI beside this file) in
 * headless Chromium and returns the page's open time; undefined (with the reason) when
 * Chromium or playwright-core is not installed.
 */
export async function benchInspectorOpen(): Promise<InspectorOpenBench | string> {
  if (!existsSync(CHROMIUM_PATH)) return `no ${CHROMIUM_PATH}`;
  let playwright: typeof Playwright;
  try {
    playwright = await import('playwright-core');
  } catch {
    return 'playwright-core is not installed';
  }
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  if (!existsSync(cli)) return 'run from the build (npm run bench)';
  const dir = mkdtempSync(join(tmpdir(), 'flashkv-inspector-bench-'));
  const image = join(dir, 'scale.img');
  writeScaleImage(image);
  let child: ChildProcess | undefined;
  const context = await playwright.chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    child = spawn(process.execPath, [cli, 'inspect', image, '--port', '0', '--no-open'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /http:\/\/127\.0\.0\.1:\d+\//.exec(out);
        if (match !== null) resolve(match[0]);
      });
      child!.once('exit', (code) => reject(new Error(`flashkv inspect exited with ${code}`)));
    });
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(url);
    await page.waitForSelector('#app[data-ready="true"]', { timeout: 120_000 });
    const loadMs = performance.now() - started;
    const openMs = Number(await page.getAttribute('#app', 'data-open-ms'));
    return { keys: 100_000, openMs, loadMs };
  } finally {
    await context.close();
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}
