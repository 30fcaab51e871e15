import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KvsError } from '../status.js';

let temporaryCounter = 0;

/** Temporary files being written right now: removed if the process is interrupted. */
const temporaryFiles = new Set<string>();

/**
 * Removes the temporary files of writes under way (call from a SIGINT/SIGTERM handler before
 * exiting); the images themselves are untouched, since they are replaced only by a rename.
 */
export function removeTemporaryFiles(): void {
  for (const file of temporaryFiles) rmSync(file, { force: true });
  temporaryFiles.clear();
}

/**
 * Reads a whole image file. Throws NOT_FOUND for a missing file and UNAVAILABLE when it cannot
 * be read (a folder, no permission); the message names the file.
 */
export function readImageFile(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') throw new KvsError('NOT_FOUND', `image file ${path} does not exist`);
    const reason = code === 'EISDIR' ? 'it is a folder' : code;
    throw new KvsError('UNAVAILABLE', `cannot read image file ${path}: ${reason}`, {
      cause: error,
    });
  }
}

/**
 * Replaces `path` with `data` atomically: the bytes go to a new temporary file in the same
 * folder, are flushed to disk, and the temporary file is renamed over the original; then the
 * folder is flushed, so the rename itself survives a power cut. A crash at any point leaves
 * either the old file or the new one. An existing file keeps its permissions. Throws
 * UNAVAILABLE naming the file when it cannot be written; the original is then untouched and no
 * temporary file is left. `beforeRename` runs once the new bytes are on disk, just before the
 * rename: a check that throws there (a KvsError) cancels the write.
 */
export function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  beforeRename?: () => void,
): void {
  const folder = dirname(path);
  const temporary = join(folder, `.${basename(path)}.${process.pid}.${temporaryCounter++}.tmp`);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let mode = 0o666;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    // A new file: the default mode, less the umask.
  }
  temporaryFiles.add(temporary);
  try {
    const fd = openSync(temporary, 'wx', mode);
    try {
      for (let written = 0; written < bytes.length;) {
        written += writeSync(fd, bytes, written, bytes.length - written);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    beforeRename?.();
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    if (KvsError.is(error)) throw error;
    throw new KvsError('UNAVAILABLE', `cannot write ${path}: ${errorCode(error)}`, {
      cause: error,
    });
  } finally {
    temporaryFiles.delete(temporary);
  }
  syncFolder(folder);
}

/** Flushes a folder's entries (the rename) to disk, where the platform allows it. */
function syncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot open or flush a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The errno code of a Node error, or its text. */
export function errorCode(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code ?? String(error);
}
