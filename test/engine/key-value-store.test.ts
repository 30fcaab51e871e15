import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KeyValueStore, type KeyValueStoreOptions } from '../../src/engine/key-value-store.js';
import { KvsError } from '../../src/status.js';

function store(
  geometry = { sectorSizeBytes: 512, sectorCount: 4, alignmentBytes: 16 },
  options: KeyValueStoreOptions = {},
): { flash: MemoryFlash; kvs: KeyValueStore } {
  const flash = new MemoryFlash(geometry);
  const kvs = new KeyValueStore(new FlashPartition(flash), options);
  return { flash, kvs };
}

function codeOf(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    expect(error).toBeInstanceOf(KvsError);
    return (error as KvsError).code;
  }
  return 'OK';
}

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : new TextDecoder().decode(bytes);

describe('KeyValueStore basics', () => {
  it('puts, gets, overwrites, deletes and iterates', () => {
    const { kvs } = store();
    kvs.init();
    kvs.put('alpha', 'one');
    kvs.put('beta', new Uint8Array([1, 2, 3]));
    kvs.put('alpha', 'uno');
    expect(text(kvs.get('alpha'))).toBe('uno');
    expect(kvs.valueSize('beta')).toBe(3);
    expect(kvs.size).toBe(2);
    expect([...kvs.keys()]).toEqual(['alpha', 'beta']);
    expect(kvs.delete('alpha')).toBe(true);
    expect(kvs.delete('alpha')).toBe(false);
    expect(kvs.get('alpha')).toBeUndefined();
    expect(kvs.has('alpha')).toBe(false);
    expect(kvs.size).toBe(1);
    expect(kvs.totalEntriesWithDeleted).toBe(2);
    expect(kvs.transactionCount).toBe(4);
  });

  it('survives a re-init: a new store over the same flash sees the same keys', () => {
    const { flash, kvs } = store();
    kvs.init();
    for (let i = 0; i < 20; i++) kvs.put(`key${i % 7}`, `value ${i}`);
    const reopened = new KeyValueStore(new FlashPartition(flash));
    reopened.init();
    expect([...reopened.entries()].map(([key, value]) => [key, text(value)])).toEqual(
      [...kvs.entries()].map(([key, value]) => [key, text(value)]),
    );
  });

  it('writes nothing when the same value is put again', () => {
    const { flash, kvs } = store();
    kvs.init();
    kvs.put('same', 'value');
    const written = flash.counters.bytesWritten;
    kvs.put('same', 'value');
    expect(flash.counters.bytesWritten).toBe(written);
    expect(kvs.transactionCount).toBe(1);
  });

  it('reads part of a value with an offset and a small buffer (pw_kvs statuses)', () => {
    const { kvs } = store();
    kvs.init();
    kvs.put('k', new Uint8Array([10, 11, 12, 13, 14]));
    const buffer = new Uint8Array(2);
    let error: unknown;
    try {
      kvs.read('k', buffer);
    } catch (caught) {
      error = caught;
    }
    expect(KvsError.is(error, 'RESOURCE_EXHAUSTED')).toBe(true);
    expect((error as KvsError).size).toBe(2);
    expect(Array.from(buffer)).toEqual([10, 11]);
    expect(kvs.read('k', new Uint8Array(8), 3)).toBe(2);
    expect(codeOf(() => kvs.read('k', new Uint8Array(8), 6))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => kvs.read('missing', new Uint8Array(8)))).toBe('NOT_FOUND');
  });

  it('refuses a key whose hash collides with a stored key', () => {
    const { kvs } = store();
    kvs.init();
    kvs.put('a0naq', 'first');
    expect(codeOf(() => kvs.put('qp0ca', 'second'))).toBe('ALREADY_EXISTS');
    expect(kvs.get('qp0ca')).toBeUndefined();
    expect(text(kvs.get('a0naq'))).toBe('first');
  });

  it('returns keys containing a 0x00 byte whole', () => {
    const { kvs } = store();
    kvs.init();
    const key = new Uint8Array([0x61, 0x00, 0x62]);
    kvs.put(key, 'v');
    const [item] = [...kvs.items()];
    expect(Array.from(item!.key)).toEqual([0x61, 0x00, 0x62]);
    expect(text(item!.value())).toBe('v');
  });
});

