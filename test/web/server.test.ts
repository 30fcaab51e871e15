import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { imageConfigToJson } from '../../src/image/config.js';
import { loadCase } from '../helpers/vectors.js';
import { caseConfig } from '../image/_images.js';
import { type Inspector, startInspector } from './_inspector.js';

// The inspector's server without a browser: where it listens and what a save may do.

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

describe('flashkv inspect serves', () => {
  it('on 127.0.0.1 only, the partition bytes and their config', async () => {
    const path = image('a.img');
    const inspector = await startInspector([path]);
    inspectors.push(inspector);
    expect(new URL(inspector.url).hostname).toBe('127.0.0.1');
    const served = new Uint8Array(await (await fetch(`${inspector.url}api/image`)).arrayBuffer());
    expect(served).toEqual(new Uint8Array(readFileSync(path)));
    const meta = (await (await fetch(`${inspector.url}api/meta`)).json()) as {
      config: Record<string, unknown>;
    };
    expect(meta.config).toEqual(imageConfigToJson(caseConfig(loadCase('basic-001'))));
    expect((await fetch(`${inspector.url}../../etc/passwd`)).status).toBe(404);
  });

  it('refuses a save when the file changed on disk since it was opened, writing nothing', async () => {
    const path = image('b.img');
    const inspector = await startInspector([path]);
    inspectors.push(inspector);
    const served = new Uint8Array(await (await fetch(`${inspector.url}api/image`)).arrayBuffer());
    // Someone else writes the file meanwhile (here: 16 erased bytes appended past the partition).
    const changed = new Uint8Array(served.length + 16).fill(0xff);
    changed.set(served);
    writeFileSync(path, changed);
    const response = await fetch(`${inspector.url}api/image`, { method: 'POST', body: served });
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toMatch(/changed on disk/);
    expect(new Uint8Array(readFileSync(path))).toEqual(changed);
    // A body of the wrong size is refused too.
    const short = await fetch(`${inspector.url}api/image`, {
      method: 'POST',
      body: served.subarray(1),
    });
    expect(short.status).toBe(400);
    expect(new Uint8Array(readFileSync(path))).toEqual(changed);
  });
});
