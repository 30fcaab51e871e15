import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KeyValueStore, type StorageStats } from '../../src/engine/key-value-store.js';
import { KvsError } from '../../src/status.js';
import { generateWorkload } from '../../src/torture/workload.js';

// The goal (style guide): corrupt every byte of a stored image and assert the error code and
// the exact storage stats. Each byte's expected outcome comes from where it lies, found by a
// header walk written here (not the engine's): a byte of an entry, or of the header slot after
// a sector's last entry, must be found at init and its sector repaired there (init then
// reports OK, with one corrupt sector recovered and erased); any other byte must change
// nothing (OK, the clean image's exact stats and values): erased space past the next header,
// and the checksum field's bytes 6-7, which CRC-16 leaves zero and never checks. The full
// outcome of every byte is also pinned by a snapshot, so any change of behaviour shows.

const geometry = { sectorSizeBytes: 512, sectorCount: 6, alignmentBytes: 16 };
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

interface Image {
  image: Uint8Array;
  latest: Map<string, string | null>;
  history: Map<string, Set<string>>;
}

/** Builds an image from a workload; returns it with every value each key ever had. */
function buildImage(redundancy: number): Image {
  const flash = new MemoryFlash(geometry);
  const kvs = new KeyValueStore(new FlashPartition(flash), { redundancy });
  kvs.init();
  const latest = new Map<string, string | null>();
  const history = new Map<string, Set<string>>();
  for (const op of generateWorkload({ ops: 60, keys: 6, maxValueBytes: 30, seed: 5 })) {
    if (op.op === 'put' && kvs.putStatus(op.key, op.value) === 'OK') {
      latest.set(hex(op.key), hex(op.value));
      if (!history.has(hex(op.key))) history.set(hex(op.key), new Set());
      history.get(hex(op.key))!.add(hex(op.value));
    } else if (op.op === 'delete' && kvs.deleteStatus(op.key) === 'OK') {
      latest.set(hex(op.key), null);
    }
  }
  return { image: flash.snapshot(), latest, history };
}

type Region = 'entry' | 'unchecked' | 'next header' | 'erased';

/**
 * Where each byte lies: in an entry, in the 4-byte magic of the header slot after a sector's
 * last entry (an erased magic ends the sector's scan), or in erased space past it.
 */
function regions(image: Uint8Array): Region[] {
  const map: Region[] = new Array<Region>(image.length).fill('erased');
  const { sectorSizeBytes, sectorCount } = geometry;
  for (let sector = 0; sector < sectorCount; sector++) {
    const base = sector * sectorSizeBytes;
    let address = base;
    while (address < base + sectorSizeBytes) {
      const magic = image.subarray(address, address + 4);
      if (magic.every((byte) => byte === 0xff)) {
        for (let i = 0; i < 4; i++) map[address + i] = 'next header';
        break;
      }
      const alignment = (image[address + 8]! + 1) * 16;
      const keyLength = image[address + 9]!;
      const rawValueSize = image[address + 10]! | (image[address + 11]! << 8);
      const valueSize = rawValueSize === 0xffff ? 0 : rawValueSize;
      const size = Math.ceil((16 + keyLength + valueSize) / alignment) * alignment;
      for (let i = address; i < address + size; i++) map[i] = 'entry';
      // CRC-16 fills bytes 4-5 of the checksum field; 6-7 are written as 0 and never read.
      map[address + 6] = 'unchecked';
      map[address + 7] = 'unchecked';
      address += size;
    }
  }
  return map;
}

function open(image: Uint8Array, redundancy: number): { kvs: KeyValueStore; status: string } {
  const flash = new MemoryFlash({ ...geometry, contents: image });
  const kvs = new KeyValueStore(new FlashPartition(flash), { redundancy });
  return { kvs, status: kvs.initStatus() };
}

/** What a get returned: the value's hex, null when absent, or the error code it threw. */
function read(kvs: KeyValueStore, key: string): string | null {
  try {
    const bytes = kvs.get(Buffer.from(key, 'hex'));
    return bytes === undefined ? null : hex(bytes);
  } catch (error) {
    // Only a KvsError is a status; anything else is a bug and fails the test.
    if (!KvsError.is(error)) throw error;
    return `!${error.code}`;
  }
}

