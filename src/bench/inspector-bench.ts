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

/**
 * Headless Debian Chromium with its profile in `profileDir` (fresh: nothing carried over) and
 * the flags above; `playwright` is playwright-core, loaded by the caller.
 */
export function launchChromium(
  playwright: typeof Playwright,
  profileDir: string,
  viewport?: { width: number; height: number },
): Promise<Playwright.BrowserContext> {
  return playwright.chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    ...(viewport === undefined ? {} : { viewport }),
  });
}

/** A running `flashkv inspect … --port 0 --no-open` and its address. */
export interface Inspector {
  /** The page's URL as the CLI prints it, with the launch's secret in its fragment. */
  readonly url: string;
  /** The server's root, `http://127.0.0.1:PORT/`. */
  readonly base: string;
  /** The launch's secret (the X-Flashkv-Secret header of API requests). */
  readonly secret: string;
  /** Ends the server (SIGTERM) and resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Spawns `flashkv inspect` (the built CLI at `cliPath`) on `args` with a free port and resolves
 * once it prints its address; rejects, with what it printed to stderr, if it exits first.
 */
export function startInspector(
  cliPath: string,
  args: readonly string[],
  cwd?: string,
): Promise<Inspector> {
  const child: ChildProcess = spawn(
    process.execPath,
    [cliPath, 'inspect', ...args, '--port', '0', '--no-open'],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
  );
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /(http:\/\/127\.0\.0\.1:\d+\/)#secret=([\w-]+)(?= )/.exec(stdout);
      if (match === null) return;
      resolve({
        url: match[0],
        base: match[1]!,
        secret: match[2]!,
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

/** What opening the 100 000-key image in the inspector took, in Chromium, time and memory. */
export interface InspectorOpenBench {
  readonly keys: number;
  /** Parse (the image layer's open) + first render, as the page measures it, in ms. */
  readonly openMs: number;
  /** From navigation to the page being ready (fetching the image included), in ms. */
  readonly loadMs: number;
  /**
   * The page's JS heap once it is ready, after a forced collection: what it holds to show the
   * image (CDP `Runtime.getHeapUsage`: `usedSize` plus the array buffers' `backingStorageSize`,
   * what `performance.memory.usedJSHeapSize` counts), in bytes.
   */
  readonly heapBytes: number;
  /** The same before the collection: what opening left, garbage included, in bytes. */
  readonly heapBytesBeforeGc: number;
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
  const context = await launchChromium(playwright, join(dir, 'profile'));
  let inspector: Inspector | undefined;
  try {
    inspector = await startInspector(cli, [image]);
    const page = await context.newPage();
    const started = performance.now();
    await page.goto(inspector.url);
    await page.waitForSelector('#app[data-ready="true"]', { timeout: 120_000 });
    const loadMs = performance.now() - started;
    const openMs = Number(await page.getAttribute('#app', 'data-open-ms'));
    const cdp = await context.newCDPSession(page);
    // usedSize is the JS heap; array buffers (the image, the index's typed arrays) are counted
    // apart, in backingStorageSize.
    const heapOf = async (): Promise<number> => {
      const usage = (await cdp.send('Runtime.getHeapUsage')) as {
        usedSize: number;
        backingStorageSize?: number;
      };
      return usage.usedSize + (usage.backingStorageSize ?? 0);
    };
    const before = await heapOf();
    await cdp.send('HeapProfiler.collectGarbage');
    const after = await heapOf();
    return { keys: 100_000, openMs, loadMs, heapBytes: after, heapBytesBeforeGc: before };
  } finally {
    await context.close();
    await inspector?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
