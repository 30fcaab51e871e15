import {
  type Stats,
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MAX_IMAGE_BYTES, MAX_IMAGE_SIZE_TEXT } from '../image/config.js';
import { KvsError } from '../status.js';

let temporaryCounter = 0;

/** Temporary files being written right now: removed if the process is interrupted. */
const temporaryFiles = new Set<string>();

/** Files this process has replaced (or created) by a rename, in order: their new bytes are on disk. */
const writtenFiles: string[] = [];

/**
 * Removes the temporary files of writes under way (call from a SIGINT/SIGTERM handler before
 * exiting); the files themselves are untouched, since they are replaced only by a rename.
 */
export function removeTemporaryFiles(): void {
  for (const file of temporaryFiles) rmSync(file, { force: true });
  temporaryFiles.clear();
}

/**
 * The files {@link writeFileAtomic} has renamed into place in this process so far, oldest
 * first: what an interrupted command has written (a signal handler's message says so, rather
 * than "nothing written").
 */
export function filesWritten(): readonly string[] {
  return [...writtenFiles];
}

/** What a file that is not a regular one is, for messages; undefined for a regular file. */
function specialKind(stat: Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Reads a whole image file. Only a regular file is an image: a FIFO, a socket or a device is
 * refused unread (it is looked at before it is opened, and opened without blocking, so a FIFO
 * with no writer cannot hang the command), and so is a file larger than
 * 1 GiB (`MAX_IMAGE_BYTES`). Throws NOT_FOUND for a missing file, INVALID_ARGUMENT for a special
 * file or a file too large, UNAVAILABLE when it cannot be read (a folder, no permission); the
 * message names the file.
 */
export function readImageFile(path: string): Uint8Array {
  let fd: number | undefined;
  try {
    refuseUnlessImage(path, statSync(path));
    // O_NONBLOCK: should the path become a FIFO between the stat and the open, the open does
    // not wait for a writer, and the fstat below refuses it.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    refuseUnlessImage(path, fstatSync(fd));
    return new Uint8Array(readFileSync(fd));
  } catch (error) {
    if (KvsError.is(error)) throw error;
    const code = errorCode(error);
    if (code === 'ENOENT') throw new KvsError('NOT_FOUND', `image file ${path} does not exist`);
    throw new KvsError('UNAVAILABLE', `cannot read image file ${path}: ${code}`, {
      cause: error,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Throws unless `stat` is a regular file flashkv can hold in memory. */
function refuseUnlessImage(path: string, stat: Stats): void {
  const kind = specialKind(stat);
  if (kind === 'a folder') {
    throw new KvsError('UNAVAILABLE', `cannot read image file ${path}: it is a folder`);
  }
  if (kind !== undefined) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `image file ${path} is ${kind}, not a regular file: flashkv reads images from regular files only (copy the dump into a file first)`,
    );
  }
  if (stat.size > MAX_IMAGE_BYTES) {
    throw new KvsError(
      'INVALID_ARGUMENT',
      `image file ${path} is ${stat.size} B, more than the ${MAX_IMAGE_SIZE_TEXT} (${MAX_IMAGE_BYTES} B) flashkv opens`,
    );
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
    writtenFiles.push(path);
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
