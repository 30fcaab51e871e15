import { describe, expect, it } from 'vitest';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KvsError } from '../../src/status.js';

const geometry = { sectorSizeBytes: 64, sectorCount: 4, alignmentBytes: 16 };
const bytes = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value);

function read(flash: MemoryFlash, address: number, length: number): number[] {
  const output = new Uint8Array(length);
  expect(flash.read(address, output).status).toBe('OK');
  return Array.from(output);
}

describe('MemoryFlash: the rules of NOR flash', () => {
  it('starts erased (0xFF), or with the given contents and the rest erased', () => {
    expect(read(new MemoryFlash(geometry), 0, 4)).toEqual([255, 255, 255, 255]);
    const flash = new MemoryFlash({ ...geometry, contents: new Uint8Array([1, 2]) });
    expect(read(flash, 0, 3)).toEqual([1, 2, 255]);
    expect(() => new MemoryFlash({ ...geometry, contents: new Uint8Array(257) })).toThrow(KvsError);
  });

  it('writes aligned runs inside one sector', () => {
    const flash = new MemoryFlash(geometry);
    expect(flash.write(16, bytes(16, 0xab))).toEqual({ status: 'OK', size: 16 });
    expect(read(flash, 16, 2)).toEqual([0xab, 0xab]);
    expect(flash.write(8, bytes(16, 0)).status).toBe('INVALID_ARGUMENT');
    expect(flash.write(32, bytes(8, 0)).status).toBe('INVALID_ARGUMENT');
    expect(flash.write(48, bytes(32, 0)).status).toBe('INVALID_ARGUMENT'); // crosses a sector
    expect(flash.write(256, bytes(16, 0)).status).toBe('OUT_OF_RANGE');
  });

  it('refuses to write over programmed bytes with UNKNOWN and changes nothing', () => {
    const flash = new MemoryFlash(geometry);
    flash.write(0, bytes(16, 0x0f));
    const before = flash.snapshot();
    expect(flash.write(0, bytes(16, 0x00)).status).toBe('UNKNOWN');
    expect(flash.snapshot()).toEqual(before);
  });

  it('finds a programmed byte anywhere in the run, one bit is enough', () => {
    for (const alignmentBytes of [1, 2, 16]) {
      for (let at = 0; at < 16; at++) {
        const flash = new MemoryFlash({ ...geometry, alignmentBytes });
        flash.writeRaw(16 + at, Uint8Array.of(0x7f));
        expect(flash.write(16, bytes(16, 0xff)).status).toBe('UNKNOWN');
      }
    }
    // Unaligned runs (alignment 1) check their first and last bytes too.
    const flash = new MemoryFlash({ ...geometry, alignmentBytes: 1 });
    flash.writeRaw(5, Uint8Array.of(0xfe));
    expect(flash.write(3, bytes(3, 0)).status).toBe('UNKNOWN');
    expect(flash.write(5, bytes(1, 0)).status).toBe('UNKNOWN');
    expect(flash.write(6, bytes(3, 0)).status).toBe('OK');
  });

  it('erases whole sectors to 0xFF and counts wear per sector', () => {
    const flash = new MemoryFlash(geometry);
    flash.write(64, bytes(64, 0));
    expect(flash.erase(64, 1)).toBe('OK');
    expect(read(flash, 64, 2)).toEqual([255, 255]);
    expect(flash.erase(65, 1)).toBe('INVALID_ARGUMENT');
    expect(flash.erase(192, 2)).toBe('OUT_OF_RANGE');
    expect(flash.counters.sectorEraseCounts).toEqual([0, 1, 0, 0]);
    expect(flash.counters.eraseCalls).toBe(3);
  });

  it('counts every call and requested byte, failing calls included', () => {
    const flash = new MemoryFlash(geometry);
    flash.read(0, new Uint8Array(10));
    flash.read(250, new Uint8Array(10)); // out of range
    flash.write(0, bytes(16, 1));
    flash.write(0, bytes(16, 1)); // over programmed bytes
    expect(flash.counters).toMatchObject({
      readCalls: 2,
      bytesRead: 20,
      writeCalls: 2,
      bytesWritten: 32,
    });
    flash.resetCounters();
    expect(flash.counters).toMatchObject({
      readCalls: 0,
      bytesRead: 0,
      writeCalls: 0,
      bytesWritten: 0,
    });
  });

  it('bypasses rules and counters for direct test access', () => {
    const flash = new MemoryFlash(geometry);
    flash.writeRaw(3, new Uint8Array([0x12]));
    flash.corruptByte(3, 0xff);
    expect(flash.bytes[3]).toBe(0xed);
    flash.eraseSectorRaw(0);
    expect(flash.bytes[3]).toBe(0xff);
    expect(flash.counters.writeCalls + flash.counters.eraseCalls).toBe(0);
    expect(() => flash.corruptByte(256)).toThrow(KvsError);
  });
});

