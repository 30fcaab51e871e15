import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { cli } from '../../src/cli/main.js';
import { flashkv } from './_cli.js';

/** Runs `dump` in-process on a stdout that is (or is not) a terminal; returns what it printed. */
async function dumpTo(image: string, isTTY: boolean, env: Record<string, string>): Promise<string> {
  let text = '';
  const stdout = { isTTY, write: (chunk: string | Uint8Array) => (text += chunk.toString()) };
  const stderr = { isTTY: false, write: () => true };
  const status = await cli(['dump', image], { stdin: Readable.from([]), stdout, stderr, env });
  expect(status).toBe(0);
  return text;
}

describe('colour in the sector map', () => {
  it("follows the run's stdout and NO_COLOR, whatever the process environment says", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flashkv-colour-'));
    writeFileSync(join(dir, 'keys.csv'), 'key,type,encoding,value\na,data,string,x\n');
    const image = join(dir, 'a.img');
    expect((await flashkv(['create', image, '--from', join(dir, 'keys.csv')])).status).toBe(0);
    const escape = '\u001b[';
    expect(await dumpTo(image, true, {})).toContain(escape);
    expect(await dumpTo(image, true, { NO_COLOR: '1' })).not.toContain(escape);
    expect(await dumpTo(image, false, {})).not.toContain(escape);
  });
});
