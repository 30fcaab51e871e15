import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FlashMemory, FlashResult } from '../flash/flash-memory.js';
import { type FlashGeometry, MemoryFlash, validateGeometry } from '../flash/memory-flash.js';
import { KvsError, type StatusCode } from '../status.js';

/**
 * A flash backed by an image file. The file is read into memory once (an image is at most a
 * few MiB); every flash operation works on that copy, with the rules of {@link MemoryFlash},
 * and nothing reaches the file until {@link save}, which replaces it atomically. So a reader
 * never changes the file, and a crash mid-save leaves either the old image or the new one.
 */
export class FileFlash implements FlashMemory {
  readonly path: string;
  /** The in-memory flash holding the image. */
  readonly memory: MemoryFlash;

  private constructor(path: string, memory: MemoryFlash) {
    this.path = path;
    this.memory = memory;
  }

  /**
   * Opens an image file. A file shorter than the geometry reads as erased past its end (a
   * truncated dump). Throws NOT_FOUND for a missing file (unless `create`, which starts from
   * an erased flash and writes nothing until save), INVALID_ARGUMENT for a bad geometry or a
   * file larger than the geometry or not a whole number of sectors.
   */
  static open(
    path: string,
    geometry: FlashGeometry,
    options: { create?: boolean } = {},
  ): FileFlash {
    validateGeometry(geometry);
    let contents: Uint8Array;
    try {
      contents = new Uint8Array(readFileSync(path));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && options.create === true) {
        return new FileFlash(path, new MemoryFlash(geometry));
      }
      if (code === 'ENOENT') throw new KvsError('NOT_FOUND', `image file ${path} does not exist`);
      throw new KvsError('UNAVAILABLE', `cannot read image file ${path}: ${code ?? String(error)}`);
    }
    const size = geometry.sectorSizeBytes * geometry.sectorCount;
    if (contents.length > size) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `image file ${path} is ${contents.length} B, larger than ${geometry.sectorCount} sectors of ${geometry.sectorSizeBytes} B (${size} B)`,
      );
    }
    if (contents.length % geometry.sectorSizeBytes !== 0) {
      throw new KvsError(
        'INVALID_ARGUMENT',
        `image file ${path} is ${contents.length} B, not a whole number of ${geometry.sectorSizeBytes} B sectors`,
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

  read(address: number, output: Uint8Array): FlashResult {
    return this.memory.read(address, output);
  }

  write(address: number, data: Uint8Array): FlashResult {
    return this.memory.write(address, data);
  }

  erase(address: number, sectorCount: number): StatusCode {
    return this.memory.erase(address, sectorCount);
  }

  /**
   * Writes the whole image to the file atomically: a temporary file in the same folder,
   * flushed to disk, then renamed over the original.
   */
  save(): void {
    const temporary = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    try {
      const fd = openSync(temporary, 'w');
      try {
        writeSync(fd, this.memory.bytes);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, this.path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw new KvsError(
        'UNAVAILABLE',
        `cannot save image file ${this.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  }
}