describe('MemoryFlash: injected errors', () => {
  it('fails the matching calls after the delay, `times` times, and still does the work', () => {
    const flash = new MemoryFlash(geometry);
    flash.writeRaw(0, new Uint8Array([7]));
    flash.injectReadError({ status: 'INTERNAL', delay: 1, times: 2 });
    const output = new Uint8Array(1);
    expect(flash.read(0, output).status).toBe('OK');
    expect(flash.read(0, output)).toEqual({ status: 'INTERNAL', size: 1 });
    expect(output[0]).toBe(7); // a failing read still fills the buffer
    expect(flash.read(0, output).status).toBe('INTERNAL');
    expect(flash.read(0, output).status).toBe('OK');

    flash.injectWriteError({ status: 'DATA_LOSS', times: 1 });
    expect(flash.write(16, bytes(16, 0x33)).status).toBe('DATA_LOSS');
    expect(flash.bytes[16]).toBe(0x33); // a failing write still programs
  });

  it('matches only calls overlapping the address range', () => {
    const flash = new MemoryFlash(geometry);
    flash.injectReadError({ status: 'UNAVAILABLE', address: 64, size: 64 });
    expect(flash.read(0, new Uint8Array(64)).status).toBe('OK'); // ends at 64: no overlap
    expect(flash.read(60, new Uint8Array(8)).status).toBe('UNAVAILABLE');
    expect(flash.read(127, new Uint8Array(1)).status).toBe('UNAVAILABLE');
    expect(flash.read(128, new Uint8Array(1)).status).toBe('OK');
  });

  it('consults errors in order; the first failure ends the check', () => {
    const flash = new MemoryFlash(geometry);
    flash.injectReadError({ status: 'INTERNAL', times: 1 });
    flash.injectReadError({ status: 'DATA_LOSS', delay: 1, times: 1 });
    const output = new Uint8Array(1);
    expect(flash.read(0, output).status).toBe('INTERNAL'); // second error not consulted
    expect(flash.read(0, output).status).toBe('OK'); // second error's delay used up here
    expect(flash.read(0, output).status).toBe('DATA_LOSS');
    flash.clearInjectedErrors();
    expect(flash.read(0, output).status).toBe('OK');
  });
});

describe('MemoryFlash: power cuts', () => {
  it('cuts the Nth program/erase; then every call fails until power up; contents stay', () => {
    const flash = new MemoryFlash(geometry);
    flash.schedulePowerCut(1);
    expect(flash.write(0, bytes(16, 1)).status).toBe('OK');
    expect(flash.write(16, bytes(16, 2)).status).toBe('UNAVAILABLE');
    expect(flash.isPoweredOn).toBe(false);
    expect(flash.bytes[16]).toBe(0xff); // not torn: nothing landed
    expect(flash.read(0, new Uint8Array(1)).status).toBe('UNAVAILABLE');
    expect(flash.erase(0, 1)).toBe('UNAVAILABLE');
    flash.powerUp();
    expect(read(flash, 0, 1)).toEqual([1]);
    expect(flash.counters.programEraseOps).toBe(1);
  });

  it('tears a write: the first k bytes land, the next only partly (bits only clear)', () => {
    const flash = new MemoryFlash(geometry);
    flash.schedulePowerCut(0, { torn: { landedBytes: 3, partialBitsMask: 0b1010_1010 } });
    expect(flash.write(0, bytes(16, 0x00)).status).toBe('UNAVAILABLE');
    expect(Array.from(flash.bytes.subarray(0, 5))).toEqual([0, 0, 0, 0b0101_0101, 0xff]);
  });

  it('tears an erase: the sector is left partly erased', () => {
    const flash = new MemoryFlash(geometry);
    flash.write(0, bytes(64, 0x00));
    flash.schedulePowerCut(0, { torn: { landedBytes: 10, partialBitsMask: 0x0f } });
    expect(flash.erase(0, 1)).toBe('UNAVAILABLE');
    expect(Array.from(flash.bytes.subarray(8, 12))).toEqual([0xff, 0xff, 0x0f, 0x00]);
    expect(flash.counters.sectorEraseCounts[0]).toBe(0);
  });

  it('random tears are reproducible from the seed', () => {
    const tornImage = (seed: number): Uint8Array => {
      const flash = new MemoryFlash(geometry);
      flash.schedulePowerCut(0, { torn: true, seed });
      flash.write(0, bytes(64, 0x00));
      return flash.snapshot();
    };
    expect(tornImage(5)).toEqual(tornImage(5));
  });
});
