import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnFlashkv } from '../cli/_cli.js';
import { type Inspector, launchBrowser, openPage, startInspector } from './_inspector.js';

// A truncated dump in the inspector, served by the built CLI: the page says what `check` says.

let browser: BrowserContext;
const inspectors: Inspector[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await Promise.all(inspectors.map((inspector) => inspector.stop()));
  await browser?.close();
});

describe('the inspector on a truncated dump', () => {
  it('the Check view and the summary report truncated with the bytes missing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-web-truncated-'));
    writeFileSync(join(dir, 'keys.csv'), 'key,type,encoding,value\ncal/1,data,u32,7\n');
    const whole = join(dir, 'whole.img');
    expect(spawnFlashkv(['create', whole, '--from', join(dir, 'keys.csv')]).status).toBe(0);
    const short = join(dir, 'short.img');
    writeFileSync(short, readFileSync(whole).subarray(0, 10_000));
    writeFileSync(`${short}.json`, readFileSync(`${whole}.json`));
    const check = JSON.parse(spawnFlashkv(['check', short, '--json']).stdout) as {
      problems: { kind: string; message: string }[];
    };

    const inspector = await startInspector([short]);
    inspectors.push(inspector);
    const meta = (await (
      await fetch(`${inspector.base}api/meta`, {
        headers: { 'x-flashkv-secret': inspector.secret },
      })
    ).json()) as { read_only: boolean; present_bytes: number };
    expect(meta).toMatchObject({ read_only: true, present_bytes: 10_000 });

    const { page, problems } = await openPage(browser, inspector.url);
    expect(await page.getByTestId('summary').textContent()).toContain(
      '(truncated: 6384 B missing, read-only)',
    );
    await page.getByRole('tab', { name: 'Check' }).click();
    expect(await page.getByTestId('verdict').textContent()).not.toContain('OK');
    const listed = page.locator('.problems li[data-kind="truncated"]');
    expect(await listed.count()).toBe(1);
    expect(await listed.textContent()).toBe(check.problems[0]!.message);
    expect(problems).toEqual([]);
  });
});
