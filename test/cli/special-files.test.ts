// Only regular files are images: FIFOs, sockets and devices are refused unread, by the built
// CLI as a process (a FIFO opened the ordinary way would block it for ever); geometry flags that
// ask for more than the file, or than 1 GiB, are refused before anything is allocated.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliRun, CLI, flashkv } from './_cli.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-special-'));
}

/** Runs the built CLI; a run still going after 30 s (a hang: a refusal takes well under 1 s of CPU) is killed, status null. */
function spawnWithin(args: readonly string[]): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    input: '',
    timeout: 30_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One line on stderr, exit 2, nothing on stdout, no stack trace. */
function expectRefused(run: CliRun, what: string): void {
  expect(run.status, `${what}: ${run.stderr}`).toBe(2);
  expect(run.stdout, what).toBe('');
  expect(run.stderr.trim().split('\n'), what).toHaveLength(1);
  expect(run.stderr, what).not.toMatch(/\n\s+at |Invalid typed array/);
}

/** An image of 8 × 4 KiB sectors with one key, and its config beside it. */
async function image(dir: string): Promise<string> {
  writeFileSync(join(dir, 'k.json'), JSON.stringify({ entries: [{ key: 'a', value: 'b' }] }));
  const path = join(dir, 'f.img');
  const created = await flashkv(['create', path, '--from', join(dir, 'k.json'), '--sectors', '8']);
  expect(created.status).toBe(0);
  return path;
}

const LOOKING = [['ls'], ['get', 'a'], ['info'], ['check'], ['dump'], ['export']];

describe('special files are not images', () => {
  it('a FIFO with no writer: every command is refused at once, nothing is left behind', () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe.img');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const [name, ...rest] of [...LOOKING, ['put', 'k', 'v'], ['repair', '--force']]) {
      expectRefused(spawnWithin([name!, fifo, ...rest]), name!);
    }
    // Batch check: the FIFO is a row that could not be read, the command ends.
    const batch = spawnWithin(['check', fifo, fifo, '--json']);
    expect(batch.status).not.toBeNull();
    const rows = (JSON.parse(batch.stdout) as { dumps: { ok: boolean; error?: string }[] }).dumps;
    expect(rows.map((row) => [row.ok, row.error !== undefined])).toEqual([
      [false, true],
      [false, true],
    ]);
    expect(readdirSync(dir)).toEqual(['pipe.img']);
  });

  it('a socket and a character device are refused unread', async () => {
    const dir = tempDir();
    const socket = join(dir, 'sock.img');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expectRefused(spawnWithin(['ls', socket]), 'socket');
      expectRefused(spawnWithin(['put', socket, 'k', 'v']), 'put on a socket');
    } finally {
      server.close();
    }
    // /dev/zero never ends: read the ordinary way it would fill memory.
    if (existsSync('/dev/zero')) expectRefused(spawnWithin(['check', '/dev/zero']), '/dev/zero');
  });
});

describe('geometry flags past the file or 1 GiB', () => {
  it('are refused at once with the limit named; the file is unchanged', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const before = readFileSync(path);
    for (const [args, limit] of [
      [['ls', path, '--sectors', '99999999'], '32768 B'],
      [['check', path, '--size', '0x7fffffff'], '32768 B'],
      [['check', path, '--offset', '0x1000', '--size', '0x8000'], '0x7000 B'],
      [['put', path, 'k', 'v', '--sectors', '9'], '32768 B'],
    ] as const) {
      const run = await flashkv(args);
      expectRefused(run, args.join(' '));
      expect(run.stderr).toContain(limit);
    }
    const fresh = await flashkv(['create', join(dir, 'new.img'), '--from', join(dir, 'k.json')]);
    expect(fresh.status).toBe(0);
    const huge = await flashkv([
      'create',
      join(dir, 'huge.img'),
      '--from',
      join(dir, 'k.json'),
      '--sectors',
      '99999999',
    ]);
    expectRefused(huge, 'create --sectors 99999999');
    expect(huge.stderr).toContain('1 GiB');
    expect(existsSync(join(dir, 'huge.img'))).toBe(false);
    expect(readFileSync(path)).toEqual(before);
  });

  it('a config file past 1 GiB is refused; one past the file reads as a truncated dump', async () => {
    const dir = tempDir();
    const path = await image(dir);
    const config = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as Record<string, unknown>;
    writeFileSync(`${path}.json`, JSON.stringify({ ...config, sector_count: 99_999_999 }));
    const huge = await flashkv(['check', path]);
    expectRefused(huge, 'sector_count 99999999');
    expect(huge.stderr).toContain('1 GiB');
    writeFileSync(`${path}.json`, JSON.stringify({ ...config, sector_count: 10 }));
    expect((await flashkv(['check', path])).status).toBe(1);
  });
});
