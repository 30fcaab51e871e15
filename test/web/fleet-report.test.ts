// flashkv fleet report: the HTML page of a fleet opens in Chromium with no console error and no
// request at all (it is self-contained), every chart drawn; its screenshot is docs/fleet-report.png.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet } from '../../src/bench/fleet-workload.js';
import { flashkv } from '../cli/_cli.js';
import { DOCS, launchBrowser } from './_inspector.js';

let browser: BrowserContext;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

const CHARTS = [
  'problems-by-kind',
  'problems-by-label',
  'corruption-heatmap',
  'fill-distribution',
  'lost-keys',
  'trend',
];

describe('flashkv fleet report', () => {
  it('renders every chart and table in Chromium, offline, without errors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-fleet-report-'));
    const dumps = join(dir, 'dumps');
    mkdirSync(dumps);
    const labels = ['file,firmware,device'];
    let i = 0;
    for (const dump of generateFleet({ count: 120, seed: 5 })) {
      writeFileSync(join(dumps, dump.name), dump.bytes);
      if (dump.configJson !== undefined) {
        writeFileSync(join(dumps, dump.name.replace(/\.bin$/, '.json')), dump.configJson);
      }
      labels.push(`${dump.name},fw-1.${i % 4},dev-${i}`);
      i++;
    }
    writeFileSync(join(dir, 'labels.csv'), `${labels.join('\n')}\n`);
    const db = join(dir, 'fleet.duckdb');
    const ingest = await flashkv([
      'fleet',
      'ingest',
      db,
      dumps,
      '--labels',
      join(dir, 'labels.csv'),
      '--threads',
      '0',
    ]);
    expect(ingest.status).toBe(0);
    const out = join(dir, 'report.html');
    const report = await flashkv(['fleet', 'report', db, '--out', out, '--label', 'firmware']);
    expect(report.status).toBe(0);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (line) => {
      if (line.type() === 'error') problems.push(`console: ${line.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) problems.push(`request: ${request.url()}`);
    });
    await page.setViewportSize({ width: 1800, height: 1000 });
    await page.goto(pathToFileURL(out).href);
    for (const id of CHARTS) {
      const chart = page.locator(`figure.chart#${id} svg`);
      expect(await chart.count(), id).toBe(1);
      // Drawn, not an empty frame: bars, cells or the trend's line.
      expect(await chart.locator('rect.bar, rect.cell, path.trend').count(), id).toBeGreaterThan(0);
    }
    // The heatmap has a row per firmware, the label chart a bar per firmware.
    expect(await page.locator('#problems-by-label rect.bar').count()).toBe(4);
    expect(await page.locator('#corruption-heatmap rect.cell').count()).toBe(40);
    expect(await page.locator('section.table table').count()).toBe(6);
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(DOCS, 'fleet-report.png'), fullPage: false });
    await page.close();
  }, 180_000);
});