function describeStats(stats: StorageStats): string {
  return [
    `w${stats.writableBytes}`,
    `u${stats.inUseBytes}`,
    `r${stats.reclaimableBytes}`,
    `e${stats.sectorEraseCount}`,
    `c${stats.corruptSectorsRecovered}`,
    `m${stats.missingRedundantEntriesRecovered}`,
  ].join(' ');
}

/** One line per run of bytes with the same outcome, for the snapshot. */
function runLengths(outcomes: string[]): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 1; i <= outcomes.length; i++) {
    if (i === outcomes.length || outcomes[i] !== outcomes[start]) {
      const span = `0x${start.toString(16).padStart(4, '0')}-0x${(i - 1).toString(16).padStart(4, '0')}`;
      lines.push(`${span} ${outcomes[start]!}`);
      start = i;
    }
  }
  return lines;
}

describe.each([1, 2])('corrupt every byte of a stored image, redundancy %i', (redundancy) => {
  const built = buildImage(redundancy);
  const map = regions(built.image);
  const clean = open(built.image, redundancy);
  const cleanStats = clean.kvs.storageStats();

  it('walks a clean image: every key reads its latest value, nothing to repair', () => {
    expect(clean.status).toBe('OK');
    for (const [key, value] of built.latest) expect(read(clean.kvs, key)).toBe(value);
    // The walk finds every byte the store accounts: its valid and its reclaimable bytes.
    const entryBytes = map.filter((region) => region === 'entry' || region === 'unchecked');
    expect(entryBytes.length).toBe(cleanStats.inUseBytes + cleanStats.reclaimableBytes);
  });

  it('asserts the status, the exact stats and every value for each corrupted byte', () => {
    const outcomes: string[] = [];
    for (let address = 0; address < built.image.length; address++) {
      const at = `0x${address.toString(16)} (${map[address]})`;
      const damaged = built.image.slice();
      damaged[address] = damaged[address]! ^ 0x5a;
      const { kvs, status } = open(damaged, redundancy);
      const stats = kvs.storageStats();
      const values = [...built.latest.keys()].map((key) => read(kvs, key));

      if (map[address] === 'erased' || map[address] === 'unchecked') {
        // Nothing checks this byte (before it is written): the store is the clean one.
        expect(status, at).toBe('OK');
        expect(stats, at).toEqual(cleanStats);
        expect(values, at).toEqual([...built.latest.values()]);
      } else {
        // The scan reads every entry byte (checksums cover the padding too) and the magic of
        // the next header slot: the damage is found and its sector repaired at init.
        expect(status, at).toBe('OK');
        expect(stats.corruptSectorsRecovered, at).toBe(1);
        expect(stats.sectorEraseCount, at).toBe(1);
        expect(kvs.isReady, at).toBe(true);
        expect(kvs.checkForErrors(), at).toBe(false);
        [...built.latest].forEach(([key, value], i) => {
          const got = values[i]!;
          if (redundancy > 1 || got === value) {
            // The other copy always survives.
            expect(got, `${at} ${key}`).toBe(value);
          } else if (got !== null && !got.startsWith('!')) {
            // With one copy a key may fall back to an older value it really had.
            expect(built.history.get(key)!.has(got), `${at} ${key} = ${got}`).toBe(true);
          }
        });
        if (redundancy > 1) expect(stats.inUseBytes, at).toBe(cleanStats.inUseBytes);
      }
      // Per key: '=' its latest value, 'old' an older one, '-' absent, or the error code.
      const expected = [...built.latest.values()];
      const summary = values.map((got, i) =>
        got === expected[i] ? '=' : got === null ? '-' : got.startsWith('!') ? got : 'old',
      );
      outcomes.push(`${status} ${describeStats(stats)} ${summary.join(',')}`);
    }
    expect(runLengths(outcomes)).toMatchSnapshot();
  });
});
