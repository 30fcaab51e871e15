// pw_kvs/alignment_test.cc (Pigweed bb8d51fae2daa3a7e71f7490dfc0a65103e9fead), ported to
// flashkv's AlignedWriter. pw_kvs's tests pick the writer's buffer size (a template argument);
// flashkv's writer has the one size the store uses, pw_kvs's 256 bytes, so the tests whose
// outcome depends on the buffer size scale their inputs to it (the README says which).
import { describe, expect, it } from 'vitest';
import { AlignedWriter, WRITE_BUFFER_SIZE } from '../../src/engine/_aligned-writer.js';
import type { PartitionIO } from '../../src/engine/_coalescing-reader.js';
import type { FlashResult } from '../../src/flash/flash-memory.js';
import type { StatusCode } from '../../src/status.js';
import { alignUp } from '../../src/format/entry-header.js';
import { text } from './_bytes.js';

const ALIGNMENT = 10;
const DATA = text('123456789_'.repeat(10)); // 100 bytes

/**
 * A partition whose writes go to `output` (pw_kvs's OutputToFunction) and whose reads come
 * from `input` (its InputWithErrorInjection); addresses are ignored.
 */
function outputTo(
  output: (data: Uint8Array) => FlashResult,
  input: (buffer: Uint8Array) => FlashResult = () => ({ status: 'INTERNAL', size: 0 }),
): PartitionIO {
  return {
    sectorSizeBytes: 1 << 20,
    sectorCount: 1,
    alignmentBytes: 1,
    sizeBytes: 1 << 20,
    read: (_address, buffer) => input(buffer),
    write: (_address, data) => output(data.slice()),
    erase: (): StatusCode => 'OK',
  };
}

/** check_against_data: every run is aligned and is a prefix of DATA (it repeats every 10). */
function checkAgainstData(runs: Uint8Array[]) {
  return (data: Uint8Array): FlashResult => {
    expect(data.length % ALIGNMENT).toBe(0);
    expect(data).toEqual(DATA.subarray(0, data.length));
    runs.push(data);
    return { status: 'OK', size: data.length };
  };
}

/** InputWithErrorInjection: serves DATA from the start, ABORTED on a read that spans `breakOn`. */
function inputWithErrorInjection(breakOn = Infinity) {
  let index = 0;
  return (buffer: Uint8Array): FlashResult => {
    expect(index + buffer.length).toBeLessThanOrEqual(DATA.length);
    if (index <= breakOn && breakOn <= index + buffer.length) {
      return { status: 'ABORTED', size: 0 };
    }
    buffer.set(DATA.subarray(0, buffer.length));
    index += buffer.length;
    return { status: 'OK', size: buffer.length };
  };
}

/** OutputWithErrorInjection: OK until broken; the next write fails UNKNOWN, later ones are bugs. */
function outputWithErrorInjection() {
  const state = { value: 'keepGoing' as 'keepGoing' | 'breakOnNext' | 'broken', calls: 0 };
  const output = (data: Uint8Array): FlashResult => {
    state.calls++;
    if (state.value === 'keepGoing') return { status: 'OK', size: data.length };
    expect(state.value).toBe('breakOnNext'); // a write after the failure is a bug
    state.value = 'broken';
    return { status: 'UNKNOWN', size: data.length };
  };
  return { state, output };
}

