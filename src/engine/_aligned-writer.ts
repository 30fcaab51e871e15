import type { FlashResult } from '../flash/flash-memory.js';
import type { PartitionIO } from './_coalescing-reader.js';
import { alignDown, alignUp } from '../format/entry-header.js';

/** Bytes pw_kvs buffers before each flash write: max(max flash alignment, 4 × 16). */
export const WRITE_BUFFER_SIZE = 256;

// One buffer for every writer: writes never nest, and each writer is flushed before the next.
const SHARED_BUFFER = new Uint8Array(WRITE_BUFFER_SIZE);

/**
 * Buffers bytes and programs them in aligned runs, as pw_kvs's AlignedWriter does: a full
 * buffer (the largest multiple of the alignment that fits in 256 bytes) is written as one call,
 * and `flush` zero-pads the rest to the alignment. The call sizes matter: injected faults and
 * power cuts hit individual calls, so they must be the calls pw_kvs makes.
 */
export class AlignedWriter {
  readonly #buffer = SHARED_BUFFER;
  readonly #writeSize: number;
  #bytesInBuffer = 0;
  #bytesWritten = 0;
  #address: number;
  readonly #partition: PartitionIO;
  readonly #alignmentBytes: number;

  constructor(partition: PartitionIO, address: number, alignmentBytes: number) {
    this.#partition = partition;
    this.#alignmentBytes = alignmentBytes;
    this.#address = address;
    this.#writeSize = alignDown(WRITE_BUFFER_SIZE, alignmentBytes);
  }

  /**
   * False when the alignment exceeds the buffer. Only a damaged header can ask for that (new
   * entries use the partition's alignment, at most 256 bytes); pw_kvs's copy loops forever on
   * it, so callers refuse such an entry with INTERNAL before writing anything.
   */
  get isUsable(): boolean {
    return this.#writeSize > 0;
  }

  /** Adds bytes; a full buffer is written out. On failure, the size counts the failed run. */
  write(data: Uint8Array): FlashResult {
    if (!this.isUsable) return { status: 'INTERNAL', size: 0 };
    let offset = 0;
    while (offset < data.length) {
      const toCopy = Math.min(this.#writeSize - this.#bytesInBuffer, data.length - offset);
      const buffer = this.#buffer;
      const at = this.#bytesInBuffer;
      // Entries are small: a plain loop beats allocating a subarray view per chunk.
      for (let i = 0; i < toCopy; i++) buffer[at + i] = data[offset + i]!;
      offset += toCopy;
      const result = this.#addBytesToBuffer(toCopy);
      if (result.status !== 'OK') return result;
    }
    return { status: 'OK', size: this.#bytesWritten };
  }

  /**
   * Copies `length` bytes read from the partition at `sourceAddress`. A failed read ends the
   * copy with that status; the bytes already buffered stay buffered for `flush`.
   */
  copyFrom(sourceAddress: number, length: number): FlashResult {
    if (!this.isUsable) return { status: 'INTERNAL', size: 0 };
    let remaining = length;
    let source = sourceAddress;
    while (remaining > 0) {
      const toRead = Math.min(this.#writeSize - this.#bytesInBuffer, remaining);
      const target = this.#buffer.subarray(this.#bytesInBuffer, this.#bytesInBuffer + toRead);
      const read = this.#partition.read(source, target);
      if (read.status !== 'OK') return { status: read.status, size: this.#bytesWritten };
      source += read.size;
      remaining -= read.size;
      const result = this.#addBytesToBuffer(toRead);
      if (result.status !== 'OK') return result;
    }
    return { status: 'OK', size: this.#bytesWritten };
  }

  /** Zero-pads and writes what is buffered; returns the total bytes written since the start. */
  flush(): FlashResult {
    let status: FlashResult['status'] = 'OK';
    if (this.#bytesInBuffer !== 0) {
      const remaining = alignUp(this.#bytesInBuffer, this.#alignmentBytes);
      this.#buffer.fill(0, this.#bytesInBuffer, remaining);
      status = this.#output(this.#buffer.subarray(0, remaining)).status;
      this.#bytesWritten += remaining;
      this.#bytesInBuffer = 0;
    }
    const result = { status, size: this.#bytesWritten };
    this.#bytesWritten = 0;
    return result;
  }

  #addBytesToBuffer(bytesAdded: number): FlashResult {
    this.#bytesInBuffer += bytesAdded;
    if (this.#bytesInBuffer === this.#writeSize) {
      const result = this.#output(this.#buffer.subarray(0, this.#writeSize));
      // A failed write may still have programmed (or disturbed) the run: count it.
      this.#bytesWritten += this.#writeSize;
      this.#bytesInBuffer = 0;
      if (result.status !== 'OK') return { status: result.status, size: this.#bytesWritten };
    }
    return { status: 'OK', size: this.#bytesWritten };
  }

  #output(data: Uint8Array): FlashResult {
    const result = this.#partition.write(this.#address, data);
    if (result.status === 'OK') this.#address += data.length;
    return result;
  }
}
