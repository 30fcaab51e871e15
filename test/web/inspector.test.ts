import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeImageConfig, imageConfigToJson } from '../../src/image/config.js';
import { detectImageConfig } from '../../src/image/detect.js';
import { openImageBytes } from '../../src/image/open.js';
import { encodeTyped } from '../../src/image/value-types.js';
import { writeScaleImage } from '../../src/bench/inspector-bench.js';
import { flashkv } from '../cli/_cli.js';
import { loadCase } from '../helpers/vectors.js';
import { caseConfig } from '../image/_images.js';
import { DOCS, type Inspector, launchBrowser, openPage, startInspector } from './_inspector.js';

// Real Chromium on real pw_kvs images (test/fixtures/vectors), through `flashkv inspect`.

let browser: BrowserContext;
let dir: string;
const inspectors: Inspector[] = [];

/** A reference image written by pw_kvs, with its config file beside it. */
function referenceImage(id: string, name: string): string {
  const testCase = loadCase(id);
  const path = join(dir, name);
  writeFileSync(path, testCase.imageOut);
  writeFileSync(`${path}.json`, JSON.stringify(imageConfigToJson(caseConfig(testCase))));
  return path;
}

/** A copy of an image (and its config) under another name. */
function copyImage(from: string, name: string): string {
  const path = join(dir, name);
  copyFileSync(from, path);
  copyFileSync(`${from}.json`, `${path}.json`);
  return path;
}

async function inspect(image: string): Promise<{ page: Page; problems: string[] }> {
  const inspector = await startInspector([image]);
  inspectors.push(inspector);
  return openPage(browser, inspector.url);
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  return JSON.parse((await flashkv([...args, '--json'])).stdout) as Record<string, unknown>;
}

async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name }).click();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flashkv-web-'));
  browser = await launchBrowser();
});

afterAll(async () => {
  await Promise.all(inspectors.map((inspector) => inspector.stop()));
  await browser?.close();
});

