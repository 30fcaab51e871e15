import { readImageFile, writeFileAtomic } from './image-file.js';
import type { FlashMemory, FlashResult } from '../flash/flash-memory.js';
import { type FlashGeometry, validateGeometry } from '../flash/flash-memory.js';
import { MemoryFlash } from '../flash/memory-flash.js';
import { KvsError, type StatusCode } from '../status.js';

/** Options of {@link FileFlash.open}. */
export interface FileFlashOpenOptions {
  /**
   * When the file does not exist, start from an erased flash instead of failing; the file is
   * created by the first {@link FileFlash.save}. Defaults to false.
   */
  create?: boolean;
}

/**
 * A flash backed by an image file. The file is read into a {@link MemoryFlash} once (an image
 * is at most a few MiB); every flash operation works on that copy, with its rules, counters
 * and fault injection, and nothing reaches the file until {@link save}, which replaces it
 * atomically. So opening an image never changes it, and a crash mid-save leaves either the old
 * image or the new one.
 */
export class FileFlash implements FlashMemory {
  /** The image file. */
  readonly path: string;
  /** The in-memory flash holding the image: counters, fault injection and direct access. */
  readonly memory: MemoryFlash;

  private constructor(path: string, memory: MemoryFlash) {
    this.path = path;
    this.memory = memory;
  }

  /**
   * Opens the image file at `path` as a flash of `geometry`. A file shorter than the geometry
   * reads as erased past its end (a truncated dump). Throws INVALID_ARGUMENT for an unsupported
   * geometry, or a file larger than the geometry or not a whole number of sectors; NOT_FOUND
   * for a missing file unless `create`; UNAVAILABLE when the file cannot be read.
   */
  static open(
    path: string,
    geometry: FlashGeometry,
    options: FileFlashOpenOptions = {},
  ): FileFlash {
    validateGeometry(geometry);
    let contents: Uint8Array;
    try {
      contents = readImageFile(path);
    } catch (error) {
      if (KvsError.is(error, 'NOT_FOUND') && options.create === true) {
        return new FileFlash(path, new MemoryFlash(geometry));
      }
      throw error;
    }
    const { sectorSizeBytes, sectorCount } = geometry;
    const sizeBytes = sectorSizeBytes * sectorCount;
    if (contents.length > sizeBytes) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `image file ${path} is ${contents.length} B, larger than ${sectorCount} sectors of ${sectorSizeBytes} B (${sizeBytes} B)`,
      );
    }
    if (contents.length % sectorSizeBytes !== 0) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `image file ${path} is ${contents.length} B, not a whole number of ${sectorSizeBytes} B sectors`,
      );
    }
    return new FileFlash(path, new MemoryFlash({ ...geometry, contents }));
  }

  get sectorSizeBytes(): number {
    return this.memory.sectorSizeBytes;
  }

  get sectorCount(): number {
    return this.memory.sectorCount;
  }

  get alignmentBytes(): number {
    return this.memory.alignmentBytes;
  }

  /** Total bytes of the flash (the size of the saved image). */
  get sizeBytes(): number {
    return this.memory.sizeBytes;
  }

  /** As {@link MemoryFlash.read}. */
  read(address: number, output: Uint8Array): FlashResult {
    return this.memory.read(address, output);
  }

  /** As {@link MemoryFlash.write}; the file changes only on {@link save}. */
  write(address: number, data: Uint8Array): FlashResult {
    return this.memory.write(address, data);
  }

  /** As {@link MemoryFlash.erase}; the file changes only on {@link save}. */
  erase(address: number, sectorCount: number): StatusCode {
    return this.memory.erase(address, sectorCount);
  }

  /**
   * Writes the whole image (always the full geometry, so a truncated dump comes back whole)
   * to the file atomically: a temporary file in the same folder, flushed to disk, renamed over
   * the original, then the folder flushed where the platform allows. An existing file keeps
   * its permissions. Throws UNAVAILABLE when the file cannot be written; the original is then
   * untouched and no temporary file is left.
   */
  save(): void {
    writeFileAtomic(this.path, this.memory.bytes);
  }
}
