import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { KvsError } from '../status.js';
import { errorCode, readImageFile, writeFileAtomic } from './image-file.js';

/** How long a change waits for another process's lock on the same image. Defaults to 10 s. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/** What an image file was when it was read for a change: the write is refused if it moved. */
interface FileStamp {
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function stampOf(path: string, bytes: Uint8Array): FileStamp {
  const stat = statSync(path);
  return { sizeBytes: stat.size, mtimeMs: stat.mtimeMs, sha256: sha256(bytes) };
}

/**
 * An image file held for a change: an advisory lock (a `TARGET.lock` folder, proper-lockfile)
 * from before it is read until after its replacement is renamed into place, so concurrent
 * `flashkv put`s on one image apply one after the other. A symlink is followed: the lock, the
 * read and the write are on its target. {@link write} re-checks the file's size, mtime and hash
 * just before the rename and refuses if anything else changed it.
 */
export class LockedImageFile {
  private stamp: FileStamp | undefined;

  private constructor(
    /** The path the user gave. */
    readonly path: string,
    /** The file written: `path` with symlinks resolved. */
    readonly target: string,
    private readonly release: () => Promise<void>,
  ) {}

  /**
   * Locks `path` (its symlink target), waiting up to `timeoutMs` for another holder. Throws
   * PERMISSION_DENIED for a read-only file (no write permission bit), UNAVAILABLE when the lock
   * is still held after the timeout or the folder cannot hold a lock.
   */
  static async lock(path: string, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<LockedImageFile> {
    const target = resolveTarget(path);
    if (existsSync(target)) {
      const stat = statSync(target);
      // Checked on the mode bits: root may write anyway, but a read-only dump means "keep".
      if (stat.isFile() && (stat.mode & 0o222) === 0) {
        throw new KvsError(
          'PERMISSION_DENIED',
          `${path} is read-only; make it writable (chmod u+w) to change it`,
        );
      }
    }
    const minTimeout = 25;
    const maxTimeout = 200;
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(target, {
        realpath: false,
        lockfilePath: `${target}.lock`,
        stale: 10_000,
        retries: {
          retries: Math.max(1, Math.ceil(timeoutMs / 100)),
          factor: 1.3,
          minTimeout,
          maxTimeout,
        },
        onCompromised: () => {
          // A lock lost mid-command (its folder removed): the re-check before rename still guards.
        },
      });
    } catch (error) {
      if (errorCode(error) === 'ELOCKED') {
        throw new KvsError(
          'UNAVAILABLE',
          `${path} is being changed by another flashkv (lock ${target}.lock held); gave up after ${timeoutMs / 1000} s`,
        );
      }
      throw new KvsError('UNAVAILABLE', `cannot lock ${path}: ${errorCode(error)}`, {
        cause: error,
      });
    }
    return new LockedImageFile(path, target, release);
  }

  /** Reads the file (throws as {@link readImageFile}) and remembers what it was. */
  read(): Uint8Array {
    const bytes = readImageFile(this.target);
    this.stamp = stampOf(this.target, bytes);
    return bytes;
  }

  /**
   * Replaces the file atomically with `data` (see {@link writeFileAtomic}). Throws ABORTED,
   * writing nothing, when the file changed since {@link read} (size, mtime or hash).
   */
  write(data: Uint8Array): void {
    writeFileAtomic(this.target, data, () => {
      const before = this.stamp;
      if (before === undefined) {
        if (existsSync(this.target)) this.refuseChanged('it appeared');
        return;
      }
      let now: FileStamp;
      try {
        now = stampOf(this.target, new Uint8Array(readFileSync(this.target)));
      } catch {
        return this.refuseChanged('it was removed');
      }
      if (
        now.sizeBytes !== before.sizeBytes ||
        now.mtimeMs !== before.mtimeMs ||
        now.sha256 !== before.sha256
      ) {
        this.refuseChanged('its size, time or bytes differ');
      }
    });
    this.stamp = stampOf(this.target, data);
  }

  private refuseChanged(how: string): never {
    throw new KvsError(
      'ABORTED',
      `${this.path} changed while flashkv worked on it (${how}); nothing written, run the command again`,
    );
  }

  /** Releases the lock (idempotent). */
  async unlock(): Promise<void> {
    try {
      await this.release();
    } catch {
      // Already released or compromised: nothing left to do.
    }
  }
}

/** `path` with symlinks resolved; for a file that does not exist yet, its folder resolved. */
function resolveTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    try {
      return join(realpathSync(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}