describe('alignment_test.cc', () => {
  it('AlignedWriter.Write_VaryingLengths', () => {
    const runs: Uint8Array[] = [];
    const writer = new AlignedWriter(outputTo(checkAgainstData(runs)), 0, ALIGNMENT);
    const piece = (start: number, length: number) => DATA.subarray(start, start + length);
    // Shorter than the alignment, longer than it, filling the rest of a buffer, over
    // several buffers, nothing, and the rest.
    for (const [start, length] of [
      [0, 1],
      [1, 9],
      [10, 11],
      [21, 11],
      [32, 66],
      [98, 0],
      [98, 2],
    ] as const) {
      expect(writer.write(piece(start, length)).status).toBe('OK');
    }
    expect(writer.flush()).toEqual({ status: 'OK', size: DATA.length });
    expect(runs.reduce((sum, run) => sum + run.length, 0)).toBe(DATA.length);
  });

  it('AlignedWriter.DestructorFlushes', () => {
    // TypeScript has no destructors: flashkv flushes explicitly where pw_kvs's writer goes out
    // of scope (Entry.copy flushes after a failed read, as pw_kvs's destructor does).
    let calledWithBytes = 0;
    const writer = new AlignedWriter(
      outputTo((data) => {
        calledWithBytes += data.length;
        return { status: 'OK', size: data.length };
      }),
      0,
      3,
    );
    const whatIsThis = text('What is this?\0'); // sizeof("What is this?") = 14
    expect(writer.write(whatIsThis).status).toBe('OK');
    expect(calledWithBytes).toBe(0); // the buffer is not full: nothing written yet
    writer.flush();
    expect(calledWithBytes).toBe(alignUp(14, 3));
  });

  it('AlignedWriter.Write_NoFurtherWritesOnFailure', () => {
    // Scaled to the 256-byte buffer: alignment 128 (runs of 256 bytes) instead of 3 with a
    // 4-byte buffer (runs of 3), and a second write that spans more than one run.
    const { state, output } = outputWithErrorInjection();
    const writer = new AlignedWriter(outputTo(output), 0, 128);
    expect(writer.write(text('Everything is fine.\0')).status).toBe('OK');
    state.value = 'breakOnNext';
    expect(writer.write(new Uint8Array(2 * WRITE_BUFFER_SIZE).fill(0x2a)).status).toBe('UNKNOWN');
    expect(state.calls).toBe(1);
  });

  it('AlignedWriter.Write_ReturnsTotalBytesWritten', () => {
    // Upstream: a 22-byte buffer with alignment 10 writes runs of 20; writes of 11, 10 and 19
    // bytes report 0, 20 and 40. Here: alignment 125 writes runs of 250 from the 256-byte
    // buffer; writes of 126, 125 and 249 bytes report 0, 250 and 500.
    let status: StatusCode = 'OK';
    const writer = new AlignedWriter(
      outputTo((data) => ({ status, size: data.length })),
      0,
      125,
    );
    expect(writer.write(new Uint8Array(126))).toEqual({ status: 'OK', size: 0 });
    expect(writer.write(new Uint8Array(125))).toEqual({ status: 'OK', size: 250 });
    status = 'PERMISSION_DENIED';
    expect(writer.write(new Uint8Array(249))).toEqual({ status: 'PERMISSION_DENIED', size: 500 });
  });

  it('AlignedWriter.Flush_Ok_ReturnsTotalBytesWritten', () => {
    const writer = new AlignedWriter(
      outputTo((data) => ({ status: 'OK', size: data.length })),
      0,
      2,
    );
    expect(writer.write(text('12345678901')).status).toBe('OK');
    expect(writer.flush()).toEqual({ status: 'OK', size: 12 });
  });

  it('AlignedWriter.Flush_Error_ReturnsTotalBytesWritten', () => {
    const writer = new AlignedWriter(
      outputTo((data) => ({ status: 'ABORTED', size: data.length })),
      0,
      10,
    );
    expect(writer.write(text('12345678901')).size).toBe(0);
    expect(writer.flush()).toEqual({ status: 'ABORTED', size: 20 });
  });

  it('AlignedWriter.WriteFromInput_Successful', () => {
    const runs: Uint8Array[] = [];
    const writer = new AlignedWriter(
      outputTo(checkAgainstData(runs), inputWithErrorInjection()),
      0,
      ALIGNMENT,
    );
    const result = writer.copyFrom(0, DATA.length);
    expect(result.status).toBe('OK');
    expect(result.size).toBeLessThanOrEqual(DATA.length); // may not have written it all yet
    expect(writer.flush()).toEqual({ status: 'OK', size: DATA.length });
  });

  it('AlignedWriter.WriteFromInput_InputError', () => {
    // Upstream's buffer is one alignment (10 bytes) long, so its first read is 10 bytes and the
    // read spanning index 12 is the second. flashkv's first read fills 100 of its 250: the
    // failure falls on it, and nothing has been written.
    const runs: Uint8Array[] = [];
    const writer = new AlignedWriter(
      outputTo(checkAgainstData(runs), inputWithErrorInjection(ALIGNMENT + 2)),
      0,
      ALIGNMENT,
    );
    const result = writer.copyFrom(0, DATA.length);
    expect(result.status).toBe('ABORTED');
    expect(result.size).toBeLessThanOrEqual(ALIGNMENT);
  });

  it('AlignedWriter.WriteFromInput_OutputError', () => {
    // Upstream: runs of 3 bytes; the first fails and reports 3 bytes attempted. Here alignment
    // 128 makes runs of 256, and a 300-byte copy reaches the first one.
    const source = new Uint8Array(300).fill(0x31);
    const { state, output } = outputWithErrorInjection();
    const writer = new AlignedWriter(
      outputTo(output, (buffer) => {
        buffer.set(source.subarray(0, buffer.length));
        return { status: 'OK', size: buffer.length };
      }),
      0,
      128,
    );
    state.value = 'breakOnNext';
    expect(writer.copyFrom(0, source.length)).toEqual({ status: 'UNKNOWN', size: 256 });
    expect(state.calls).toBe(1);
  });
});
