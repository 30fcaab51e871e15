// SIGINT and SIGTERM sent to the built CLI as a process, at random moments: what it says on
// stderr matches what is on disk, it exits 130 / 143 promptly, and it leaves no temporary file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, flashkv } from './_cli.js';

/**
 * How long a signalled CLI may take to exit. The promise is 1 s; the bound is generous because
 * this 2-core machine runs many test workers at once: it tells "stops" from "runs on", it is no
 * benchmark.
 */
const EXIT_BOUND_MS = 2000;

const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;
type Signal = keyof typeof EXIT_CODE;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'flashkv-signals-'));
}

/** A running CLI: its output so far, a wait for some output, and its end. */
interface Running {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves once stdout or stderr contains `text`. */
  waitFor(text: string | RegExp): Promise<void>;
  /** Resolves when it has exited: code, output, and the time it ended (ms, Date.now()). */
  readonly done: Promise<Ended>;
}

/** How a run ended: its exit code (null if a signal killed it, then `signal`), its output. */
interface Ended {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** When it exited, ms (Date.now()). */
  readonly endedAt: number;
}

function start(args: readonly string[]): Running {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: { text: string | RegExp; resolve: () => void }[] = [];
  const seen = (): void => {
    for (const waiter of [...waiters]) {
      const all = stdout + stderr;
      if (typeof waiter.text === 'string' ? all.includes(waiter.text) : waiter.text.test(all)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    seen();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    seen();
  });
  const done = new Promise<Ended>((resolve) => {
    child.on('exit', (status, signal) => {
      const endedAt = Date.now();
      // The pipes may still hold output: wait for them to close.
      child.on('close', () => resolve({ status, signal, stdout, stderr, endedAt }));
    });
  });
  return {
    child,
    output: () => stdout + stderr,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve });
        seen();
        void done.then(() => reject(new Error(`exited before printing ${String(text)}`)));
      }),
    done,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Temporary files left in `dir`. */
function litter(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

/** A 2 MiB image (512 sectors of 4 KiB) with a few keys, its config beside it. */
async function bigImage(dir: string): Promise<string> {
  const rows = Array.from({ length: 20 }, (_, i) => `key-${i},data,string,value-${i}`);
  writeFileSync(join(dir, 'keys.csv'), ['key,type,encoding,value', ...rows].join('\n'));
  const path = join(dir, 'big.img');
  const created = await flashkv([
    'create',
    path,
    '--from',
    join(dir, 'keys.csv'),
    '--sectors',
    '512',
  ]);
  expect(created.status).toBe(0);
  return path;
}

/** A seeded PRNG, so a failing delay can be replayed (the seed is in the failure message). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * Runs `args` (a change of `image`) once to time it, then `runs` times with a signal at a
 * random moment of that span, and checks each run: exit 130 / 143 before the run would have
 * ended (or 0 when it finished first), the message true to the file (`nothing written` exactly when its bytes
 * are the old ones, and `isWritten` confirms the change otherwise), no temporary file
 * left. `reset` puts the image back before a run.
 */
async function signalAtRandom(
  dir: string,
  image: string,
  args: (run: number) => string[],
  reset: () => void,
  runs: number,
  isWritten: (run: number) => Promise<boolean>,
): Promise<{ written: number; untouched: number; finished: number }> {
  const seed = Date.now() % 100_000;
  const random = prng(seed);
  reset();
  const untouched = readFileSync(image);
  const timed = Date.now();
  const whole = await start(args(-1)).done;
  expect(whole.status, whole.stderr).toBe(0);
  const spanMs = Date.now() - timed;
  expect(readFileSync(image).equals(untouched), 'the change writes the image').toBe(false);
  const tally = { written: 0, untouched: 0, finished: 0 };
  for (let run = 0; run < runs; run++) {
    reset();
    const before = readFileSync(image);
    const signal: Signal = run % 2 === 0 ? 'SIGTERM' : 'SIGINT';
    const delayMs = Math.round(spanMs * (0.2 + 0.9 * random()));
    const where = `seed ${seed}, run ${run}, ${signal} after ${delayMs} ms of ${spanMs} ms`;
    const running = start(args(run));
    await sleep(delayMs);
    const sentAt = Date.now();
    running.child.kill(signal);
    const ended = await running.done;
    const after = readFileSync(image);
    const unchanged = after.equals(before);
    if (ended.status === null) {
      // Killed by the signal while flashkv's handler was not installed: node was still loading
      // it (nothing was said, nothing written), or had finished and was tearing down (the
      // command had reported its change on stdout).
      expect(ended.signal, where).toBe(signal);
      // Nothing said about the signal either way; a finished command may have printed its own
      // warnings (repair of a damaged image names its problems on stderr).
      expect(ended.stderr, where).not.toMatch(/interrupted/);
      if (unchanged) {
        expect(ended.stderr, where).toBe('');
        tally.untouched++;
      } else {
        expect(ended.stdout, where).not.toBe('');
        expect(await isWritten(run), where).toBe(true);
        tally.finished++;
      }
    } else if (ended.status === 0) {
      // It finished before the signal arrived: the change is on disk.
      tally.finished++;
      expect(await isWritten(run), where).toBe(true);
    } else {
      expect(ended.status, `${where}: ${ended.stderr}`).toBe(EXIT_CODE[signal]);
      // A change is a few synchronous steps (read, scan, write and flush, rename); the signal
      // is handled when the step under way ends, so the exit comes within what is left of
      // the run, never later.
      expect(ended.endedAt - sentAt, where).toBeLessThan(spanMs + EXIT_BOUND_MS);
      const said = /interrupted \((SIGINT|SIGTERM)\); (nothing written|.+ written)\n$/.exec(
        ended.stderr,
      );
      expect(said, `${where}: ${ended.stderr}`).not.toBeNull();
      expect(said![2] === 'nothing written', `${where}: said ${said![2]}`).toBe(unchanged);
      if (unchanged) tally.untouched++;
      else {
        expect(await isWritten(run), where).toBe(true);
        tally.written++;
      }
    }
    expect(litter(dir), where).toEqual([]);
  }
  return tally;
}

describe('a signal during a change says what is on disk', () => {
  it('put on a 2 MiB image, signalled at random moments', { timeout: 180_000 }, async () => {
    const dir = tempDir();
    const image = await bigImage(dir);
    const original = readFileSync(image);
    const tally = await signalAtRandom(
      dir,
      image,
      (run) => ['put', image, 'key-3', `new-value-${run}`],
      () => writeFileSync(image, original),
      8,
      async (run) => (await flashkv(['get', image, 'key-3'])).stdout === `"new-value-${run}"\n`,
    );
    expect(tally.written + tally.untouched + tally.finished).toBe(8);
  });

  it(
    'repair --force of a damaged 2 MiB image, signalled at random moments',
    { timeout: 180_000 },
    async () => {
      const dir = tempDir();
      const image = await bigImage(dir);
      const damaged = Buffer.from(readFileSync(image));
      // A flipped bit in the first entry's value: the sector is corrupt, repair rewrites it.
      const valueAt = 4096 + 16 + 5 + 1;
      damaged[valueAt] = damaged[valueAt]! ^ 0x01;
      const tally = await signalAtRandom(
        dir,
        image,
        () => ['repair', image, '--force'],
        () => writeFileSync(image, damaged),
        6,
        async () => (await flashkv(['check', image])).status === 0,
      );
      expect(tally.written + tally.untouched + tally.finished).toBe(6);
    },
  );
});
