import { AsyncLocalStorage } from 'node:async_hooks';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { EXIT_OK, cliFail } from './_errors.js';

/** A stream the CLI writes to: process.stdout / process.stderr, or a test's collector. */
export interface CliOutput {
  write(chunk: string | Uint8Array): unknown;
  readonly isTTY?: boolean;
  /** Set once the reader went away (EPIPE): nothing more is written. */
  readonly destroyed?: boolean;
}

/**
 * Where one CLI run reads and writes: {@link cli} takes it, so the CLI runs in-process (tests)
 * or on the real process streams (the `flashkv` binary). Defaults to the process's streams.
 */
export interface CliIo {
  readonly stdin: Readable & { isTTY?: boolean };
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** Environment read by the CLI (NO_COLOR). Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Thrown by a write once stdout's reader went away; {@link cli} ends the run with exit 0. */
export class OutputClosed extends Error {
  override readonly name = 'OutputClosed';
}

/** One run's state: its streams, buffered stdout and the exit code a command set. */
interface Run {
  io: CliIo;
  exitCode: number;
  /** `-q`: print nothing but errors. */
  quiet?: boolean;
  buffer: string[];
  bufferedChars: number;
  closed: boolean;
}

const runs = new AsyncLocalStorage<Run>();
const FLUSH_CHARS = 1 << 16;

function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

function current(): Run {
  return (
    runs.getStore() ?? {
      io: processIo(),
      exitCode: EXIT_OK,
      buffer: [],
      bufferedChars: 0,
      closed: false,
    }
  );
}

/** Runs `body` with `io` as the streams of every helper here; flushes stdout at the end. */
export async function withIo<T>(io: CliIo, body: () => Promise<T>): Promise<T> {
  const run: Run = { io, exitCode: EXIT_OK, buffer: [], bufferedChars: 0, closed: false };
  return runs.run(run, async () => {
    try {
      return await body();
    } finally {
      try {
        flush();
      } catch {
        // The reader went away; the run ends as it would have.
      }
    }
  });
}

/** The current run's streams. */
export function io(): CliIo {
  return current().io;
}

/** Whether the current run's environment asks for plain output (NO_COLOR or not a terminal). */
export function isPlain(stream: CliOutput = io().stdout): boolean {
  return stream.isTTY !== true || (io().env ?? {}).NO_COLOR !== undefined;
}

function writeOut(run: Run, text: string | Uint8Array): void {
  const stdout = run.io.stdout;
  if (run.closed || stdout.destroyed === true) {
    run.closed = true;
    throw new OutputClosed('stdout was closed');
  }
  try {
    stdout.write(text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EPIPE') {
      run.closed = true;
      throw new OutputClosed('stdout was closed');
    }
    throw error;
  }
}

/** Writes what print buffered to stdout. */
export function flush(): void {
  const run = current();
  if (run.buffer.length === 0) return;
  const text = run.buffer.join('');
  run.buffer = [];
  run.bufferedChars = 0;
  writeOut(run, text);
}

/**
 * Makes the current run quiet (`-q`): {@link print} and {@link printWarning} write nothing,
 * and stderr counts as not a terminal, so no progress bar is drawn. Errors are still printed,
 * and so are bytes written with {@link writeStdout} (a value or manifest asked for on stdout).
 */
export function setQuiet(): void {
  const run = current();
  run.quiet = true;
  const { stderr } = run.io;
  run.io = { ...run.io, stderr: { isTTY: false, write: (chunk) => stderr.write(chunk) } };
}

/** Whether the current run is quiet (`-q`). */
export function isQuiet(): boolean {
  return current().quiet === true;
}

/**
 * Writes a line to stdout (buffered: streamed in 64 KiB chunks, flushed at the end); nothing
 * in a quiet run unless `evenQuiet` (help and the version, which were asked for).
 */
export function print(text: string, evenQuiet = false): void {
  const run = current();
  if (run.closed) throw new OutputClosed('stdout was closed');
  if (run.quiet === true && !evenQuiet) return;
  run.buffer.push(text, '\n');
  run.bufferedChars += text.length + 1;
  if (run.bufferedChars >= FLUSH_CHARS) flush();
}

/** Writes raw bytes or text to stdout, after anything print buffered. */
export function writeStdout(data: string | Uint8Array): void {
  flush();
  writeOut(current(), data);
}

/** Writes a line to stderr (unbuffered, after flushing stdout so the two stay in order). */
export function printError(text: string): void {
  const run = current();
  try {
    flush();
  } catch (error) {
    if (!(error instanceof OutputClosed)) throw error;
  }
  run.io.stderr.write(`${text}\n`);
}

/** Writes a warning or a note to stderr, as {@link printError}; nothing in a quiet run. */
export function printWarning(text: string): void {
  if (current().quiet !== true) printError(text);
}

/** Sets the exit code a command that finished normally leaves with (e.g. 1: problems found). */
export function setExitCode(code: number): void {
  current().exitCode = code;
}

/** The exit code a command set, or 0. */
export function exitCodeSet(): number {
  return current().exitCode;
}

/** Reads all of stdin. */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of io().stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array));
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a folder';
  if (code === 'EACCES') return 'permission denied';
  return code ?? String(error);
}

/**
 * Reads a file the user named (`-`: stdin, with {@link readUserInput}), failing with one line
 * that names it. With `maxBytes`, a larger regular file is refused before it is read, and any
 * other file (a device such as /dev/zero, a pipe) is read only up to one byte past the limit.
 */
export function readUserFile(path: string, what: string, maxBytes?: number): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return cliFail(`cannot read ${what} ${path}: ${reasonOf(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) cliFail(`cannot read ${what} ${path}: is a folder`);
    const tooLarge = (): never =>
      cliFail(
        `${what} ${path} is larger than ${maxBytes} B (a value cannot be larger than a sector)`,
      );
    if (maxBytes !== undefined && stat.isFile() && stat.size > maxBytes) tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(1 << 16);
      let read: number;
      try {
        read = readSync(fd, chunk, 0, chunk.length, null);
      } catch (error) {
        return cliFail(`cannot read ${what} ${path}: ${reasonOf(error)}`);
      }
      if (read === 0) break;
      chunks.push(chunk.subarray(0, read));
      total += read;
      if (maxBytes !== undefined && total > maxBytes) tooLarge();
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  } finally {
    closeSync(fd);
  }
}

/** As {@link readUserFile}, where `-` reads stdin (bounded the same way). */
export async function readUserInput(
  path: string,
  what: string,
  maxBytes?: number,
): Promise<Uint8Array> {
  if (path !== '-') return readUserFile(path, what, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of io().stdin) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    chunks.push(bytes);
    total += bytes.length;
    if (maxBytes !== undefined && total > maxBytes) {
      cliFail(
        `${what} on stdin is larger than ${maxBytes} B (a value cannot be larger than a sector)`,
      );
    }
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

/** Parses JSON from a file the user named (`-`: stdin), failing with one line that names it. */
export async function readJsonInput(path: string, what: string): Promise<unknown> {
  return parseJson(await readUserInput(path, what), path, what);
}

/** Parses JSON from a file the user named, failing with one line that names it. */
export function readJsonFile(path: string, what: string): unknown {
  return parseJson(readUserFile(path, what), path, what);
}

function parseJson(bytes: Uint8Array, path: string, what: string): unknown {
  const text = Buffer.from(bytes).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return cliFail(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}
