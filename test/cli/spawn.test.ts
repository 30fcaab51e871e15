// Smoke tests of the built `flashkv` binary as a process: what only a real process shows
// (pipes closed early, several processes on one image, signals, worker threads). Everything
// else runs in-process (test/cli/_cli.ts).
import { spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { describe, expect, it } from 'vitest';
import { CLI, flashkv, spawnFlashkv, startFlashkv } from './_cli.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-spawn-'));
}

/** An image with `keys` keys of 24 B values (enough output to fill a pipe). */
async function imageWithKeys(dir: string, keys: number, sectors = 64): Promise<string> {
  const rows = Array.from(
    { length: keys },
    (_, i) => `key-${i},data,string,value-${i}-${'x'.repeat(12)}`,
  );
  writeFileSync(join(dir, 'keys.csv'), ['key,type,encoding,value', ...rows].join('\n'));
  const image = join(dir, 'big.img');
  const created = await flashkv([
    'create',
    image,
    '--from',
    join(dir, 'keys.csv'),
    '--sectors',
    String(sectors),
    '--max-entries',
    String(Math.max(256, keys)),
  ]);
  expect(created.stderr).toBe('');
  return image;
}

describe('flashkv as a process', () => {
  it('prints help and round-trips a put and a get', async () => {
    const help = spawnFlashkv(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Commands:');
    const dir = tempDir();
    const image = await imageWithKeys(dir, 3, 4);
    expect(spawnFlashkv(['put', image, 'greeting', 'hello']).status).toBe(0);
    const got = spawnFlashkv(['get', image, 'greeting']);
    expect(got).toEqual({ status: 0, stdout: '"hello"\n', stderr: '' });
  });

  it('`| head -1` on every looking command: exit 0, no stack trace', async () => {
    const dir = tempDir();
    const image = await imageWithKeys(dir, 1500);
    // Each command once (--json and text share the output path).
    const looking = [
      ['ls', image],
      ['get', image, 'key-7'],
      ['info', image, '--json'],
      ['check', image],
      ['check', image, image, '--csv'],
      ['dump', image],
      ['export', image],
    ];
    for (const args of looking) {
      const quoted = args.map((arg) => `'${arg}'`).join(' ');
      const run = spawnSync(
        'bash',
        [
          '-c',
          `'${process.execPath}' '${CLI}' ${quoted} | head -1; echo "exit=\${PIPESTATUS[0]}" >&2`,
        ],
        { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
      );
      expect(run.stdout.split('\n').filter((line) => line !== '').length, quoted).toBe(1);
      expect(run.stderr, quoted).toMatch(/exit=0\n$/);
      expect(run.stderr, quoted).not.toMatch(/\n\s+at |Error/);
    }
  });

  it('16 concurrent puts of distinct keys: every acknowledged put is kept', async () => {
    const dir = tempDir();
    const image = await imageWithKeys(dir, 2, 8);
    const runs = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        startFlashkv(['put', image, `concurrent-${i}`, `v${i}`]),
      ),
    );
    const listed = JSON.parse((await flashkv(['ls', image, '--json'])).stdout) as {
      keys: { key: string }[];
    };
    const keys = new Set(listed.keys.map((row) => row.key));
    runs.forEach((run, i) => {
      // Each put either landed (exit 0) or said it failed (non-zero): none is lost silently.
      if (run.status === 0) expect(keys.has(`concurrent-${i}`), run.stderr).toBe(true);
      else expect(run.stderr).toMatch(/^flashkv: /);
    });
    expect(runs.every((run) => run.status === 0)).toBe(true);
    expect(keys.size).toBe(18);
    expect(
      readdirSync(dir).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock')),
    ).toEqual([]);
  });

  it('a put through a symlink changes the target and keeps the link', async () => {
    const dir = tempDir();
    const image = await imageWithKeys(dir, 2, 4);
    const link = join(dir, 'link.img');
    symlinkSync(image, link);
    writeFileSync(`${link}.json`, readFileSync(`${image}.json`));
    expect(spawnFlashkv(['put', link, 'via', 'link']).status).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(spawnFlashkv(['get', image, 'via']).stdout).toBe('"link"\n');
  });

  it('SIGTERM while waiting for the lock: exits, leaves the image and no temporary file', async () => {
    const dir = tempDir();
    const image = await imageWithKeys(dir, 2, 4);
    const before = readFileSync(image);
    const release = await lockfile.lock(image, { lockfilePath: `${image}.lock`, realpath: false });
    try {
      const waiting = startFlashkv(['put', image, 'late', 'value']);
      // Let it start and block on the lock, then interrupt it.
      await new Promise((resolve) => setTimeout(resolve, 700));
      process.kill(waiting.pid(), 'SIGTERM');
      const run = await waiting;
      expect(run.status).not.toBe(0);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await release();
    }
    expect(readFileSync(image)).toEqual(before);
    expect(readdirSync(dir).filter((name) => name.includes('.tmp'))).toEqual([]);
  });

  it('batch check of 200 dumps in worker threads: a row each, a total, exit 1 for the damaged', async () => {
    const dir = tempDir();
    const image = await imageWithKeys(dir, 5, 4);
    const clean = readFileSync(image);
    const dumps = join(dir, 'dumps');
    mkdirSync(dumps);
    for (let i = 0; i < 200; i++) {
      const bytes = Buffer.from(clean);
      // Every 20th dump has a flipped bit in its first entry's value.
      if (i % 20 === 0) bytes[4096 + 16 + 5 + 1] = bytes[4096 + 16 + 5 + 1]! ^ 0x01;
      writeFileSync(join(dumps, `dump-${String(i).padStart(3, '0')}.bin`), bytes);
    }
    const run = spawnFlashkv(['check', dumps, '--json']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout) as {
      dumps: { image: string; ok: boolean }[];
      total: { dumps: number; ok: number; with_problems: number; unreadable: number };
    };
    expect(report.total).toMatchObject({ dumps: 200, ok: 190, with_problems: 10, unreadable: 0 });
    expect(report.dumps.map((row) => row.image)).toEqual(
      Array.from({ length: 200 }, (_, i) => join(dumps, `dump-${String(i).padStart(3, '0')}.bin`)),
    );
    expect(report.dumps.filter((row) => !row.ok).map((row) => row.image)).toEqual(
      Array.from({ length: 10 }, (_, i) =>
        join(dumps, `dump-${String(i * 20).padStart(3, '0')}.bin`),
      ),
    );
    const text = spawnFlashkv(['check', dumps]);
    expect(text.status).toBe(1);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(202); // header, 200 rows, total
    expect(lines.at(-1)).toBe('total: 200 dumps, 190 ok, 10 with problems, 0 unreadable');
  });
});
