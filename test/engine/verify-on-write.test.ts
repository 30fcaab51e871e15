import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import type { FlashMemory, FlashResult } from '../../src/flash/flash-memory.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KeyValueStore, type ReadStrategy } from '../../src/engine/key-value-store.js';
import type { StatusCode } from '../../src/status.js';
import { fcOptions } from '../helpers/fc.js';

/** A flash whose `write` number `badWrite` lands with one byte changed (a faulty program). */
class FlakyFlash implements FlashMemory {
  readonly sectorSizeBytes: number;
  readonly sectorCount: number;
  readonly alignmentBytes: number;
  private writes = 0;

  constructor(
    readonly inner: MemoryFlash,
    private readonly badWrite: number,
    private readonly byteInWrite: number,
    private readonly xor: number,
  ) {
    this.sectorSizeBytes = inner.sectorSizeBytes;
    this.sectorCount = inner.sectorCount;
    this.alignmentBytes = inner.alignmentBytes;
  }

  read(address: number, output: Uint8Array): FlashResult {
    return this.inner.read(address, output);
  }

  write(address: number, data: Uint8Array): FlashResult {
    const result = this.inner.write(address, data);
    if (this.writes++ === this.badWrite && result.status === 'OK') {
      this.inner.corruptByte(address + (this.byteInWrite % data.length), this.xor);
    }
    return result;
  }

  erase(address: number, sectorCount: number): StatusCode {
    return this.inner.erase(address, sectorCount);
  }
}

function run(
  strategy: ReadStrategy,
  badWrite: number,
  byte: number,
  xor: number,
  valueSize: number,
): { statuses: StatusCode[]; bytes: number[] } {
  const memory = new MemoryFlash({ sectorSizeBytes: 512, sectorCount: 4, alignmentBytes: 16 });
  const flash = new FlakyFlash(memory, badWrite, byte, xor);
  const kvs = new KeyValueStore(new FlashPartition(flash), { readStrategy: strategy });
  const statuses: StatusCode[] = [kvs.initStatus()];
  for (let i = 0; i < 12; i++) {
    const value = new Uint8Array(valueSize).fill(i + 1);
    statuses.push(kvs.putStatus(`key${i % 3}`, value));
    if (!kvs.isReady) statuses.push(kvs.fullMaintenanceStatus());
  }
  return { statuses, bytes: Array.from(memory.bytes) };
}

describe('verify-on-write', () => {
  it('a write that lands with a changed byte fails as with pw_kvs read calls', () => {
    let failedWrites = 0;
    fc.assert(
      fc.property(
        fc.nat(11),
        fc.nat(300),
        fc.integer({ min: 1, max: 255 }),
        fc.constantFrom(3, 16, 40, 120, 300),
        (badWrite, byte, xor, valueSize) => {
          const reference = run('pwKvs', badWrite, byte, xor, valueSize);
          if (reference.statuses.includes('DATA_LOSS')) failedWrites++;
          for (const strategy of ['coalesced', 'trusted'] as const) {
            expect(run(strategy, badWrite, byte, xor, valueSize)).toEqual(reference);
          }
        },
      ),
      fcOptions(200),
    );
    // Most damaged writes are caught by the read-back.
    expect(failedWrites).toBeGreaterThan(100);
  });
});