describe('bad input throws KvsError and changes nothing', () => {
  function expectUnchanged(flash: MemoryFlash, call: () => unknown, code: string): void {
    const before = flash.snapshot();
    const counters = {
      ...flash.counters,
      sectorEraseCounts: [...flash.counters.sectorEraseCounts],
    };
    expect(codeOf(call)).toBe(code);
    expect(flash.snapshot()).toEqual(before);
    expect(flash.counters.bytesWritten).toBe(counters.bytesWritten);
    expect(flash.counters.eraseCalls).toBe(counters.eraseCalls);
  }

  it('rejects empty and 64-byte keys on every operation', () => {
    const { flash, kvs } = store();
    kvs.init();
    kvs.put('keep', 'me');
    for (const key of ['', 'k'.repeat(64), new Uint8Array(0)]) {
      expectUnchanged(flash, () => kvs.put(key, 'v'), 'INVALID_ARGUMENT');
      expectUnchanged(flash, () => kvs.get(key), 'INVALID_ARGUMENT');
      expectUnchanged(flash, () => kvs.delete(key), 'INVALID_ARGUMENT');
      expectUnchanged(flash, () => kvs.valueSize(key), 'INVALID_ARGUMENT');
    }
    expect(codeOf(() => kvs.put('k'.repeat(63), 'v'))).toBe('OK');
    expect(text(kvs.get('keep'))).toBe('me');
  });

  it('rejects keys and values that are neither text nor bytes (plain JavaScript callers)', () => {
    const { flash, kvs } = store();
    kvs.init();
    const notBytes = [42, null, undefined, { length: 3 }, [1, 2, 3]] as unknown as string[];
    for (const bad of notBytes) {
      expectUnchanged(flash, () => kvs.put(bad, 'v'), 'INVALID_ARGUMENT');
      expectUnchanged(flash, () => kvs.put('k', bad), 'INVALID_ARGUMENT');
      expectUnchanged(flash, () => kvs.get(bad), 'INVALID_ARGUMENT');
    }
  });

  it('rejects values that cannot fit in a sector', () => {
    const { flash, kvs } = store();
    kvs.init();
    // 512-byte sectors: 16 header + 1 key + 495 value = 512 fits, 496 does not.
    expectUnchanged(flash, () => kvs.put('k', new Uint8Array(496)), 'INVALID_ARGUMENT');
    expect(codeOf(() => kvs.put('k', new Uint8Array(495)))).toBe('OK');
  });

  it('refuses use before init', () => {
    const { flash, kvs } = store();
    expectUnchanged(flash, () => kvs.put('k', 'v'), 'FAILED_PRECONDITION');
    expectUnchanged(flash, () => kvs.get('k'), 'FAILED_PRECONDITION');
    expectUnchanged(flash, () => kvs.delete('k'), 'FAILED_PRECONDITION');
    expectUnchanged(flash, () => kvs.fullMaintenance(), 'FAILED_PRECONDITION');
    expectUnchanged(flash, () => kvs.partialMaintenance(), 'FAILED_PRECONDITION');
  });

  it('rejects geometries that cannot work', () => {
    expect(
      codeOf(() => new MemoryFlash({ sectorSizeBytes: 500, sectorCount: 4, alignmentBytes: 16 })),
    ).toBe('INVALID_ARGUMENT');
    for (const alignmentBytes of [0, 3, 24, 512]) {
      expect(
        codeOf(() => new MemoryFlash({ sectorSizeBytes: 4096, sectorCount: 4, alignmentBytes })),
      ).toBe('INVALID_ARGUMENT');
    }
    const { flash, kvs } = store({ sectorSizeBytes: 512, sectorCount: 1, alignmentBytes: 16 });
    expectUnchanged(flash, () => kvs.init(), 'FAILED_PRECONDITION');
    expect(kvs.isOpen).toBe(false);
  });

  it('rejects options out of range', () => {
    const flash = new MemoryFlash({ sectorSizeBytes: 512, sectorCount: 4, alignmentBytes: 16 });
    const partition = new FlashPartition(flash);
    expect(codeOf(() => new KeyValueStore(partition, { redundancy: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => new KeyValueStore(partition, { maxEntries: 1.5 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => new KeyValueStore(partition, { formats: [] }))).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => new KeyValueStore(partition, { recovery: 'sometimes' as unknown as 'lazy' })),
    ).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(
        () =>
          new KeyValueStore(partition, {
            formats: [{ magic: 1 }, { magic: 1, checksum: 'crc32' }],
          }),
      ),
    ).toBe('INVALID_ARGUMENT');
  });

  it('refuses to open an image with more keys than maxEntries unless told to drop them', () => {
    const { flash, kvs } = store(undefined, { maxEntries: 8 });
    kvs.init();
    for (let i = 0; i < 8; i++) kvs.put(`key${i}`, `value${i}`);
    const small = new KeyValueStore(new FlashPartition(flash), { maxEntries: 4 });
    expectUnchanged(flash, () => small.init(), 'RESOURCE_EXHAUSTED');
    expect(small.isOpen).toBe(false);
    const compatible = new KeyValueStore(new FlashPartition(flash), {
      maxEntries: 4,
      surplusKeys: 'treatAsCorrupt',
    });
    compatible.initStatus();
    expect(compatible.size).toBe(4);
  });
});

describe('full maintenance', () => {
  // 8 × 512 B: usage above 70 % (2867 B) makes full maintenance collect every sector with
  // reclaimable bytes; below it, only sectors holding nothing valid. Entries are 96 B.
  const value = (i: number) => new Uint8Array(78).fill(i);
  const keyOf = (i: number) => `k${String.fromCharCode(0x41 + i)}`;
  function filled(keys: number) {
    const { flash, kvs } = store({ sectorSizeBytes: 512, sectorCount: 8, alignmentBytes: 16 });
    kvs.init();
    for (let i = 0; i < keys; i++) kvs.put(keyOf(i), value(i));
    kvs.put(keyOf(0), value(99)); // one stale entry, in a sector that also holds valid ones
    return { flash, kvs };
  }

  it('above 70 % usage collects the sector holding the stale entry', () => {
    const { kvs } = filled(30); // 30 × 96 = 2880 B in use
    expect(kvs.storageStats().inUseBytes).toBe(2880);
    expect(kvs.storageStats().reclaimableBytes).toBe(96);
    kvs.fullMaintenance();
    expect(kvs.storageStats()).toMatchObject({ sectorEraseCount: 1, reclaimableBytes: 0 });
    expect(kvs.get(keyOf(0))).toEqual(value(99));
  });

  it('below 70 % leaves a sector that still holds valid entries', () => {
    const { kvs } = filled(29); // 2784 B in use
    kvs.fullMaintenance();
    expect(kvs.storageStats()).toMatchObject({ sectorEraseCount: 0, reclaimableBytes: 96 });
  });
});

describe('power-loss hardening when repair needs an empty sector', () => {
  // Three sectors, none empty (as a cut during garbage collection can leave them):
  //   0: "b" 320 B valid, stale "z" 192 B        → 192 reclaimable, nothing else holds "b"
  //   1: "y" 32 B valid, stale "w" 176 B, 304 B free → 176 reclaimable
  //   2: "z", "w" 32 B each and "f" 416 B valid, 32 B free
  // pw_kvs collects sector 0 (most reclaimable), which cannot move "b"; sector 1 could go.
  function image(): Uint8Array {
    const { flash } = store({ sectorSizeBytes: 512, sectorCount: 3, alignmentBytes: 16 });
    const entries: [number, string, number, number][] = [
      [0, 'b', 303, 3],
      [320, 'z', 175, 1],
      [512, 'y', 15, 4],
      [544, 'w', 159, 2],
      [1024, 'z', 15, 9],
      [1056, 'w', 15, 10],
      [1088, 'f', 399, 11],
    ];
    for (const [address, key, valueSize, transactionId] of entries) {
      const bytes = encodeEntry(key, new Uint8Array(valueSize).fill(transactionId), transactionId);
      flash.writeRaw(address, bytes);
    }
    return flash.snapshot();
  }

  function open(powerLossHardening: boolean) {
    const flash = new MemoryFlash({
      sectorSizeBytes: 512,
      sectorCount: 3,
      alignmentBytes: 16,
      contents: image(),
    });
    const kvs = new KeyValueStore(new FlashPartition(flash), { powerLossHardening });
    return { kvs, status: kvs.initStatus() };
  }

  it("pw_kvs's choice alone cannot make one: the store stays open for reads only", () => {
    const { kvs, status } = open(false);
    expect(status).toBe('DATA_LOSS');
    expect(kvs.isReady).toBe(false);
    expect(kvs.get('b')).toEqual(new Uint8Array(303).fill(3));
  });

  it('hardening collects another sector instead, and the store accepts writes', () => {
    const { kvs, status } = open(true);
    expect(status).toBe('OK');
    expect(kvs.isReady).toBe(true);
    expect(kvs.storageStats().sectorEraseCount).toBe(1);
    for (const [key, byte, size] of [
      ['b', 3, 303],
      ['y', 4, 15],
      ['z', 9, 15],
      ['w', 10, 15],
      ['f', 11, 399],
    ] as const) {
      expect(kvs.get(key)).toEqual(new Uint8Array(size).fill(byte));
    }
    kvs.put('new', 'value');
    expect(text(kvs.get('new'))).toBe('value');
  });
});

/** One entry's bytes in the default format (magic 3528829097, CRC-16), built by hand. */
function encodeEntry(key: string, value: Uint8Array, transactionId: number): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  const content = 16 + keyBytes.length + value.length;
  const bytes = new Uint8Array(Math.ceil(content / 16) * 16);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 3528829097, true);
  bytes[9] = keyBytes.length;
  view.setUint16(10, value.length, true);
  view.setUint32(12, transactionId, true);
  bytes.set(keyBytes, 16);
  bytes.set(value, 16 + keyBytes.length);
  view.setUint16(4, crc16(bytes), true);
  return bytes;
}

/** CRC-16/CCITT-FALSE, bit by bit. */
function crc16(bytes: Uint8Array): number {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
