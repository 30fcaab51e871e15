import { spawn, spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { cli } from '../../src/cli/main.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The built CLI (test/global-setup.ts builds it before the suite runs). */
export const CLI = join(ROOT, 'dist/cli/main.js');

/** Every command `flashkv --help` lists. */
export const COMMANDS = [
  'create',
  'export',
  'ls',
  'get',
  'put',
  'rm',
  'info',
  'check',
  'repair',
  'dump',
  'diff',
  'locate',
  'inspect',
  'shell',
  'run',
  'bench',
  'bench-all',
  'torture',
  'fuzz',
  'wear',
  'fleet',
] as const;

/** What a CLI run left behind. */
export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A stdout/stderr stand-in that keeps what is written. */
class Collector {
  readonly isTTY = false;
  private readonly chunks: Buffer[] = [];
  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
    return true;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Runs the CLI in-process (`cli(argv, io)`) with `args` (in `cwd`, with `input` on stdin) and
 * resolves to what it wrote and its exit code, as the spawned binary would leave them.
 */
export async function flashkv(
  args: readonly string[],
  options: { cwd?: string; input?: string | Uint8Array } = {},
): Promise<CliRun & { stdoutBytes: Buffer }> {
  const stdout = new Collector();
  const stderr = new Collector();
  const input = options.input === undefined ? [] : [Buffer.from(options.input)];
  const previous = process.cwd();
  if (options.cwd !== undefined) process.chdir(options.cwd);
  try {
    const status = await cli(args, {
      stdin: Readable.from(input),
      stdout,
      stderr,
      env: { NO_COLOR: '1' },
    });
    return { status, stdout: stdout.text(), stderr: stderr.text(), stdoutBytes: stdout.bytes() };
  } finally {
    process.chdir(previous);
  }
}

/** Runs the built CLI as a process with `args` and waits for it (the spawn smoke tests). */
export function spawnFlashkv(
  args: readonly string[],
  options: { cwd?: string; input?: string } = {},
): CliRun {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    cwd: options.cwd,
    input: options.input ?? '',
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the built CLI as a process without waiting: for concurrency and signal tests. */
export function startFlashkv(args: readonly string[]): Promise<CliRun> & { pid: () => number } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolvePromise) => {
    child.on('close', (status, signal) =>
      resolvePromise({ status: status ?? (signal === null ? null : -1), stdout, stderr }),
    );
  });
  return Object.assign(done, { pid: () => child.pid! });
}
