import { createHash } from 'node:crypto';
import {
  existsSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

  /** The lock folder. */
  private get lockPath(): string {
    return `${this.target}.lock`;
  }

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
    const lockPath = `${target}.lock`;
    const started = Date.now();
    let release: () => Promise<void>;
    for (let attempt = 0; ; attempt++) {
      try {
        release = await lockfile.lock(target, {
          realpath: false,
          lockfilePath: lockPath,
          // A live holder refreshes the folder's time every 5 s; a holder whose process died is
          // recognised at once by the pid it wrote (see takeOverFromDeadHolder).
          stale: 10_000,
          retries: 0,
          onCompromised: () => {
            // A lock lost mid-command (its folder removed): the re-check before rename still guards.
          },
        });
        break;
      } catch (error) {
        if (errorCode(error) !== 'ELOCKED') {
          throw new KvsError('UNAVAILABLE', `cannot lock ${path}: ${errorCode(error)}`, {
            cause: error,
          });
        }
      }
      if (takeOverFromDeadHolder(lockPath)) continue;
      const waitedMs = Date.now() - started;
      if (waitedMs >= timeoutMs) {
        throw new KvsError(
          'UNAVAILABLE',
          `${path} is being changed by another flashkv (${holderOf(lockPath)}, lock ${lockPath}); gave up after waiting ${(waitedMs / 1000).toFixed(1)} s`,
        );
      }
      await sleep(Math.min(25 * 2 ** Math.min(attempt, 3), 200, timeoutMs - waitedMs));
    }
    try {
      writeFileSync(
        join(lockPath, OWNER_FILE),
        JSON.stringify({ pid: process.pid, host: hostname() }),
      );
    } catch {
      // Without an owner file the lock still works; a dead holder is then found by its age.
    }
    removeDeadTemporaries(target);
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
      // The folder must be empty for proper-lockfile to remove it.
      rmSync(join(this.lockPath, OWNER_FILE), { force: true });
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

// ---- Holders that died -------------------------------------------------------------------

/** The file in the lock folder naming the process that holds the lock. */
const OWNER_FILE = 'owner.json';

interface LockOwner {
  readonly pid: number;
  readonly host: string;
}

function ownerOf(lockPath: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(
      readFileSync(join(lockPath, OWNER_FILE), 'utf8'),
    ) as Partial<LockOwner>;
    if (!Number.isSafeInteger(owner.pid) || typeof owner.host !== 'string') return undefined;
    return { pid: owner.pid!, host: owner.host };
  } catch {
    return undefined;
  }
}

/** Whether a process of this machine is running (one we may not signal counts as running). */
function isProcessAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

function holderOf(lockPath: string): string {
  const owner = ownerOf(lockPath);
  return owner === undefined ? 'holder unknown' : `pid ${owner.pid} on ${owner.host}`;
}

/**
 * Removes a lock whose holder, named in its owner file, was a process of this machine that is
 * no longer running (killed with SIGKILL, or by a signal before it could release). Returns
 * whether it did; a lock of another machine or without an owner file is left to go stale.
 */
function takeOverFromDeadHolder(lockPath: string): boolean {
  const owner = ownerOf(lockPath);
  if (owner === undefined || owner.host !== hostname() || owner.pid === process.pid) return false;
  if (isProcessAlive(owner.pid)) return false;
  try {
    rmSync(lockPath, { recursive: true, force: true });
  } catch {
    return false;
  }
  return true;
}

/**
 * Deletes the temporary files a flashkv process that died mid-write left beside `target`
 * (`.NAME.PID.N.tmp`, see writeFileAtomic), called with the lock held, so no live writer of
 * this image owns them. Files of running processes are kept.
 */
function removeDeadTemporaries(target: string): void {
  const folder = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const match = /^(\d+)(?:\.\d+)?\.tmp$/.exec(name.slice(prefix.length));
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isProcessAlive(pid)) continue;
    try {
      unlinkSync(join(folder, name));
    } catch {
      // Gone already, or not ours to delete: the write goes ahead either way.
    }
  }
}