describe('flashkv inspect in Chromium', () => {
  it('shows the keys and values, a sector map that matches check --json, the log and config', async () => {
    const image = referenceImage('basic-001', 'basic.img');
    const { page, problems } = await inspect(image);
    const check = (await json(['check', image])) as {
      sectors: {
        index: number;
        live_bytes: number;
        stale_bytes: number;
        free_bytes: number;
        corrupt_bytes: number;
      }[];
    };
    const bars = await page.locator('.map .sector').evaluateAll((elements) =>
      elements.map((element) => {
        return ['sector', 'live', 'stale', 'free', 'corrupt'].map((name) =>
          Number(element.getAttribute(`data-${name}`)),
        );
      }),
    );
    expect(bars).toEqual(
      check.sectors.map((s) => [
        s.index,
        s.live_bytes,
        s.stale_bytes,
        s.free_bytes,
        s.corrupt_bytes,
      ]),
    );
    // The sector holding the most live bytes: its entries, by address, as dump lists them.
    const busiest = check.sectors.reduce((a, b) => (b.live_bytes > a.live_bytes ? b : a));
    const dump = (await json(['dump', image])) as {
      entries: { address: number; sector: number; state: string; transaction_id: number }[];
    };
    const inSector = dump.entries.filter((entry) => entry.sector === busiest.index);
    expect(inSector.length).toBeGreaterThan(0);
    await page.locator(`.map .sector[data-sector="${busiest.index}"]`).click();
    await page.waitForSelector('.sector-entries');
    const listed = await page
      .locator('.sector-entries .entry')
      .evaluateAll((items) => items.map((item) => item.getAttribute('title')!));
    expect(listed).toHaveLength(inSector.length);
    listed.forEach((title, i) => {
      expect(title).toContain(`address 0x${inSector[i]!.address.toString(16)} `);
      expect(title).toContain(`transaction id ${inSector[i]!.transaction_id}\n`);
      expect(title).toContain(`state ${inSector[i]!.state}`);
    });
    await page.screenshot({ path: join(DOCS, 'inspector-map.png') });

    const ls = (await json(['ls', image])) as {
      keys: { key: string; encoding: string; value: string }[];
    };
    await tab(page, 'Keys');
    await page.waitForSelector('[data-testid="key-count"]');
    expect(await page.getByTestId('key-count').textContent()).toContain(
      `${ls.keys.length} of ${ls.keys.length} keys`,
    );
    for (const key of ls.keys.slice(0, 10)) {
      const row = page.locator(
        `.scroller .row[data-key=${JSON.stringify(JSON.stringify(key.key))}]`,
      );
      await row.waitFor();
      const shown = key.encoding === 'string' ? JSON.stringify(key.value) : `hex:${key.value}`;
      expect(await row.locator('.value').textContent()).toBe(shown);
    }
    await page.screenshot({ path: join(DOCS, 'inspector-keys.png') });
    await tab(page, 'Log');
    await page.waitForSelector('.log .row');
    await page.screenshot({ path: join(DOCS, 'inspector-log.png') });
    await tab(page, 'Config');
    await page.waitForSelector('[data-testid="detected"]');
    await page.screenshot({ path: join(DOCS, 'inspector-config.png') });
    expect(problems).toEqual([]);
  });

  it('a damaged image shows its problem on the map; a repair dry run changes nothing', async () => {
    const clean = referenceImage('basic-001', 'clean.img');
    const damaged = copyImage(clean, 'damaged.img');
    const dump = (await json(['dump', clean])) as {
      entries: {
        address: number;
        key_hex: string;
        value_size_bytes: number | null;
        state: string;
      }[];
    };
    const live = dump.entries.find(
      (entry) => entry.state === 'live' && entry.value_size_bytes! > 0,
    )!;
    const bytes = readFileSync(damaged);
    const valueAt = live.address + 16 + live.key_hex.length / 2; // a live entry's first value byte
    bytes[valueAt] = bytes[valueAt]! ^ 0x01;
    writeFileSync(damaged, bytes);
    const check = (await json(['check', damaged])) as {
      problems: { kind: string; sector?: number }[];
    };
    const corrupt = check.problems.find((problem) => problem.kind === 'corrupt_data')!;
    expect(corrupt.sector).toBeDefined();

    const { page, problems } = await inspect(damaged);
    const bar = page.locator(`.map .sector[data-sector="${corrupt.sector}"]`);
    expect(await bar.getAttribute('class')).toContain('marked');
    expect(await bar.getAttribute('data-label')).toBe('CORRUPT');
    expect(await page.locator('.map .sector.marked').count()).toBe(
      new Set(
        check.problems.flatMap((problem) => (problem.sector === undefined ? [] : [problem.sector])),
      ).size,
    );

    await tab(page, 'Check');
    await page.getByRole('button', { name: 'Repair dry run', exact: true }).click();
    await page.waitForSelector('[data-testid="dry-run"]');
    const repair = (await json(['repair', damaged, '--dry-run'])) as { changed_sectors: number[] };
    expect(await page.getByTestId('dry-run').textContent()).toContain(
      `Would change sectors ${repair.changed_sectors.join(', ') || 'none'};`,
    );
    await page.screenshot({ path: join(DOCS, 'inspector-check.png'), fullPage: true });
    expect(readFileSync(damaged)).toEqual(bytes);
    expect(problems).toEqual([]);
  });

  it('refuses a repair that loses a key until allowed, then saves what repair --force writes', async () => {
    const lossy = referenceImage('basic-001', 'lossy.img');
    const dump = (await json(['dump', lossy])) as {
      entries: {
        address: number;
        key_hex: string;
        value_size_bytes: number | null;
        state: string;
      }[];
    };
    const copies = new Map<string, number>();
    for (const entry of dump.entries) {
      copies.set(entry.key_hex, (copies.get(entry.key_hex) ?? 0) + 1);
    }
    // A key with one entry only: with its value damaged, repair has no older value to keep.
    const only = dump.entries.find(
      (entry) =>
        entry.state === 'live' && entry.value_size_bytes! > 0 && copies.get(entry.key_hex) === 1,
    );
    expect(only).toBeDefined();
    const bytes = readFileSync(lossy);
    const valueAt = only!.address + 16 + only!.key_hex.length / 2;
    bytes[valueAt] = bytes[valueAt]! ^ 0x01;
    writeFileSync(lossy, bytes);
    const byCli = copyImage(lossy, 'lossy-cli.img');
    const forced = (await json(['repair', byCli, '--force', '--no-backup'])) as {
      lost_keys: { key_hex: string }[];
      saved: boolean;
    };
    expect(forced.saved).toBe(true);
    expect(forced.lost_keys.map((key) => key.key_hex)).toEqual([only!.key_hex]);

    const { page, problems } = await inspect(lossy);
    await tab(page, 'Edit');
    await page.getByRole('button', { name: 'Repair', exact: true }).click();
    await page.getByText(/^refusing to repair: the result keeps \d+ of the \d+ keys/).waitFor();
    await page.getByText('no unsaved edits').waitFor();
    expect(readFileSync(lossy)).toEqual(bytes);
    await page.getByLabel('allow losing keys').check();
    await page.getByRole('button', { name: 'Repair', exact: true }).click();
    await page.getByText('repair: done (unsaved)').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^saved /).waitFor();
    expect(readFileSync(lossy)).toEqual(readFileSync(byCli));
    expect(problems).toEqual([]);
  });

  it("diff reads the second image's IMAGE.json: beside the served image, or picked with it; else detects", async () => {
    const served = referenceImage('basic-001', 'diff-served.img');
    const second = referenceImage('basic-001', 'diff-second.img');
    // max_entries is in no byte of the image: only the config file can say 77.
    const config = { ...(JSON.parse(readFileSync(`${second}.json`, 'utf8')) as object) };
    writeFileSync(`${second}.json`, JSON.stringify({ ...config, max_entries: 77 }));
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    const picked = join(elsewhere, 'picked.img');
    copyFileSync(second, picked);
    writeFileSync(`${picked}.json`, JSON.stringify({ ...config, max_entries: 55 }));
    const bare = join(elsewhere, 'bare.img');
    copyFileSync(second, bare);

    const { page, problems } = await inspect(served);
    await tab(page, 'Diff');
    const input = page.locator('input[type="file"][aria-label="Second image"]');
    const from = async (): Promise<string> =>
      (await page.getByTestId('diff-config').textContent()) ?? '';
    const maxEntries = async (): Promise<unknown> =>
      (
        JSON.parse(await page.getByLabel('Second image config').inputValue()) as Record<
          string,
          unknown
        >
      ).max_entries;
    await input.setInputFiles(second);
    await expect.poll(from).toContain('its config (diff-second.img.json)');
    expect(await maxEntries()).toBe(77);
    await input.setInputFiles([picked, `${picked}.json`]);
    await expect.poll(from).toContain('its config (picked.img.json)');
    expect(await maxEntries()).toBe(55);
    await input.setInputFiles(bare);
    await expect.poll(from).toContain('its config (detected)');
    const detected = detectImageConfig(new Uint8Array(readFileSync(bare))).config;
    expect(await maxEntries()).toBe(detected.maxEntries);
    expect(problems).toEqual([]);
  });

  it('put + save changes the file exactly as flashkv put does; diff of two images', async () => {
    const original = referenceImage('basic-001', 'put.img');
    const byCli = copyImage(original, 'put-cli.img');
    expect((await flashkv(['put', byCli, 'web/new', 'hello'])).status).toBe(0);

    const { page, problems } = await inspect(original);
    await tab(page, 'Edit');
    await page.getByLabel('Key', { exact: true }).fill('web/new');
    await page.getByLabel('Value', { exact: true }).fill('hello');
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByText('put web/new: done (unsaved)').waitFor();
    await page.screenshot({ path: join(DOCS, 'inspector-edit.png') });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^saved /).waitFor();
    expect(readFileSync(original)).toEqual(readFileSync(byCli));

    const before = referenceImage('basic-001', 'before.img');
    const diff = (await json(['diff', before, original])) as {
      added: { key: string }[];
      removed: unknown[];
      changed: unknown[];
      changed_sectors: number[];
    };
    expect(diff.added.map((item) => item.key)).toEqual(['web/new']);
    await tab(page, 'Diff');
    await page.getByLabel('Second image').setInputFiles(before);
    await page.waitForSelector('[data-testid="diff"]');
    // The second image is read with its own config (its IMAGE.json, as flashkv diff reads
    // it), shown beside the diff.
    const own = caseConfig(loadCase('basic-001'));
    expect(await page.getByTestId('diff-config').textContent()).toContain(
      `its config (before.img.json): ${describeImageConfig(own)}`,
    );
    expect(JSON.parse(await page.getByLabel('Second image config').inputValue())).toEqual(
      imageConfigToJson(own),
    );
    // The page diffs the opened image against the second: what it added, the file has extra.
    expect(
      await page
        .locator('.diff .removed')
        .evaluateAll((items) => items.map((item) => item.getAttribute('data-key'))),
    ).toEqual(['"web/new"']);
    expect(await page.locator('.diff .added').count()).toBe(diff.removed.length);
    expect(await page.locator('.diff .changed').count()).toBe(diff.changed.length);
    expect(await page.getByTestId('diff').textContent()).toContain(
      `sectors changed: ${diff.changed_sectors.join(', ')}`,
    );
    await page.screenshot({ path: join(DOCS, 'inspector-diff.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('filters the key table of a 100 000-key, 16 MiB image', async () => {
    const image = join(dir, 'scale.img');
    writeScaleImage(image);
    const { page, problems } = await inspect(image);
    // 4 096 sectors: a compact grid of one cell each, a clicked sector's entries beside it.
    expect(await page.locator('.map.compact .sector').count()).toBe(4096);
    expect(await page.evaluate('document.documentElement.scrollHeight')).toBeLessThan(2000);
    await page.locator('.map .sector[data-sector="7"]').click();
    const entries = page.locator('.sector-entries');
    await entries.waitFor();
    expect(await page.locator('.sector-entries .entry').count()).toBeGreaterThan(0);
    const map = (await page.locator('.map').boundingBox())!;
    const beside = (await entries.boundingBox())!;
    expect(beside.x).toBeGreaterThanOrEqual(map.x + map.width);
    expect(beside.y).toBeLessThan(map.y + map.height);
    await page.screenshot({ path: join(DOCS, 'inspector-map-4096.png') });
    await tab(page, 'Keys');
    await page.getByText('100000 of 100000 keys').waitFor();
    // Virtualised: only the rows in view are in the page.
    expect(await page.locator('.scroller .row').count()).toBeLessThan(100);
    await page.getByRole('searchbox', { name: 'Filter keys' }).fill('key/09999');
    await page.getByText('10 of 100000 keys').waitFor();
    await page.getByLabel('Value as').selectOption('u32');
    const row = page.locator('.scroller .row[data-key=\'"key/099999"\']');
    await row.waitFor();
    expect(await row.locator('.value').textContent()).toBe('99999');
    await page.screenshot({ path: join(DOCS, 'inspector-keys-100k.png') });
    expect(problems).toEqual([]);
  });
});

describe('the inspector tells the truth about bytes, order and types', () => {
  it('hex shows the file with unsaved edits marked, after-init bytes as a choice, and says what it cut', async () => {
    const image = referenceImage('basic-001', 'hex.img');
    const file = new Uint8Array(readFileSync(image));
    const { page, problems } = await inspect(image);
    const hexLines = async (): Promise<{ text: string; edited: boolean }[]> =>
      page.locator('.hex > div').evaluateAll((rows) =>
        rows.map((row) => ({
          text: row.textContent!,
          edited: row.getAttribute('data-edited') === 'true',
        })),
      );
    const bytesOf = (lines: { text: string }[]): number[] =>
      lines.flatMap((line) =>
        line.text
          .slice(2 + 10, 2 + 10 + 47)
          .trim()
          .split(' ')
          .map((pair) => Number.parseInt(pair, 16)),
      );
    await tab(page, 'Edit');
    await page.getByLabel('Key', { exact: true }).fill('hex/new');
    await page.getByLabel('Value', { exact: true }).fill('marked');
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByText('put hex/new: done (unsaved)').waitFor();
    await tab(page, 'Log');
    await page.getByLabel('Hex bytes').fill(String(file.length));
    const all = await hexLines();
    expect(await page.getByTestId('hex-range').textContent()).toBe(
      `showing 4096 of the ${file.length} B asked: at most 4096 B at a time`,
    );
    // Where the page's bytes now differ from the file: those lines, and only those, are marked.
    const changed = new Set<number>();
    const after = bytesOf(all);
    for (let i = 0; i < after.length; i++)
      if (after[i] !== file[i]) changed.add(Math.floor(i / 16));
    expect(changed.size).toBeGreaterThan(0);
    expect(all.flatMap((line, i) => (line.edited ? [i] : []))).toEqual(
      [...changed].sort((a, b) => a - b),
    );
    // Unedited lines are the file's bytes exactly.
    all.forEach((line, i) => {
      if (!line.edited) expect(bytesOf([line])).toEqual([...file.subarray(i * 16, i * 16 + 16)]);
    });
    await page.getByLabel('Hex from').fill((file.length - 16).toString(16));
    await page.getByLabel('Hex bytes').fill('64');
    expect(await page.getByTestId('hex-range').textContent()).toBe(
      `showing 16 of the 64 B asked: the partition ends at 0x${file.length.toString(16)}`,
    );
    await page.getByLabel('Hex of').selectOption('init');
    expect(await page.locator('.hex > div[data-edited="true"]').count()).toBe(0);
    await page.getByLabel('Hex from').fill('0');
    await page.getByLabel('Hex bytes').fill('256');
    await page.screenshot({ path: join(DOCS, 'inspector-log.png') });
    expect(problems).toEqual([]);
  });

  it('sorts keys naturally; Undo says what it undid; Put takes a type, defaulting to the saved one', async () => {
    const testCase = loadCase('basic-001');
    const config = caseConfig(testCase);
    const path = join(dir, 'typed.img');
    const opened = openImageBytes(testCase.imageOut, config);
    for (const key of ['cal/10', 'cal/2', 'cal/1']) opened.store.put(key, 'x');
    writeFileSync(path, opened.flash.bytes);
    writeFileSync(
      `${path}.json`,
      JSON.stringify({ ...imageConfigToJson(config), value_types: { 'typed/n': 'u16' } }),
    );
    const { page, problems } = await inspect(path);
    await tab(page, 'Keys');
    await page.getByRole('searchbox', { name: 'Filter keys' }).fill('cal/');
    await page.getByText('3 of').waitFor();
    expect(
      await page
        .locator('.scroller .row')
        .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-key'))),
    ).toEqual(['"cal/1"', '"cal/2"', '"cal/10"']);

    await tab(page, 'Edit');
    await page.getByLabel('Key', { exact: true }).fill('typed/n');
    await page.getByLabel('Value', { exact: true }).fill('300');
    expect(await page.getByLabel('Value type').inputValue()).toBe('saved');
    expect(await page.getByLabel('Value type').locator('option:checked').textContent()).toBe(
      'u16 (saved type)',
    );
    await page.getByLabel('Value', { exact: true }).fill('70000');
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByText(/typed\/n" holds a u16/).waitFor();
    await page.getByLabel('Value', { exact: true }).fill('300');
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByText('put typed/n: done (unsaved)').waitFor();
    await page.getByLabel('Key', { exact: true }).fill('typed/f');
    await page.getByLabel('Value type').selectOption('f32');
    await page.getByLabel('Value', { exact: true }).fill('1.5');
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByText('put typed/f: done (unsaved)').waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByText('undid put typed/f').waitFor();
    await page.getByRole('button', { name: 'Put' }).click();
    await page.getByText('put typed/f: done (unsaved)').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^saved /).waitFor();
    const saved = openImageBytes(new Uint8Array(readFileSync(path)), config);
    expect(saved.store.get('typed/n')).toEqual(encodeTyped('u16', '300'));
    expect(saved.store.get('typed/f')).toEqual(encodeTyped('f32', '1.5'));
    expect(problems).toEqual([]);
  });
});
