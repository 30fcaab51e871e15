import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KvsError } from '../../src/status.js';

const flash = (): MemoryFlash =>
  new MemoryFlash({ sectorSizeBytes: 64, sectorCount: 8, alignmentBytes: 16 });

describe('FlashPartition', () => {
  it('addresses a run of sectors from 0 and checks bounds before the device', () => {
    const device = flash();
    const partition = new FlashPartition(device, { startSector: 2, sectorCount: 4 });
    expect(partition.sizeBytes).toBe(256);
    expect(partition.write(0, new Uint8Array(16).fill(9)).status).toBe('OK');
    expect(device.bytes[128]).toBe(9);
    const calls = device.counters.readCalls;
    expect(partition.read(250, new Uint8Array(10)).status).toBe('OUT_OF_RANGE');
    expect(device.counters.readCalls).toBe(calls);
    expect(partition.erase(256, 1)).toBe('OUT_OF_RANGE');
    expect(partition.erase(0, 1)).toBe('OK');
    expect(device.bytes[128]).toBe(0xff);
  });

  it('uses the larger of its own and the flash alignment', () => {
    const partition = new FlashPartition(flash(), { alignmentBytes: 32 });
    expect(partition.alignmentBytes).toBe(32);
    expect(partition.write(16, new Uint8Array(32)).status).toBe('INVALID_ARGUMENT');
    expect(partition.write(32, new Uint8Array(32)).status).toBe('OK');
    expect(() => new FlashPartition(flash(), { alignmentBytes: 24 })).toThrow(KvsError);
  });

  it('refuses writes and erases when read-only', () => {
    const device = flash();
    const partition = new FlashPartition(device, { readOnly: true });
    expect(partition.write(0, new Uint8Array(16)).status).toBe('PERMISSION_DENIED');
    expect(partition.erase(0, 1)).toBe('PERMISSION_DENIED');
    expect(device.counters.writeCalls + device.counters.eraseCalls).toBe(0);
    expect(partition.read(0, new Uint8Array(4)).status).toBe('OK');
  });

  it('groups physical sectors into logical sectors', () => {
    const device = flash();
    const partition = new FlashPartition(device, { sectorsPerLogicalSector: 2 });
    expect(partition.sectorSizeBytes).toBe(128);
    expect(partition.sectorCount).toBe(4);
    device.writeRaw(128, new Uint8Array(256).fill(0));
    expect(partition.erase(128, 1)).toBe('OK');
    expect(device.counters.sectorEraseCounts).toEqual([0, 0, 1, 1, 0, 0, 0, 0]);
    expect(device.bytes[255]).toBe(0xff);
    expect(device.bytes[256]).toBe(0);
    expect(() => new FlashPartition(device, { sectorsPerLogicalSector: 3 })).toThrow(KvsError);
  });

  it('rejects sectors outside the flash', () => {
    expect(() => new FlashPartition(flash(), { startSector: 6, sectorCount: 4 })).toThrow(KvsError);
    expect(() => new FlashPartition(flash(), { startSector: -1 })).toThrow(KvsError);
  });

  it('checks a region for erased bytes one sector per read, stopping at the first non-erased one', () => {
    const device = flash();
    const partition = new FlashPartition(device);
    const before = device.counters.readCalls;
    expect(partition.isRegionErased(0, 192)).toEqual({ status: 'OK', size: 192, erased: true });
    expect(device.counters.readCalls - before).toBe(3);
    device.writeRaw(70, Uint8Array.of(0));
    const calls = device.counters.readCalls;
    expect(partition.isRegionErased(0, 192)).toEqual({ status: 'OK', size: 192, erased: false });
    expect(device.counters.readCalls - calls).toBe(2);
    expect(partition.isRegionErased(500, 64)).toEqual({
      status: 'OUT_OF_RANGE',
      size: 0,
      erased: false,
    });
    // Every byte counts, a run's last few (past its last whole word) and any bit of one.
    expect(partition.isRegionErased(0, 70)).toEqual({ status: 'OK', size: 70, erased: true });
    expect(partition.isRegionErased(0, 71)).toEqual({ status: 'OK', size: 71, erased: false });
    expect(partition.isRegionErased(68, 3)).toEqual({ status: 'OK', size: 3, erased: false });
    device.writeRaw(321, Uint8Array.of(0xfe));
    expect(partition.isRegionErased(320, 4)).toEqual({ status: 'OK', size: 4, erased: false });
    expect(partition.isRegionErased(322, 60)).toEqual({ status: 'OK', size: 60, erased: true });
    device.injectReadError({ status: 'UNAVAILABLE', delay: 1, times: 1 });
    expect(partition.isRegionErased(128, 128)).toEqual({
      status: 'UNAVAILABLE',
      size: 64,
      erased: false,
    });
  });
});
