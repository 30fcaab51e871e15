// What a flashkv process that died leaves behind must not stop the next one: a lock whose
// holder is gone is taken over at once, its temporary files are removed, and a lock held by a
// live process still waits and says for how long. Spawned CLI on real files.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, flashkv, startFlashkv, type CliRun } from './_cli.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-locks-'));
}

async function imageIn(dir: string, sectors = 4): Promise<string> {
  const image = join(dir, 'device.img');
  writeFileSync(join(dir, 'keys.csv'), 'key,type,encoding,value\nboot,data,string,one\n');
  const created = await flashkv([
    'create',
    image,
    '--from',
    join(dir, 'keys.csv'),
    '--sectors',
    String(sectors),
  ]);
  expect(created.status).toBe(0);
  return image;
}

/** A pid no process has any more: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

/** Runs the built CLI with a lock timeout, as a process. */
function run(args: readonly string[], lockTimeoutMs: number): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', FLASHKV_LOCK_TIMEOUT_MS: String(lockTimeoutMs) },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A lock folder as a flashkv process holding it leaves it, naming `pid`. */
function holdLock(image: string, pid: number): void {
  mkdirSync(`${image}.lock`);
  writeFileSync(join(`${image}.lock`, 'owner.json'), JSON.stringify({ pid, host: hostname() }));
}

describe('locks and temporary files of processes that died', () => {
  it('a lock whose holder died is taken over, and its temporary files are removed', async () => {
    const dir = tempDir();
    const image = await imageIn(dir);
    const dead = deadPid();
    holdLock(image, dead);
    const litter = join(dir, `.${basename(image)}.${dead}.0.tmp`);
    const ours = join(dir, `.${basename(image)}.${process.pid}.0.tmp`);
    writeFileSync(litter, new Uint8Array(4096));
    writeFileSync(ours, new Uint8Array(16));

    // A timeout far below the 10 s a lock takes to go stale: only the takeover lets it through.
    const put = run(['put', image, 'boot', 'two'], 1000);
    expect(put.status, put.stderr).toBe(0);
    expect(run(['get', image, 'boot'], 1000).stdout).toBe('"two"\n');
    expect(existsSync(`${image}.lock`)).toBe(false);
    expect(existsSync(litter)).toBe(false);
    // A temporary file of a running process (this one) is not litter.
    expect(existsSync(ours)).toBe(true);
  });

  it('a lock held by a live process is waited for, then refused naming the holder and the wait', async () => {
    const dir = tempDir();
    const image = await imageIn(dir);
    holdLock(image, process.pid);
    const put = run(['put', image, 'boot', 'two'], 300);
    expect(put.status).toBe(2);
    expect(put.stderr).toContain(`pid ${process.pid}`);
    expect(put.stderr).toMatch(/gave up after waiting \d+\.\d s/);
    expect(existsSync(`${image}.lock`)).toBe(true);
    expect(run(['get', image, 'boot'], 300).stdout).toBe('"one"\n');
  });

  it('after kill -9 at random moments of a put, the next put goes through and leaves nothing', async () => {
    const dir = tempDir();
    const image = await imageIn(dir, 512);
    let seed = 20261204;
    for (let round = 0; round < 6; round++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const child = startFlashkv(['put', image, `killed-${round}`, 'x'.repeat(64)]);
      await new Promise((resolve) => setTimeout(resolve, 50 + (seed % 400)));
      try {
        process.kill(child.pid(), 'SIGKILL');
      } catch {
        // It had already finished: the round is a plain put.
      }
      await child;
      const put = run(['put', image, `after-${round}`, 'value'], 1500);
      expect(put.status, put.stderr).toBe(0);
      expect(run(['get', image, `after-${round}`], 1500).stdout).toBe('"value"\n');
      expect(
        readdirSync(dir).filter((name) => name.endsWith('.tmp') || name.endsWith('.lock')),
      ).toEqual([]);
    }
  });
});
