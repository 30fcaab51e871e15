import { readFileSync } from 'node:fs';
import { cliFail } from './_errors.js';

/** Reads a file the user named, failing with one line that names it. */
export function readUserFile(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code;
    return cliFail(`cannot read ${what} ${path}: ${reason ?? String(error)}`);
  }
}

/** Parses JSON from a file the user named, failing with one line that names it. */
export function readJsonFile(path: string, what: string): unknown {
  const text = Buffer.from(readUserFile(path, what)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return cliFail(`${what} ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Writes to stdout, adding a newline. */
export function print(text: string): void {
  process.stdout.write(`${text}\n`);
}
