import { describe, expect, it } from 'vitest';
import { FlashPartition } from '../../src/flash/flash-partition.js';
import { MemoryFlash } from '../../src/flash/memory-flash.js';
import { KeyValueStore } from '../../src/engine/key-value-store.js';
import { generateWorkload } from '../../src/torture/workload.js';

const geometry = { sectorSizeBytes: 512, sectorCount: 6, alignmentBytes: 16 };
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** Builds an image from a workload; returns it with every value each key ever had. */
function buildImage(redundancy: number): {
  image: Uint8Array;
  latest: Map<string, string | null>;
  history: Map<string, Set<string>>;
  usedBytes: number;
} {
  const flash = new MemoryFlash(geometry);
  const kvs = new KeyValueStore(new FlashPartition(flash), { redundancy });
  kvs.init();
  const latest = new Map<string, string | null>();
  const history = new Map<string, Set<string>>();
  for (const op of generateWorkload({ ops: 60, keys: 6, maxValueBytes: 30, seed: 5 })) {
    const key = hex(op.op === 'put' || op.op === 'delete' ? op.key : new Uint8Array());
    if (op.op === 'put' && kvs.putStatus(op.key, op.value) === 'OK') {
      latest.set(key, hex(op.value));
      if (!history.has(key)) history.set(key, new Set());
      history.get(key)!.add(hex(op.value));
    } else if (op.op === 'delete' && kvs.deleteStatus(op.key) === 'OK') {
      latest.set(key, null);
    }
  }
  const image = flash.snapshot();
  let usedBytes = image.length;
  while (usedBytes > 0 && image[usedBytes - 1] === 0xff) usedBytes--;
  return { image, latest, history, usedBytes };
}

function open(image: Uint8Array, redundancy: number): { kvs: KeyValueStore; status: string } {
  const kvs = new KeyValueStore(
    new FlashPartition(new MemoryFlash({ ...geometry, contents: image })),
    {
      redundancy,
    },
  );
  return { kvs, status: kvs.initStatus() };
}

describe('corrupt every byte of a stored image', () => {
  it('redundancy 1: a corrupted entry is detected; no value is ever returned that was not stored', () => {
    const { image, latest, history } = buildImage(1);
    let detected = 0;
    let silentlyChanged = 0;
    for (let address = 0; address < image.length; address++) {
      const damaged = image.slice();
      damaged[address] = damaged[address]! ^ 0x5a;
      const { kvs, status } = open(damaged, 1);
      const stats = kvs.storageStats();
      const noticed = status !== 'OK' || stats.corruptSectorsRecovered > 0 || kvs.checkForErrors();
      if (noticed) detected++;
      for (const [key, value] of latest) {
        let got: string | null;
        try {
          const bytes = kvs.get(Buffer.from(key, 'hex'));
          got = bytes === undefined ? null : hex(bytes);
        } catch {
          continue; // an error is a detection, not a wrong value
        }
        if (got === value) continue;
        // Anything else must be a value this key really had, and the damage must be known.
        if (got !== null)
          expect(history.get(key)!.has(got), `0x${address.toString(16)} ${key}`).toBe(true);
        expect(noticed, `0x${address.toString(16)}: ${key} changed silently`).toBe(true);
        silentlyChanged += noticed ? 0 : 1;
      }
    }
    expect(silentlyChanged).toBe(0);
    expect(detected).toBeGreaterThan(0);
  });

  it('redundancy 2: every single-byte corruption of written bytes is repaired and no key is lost', () => {
    const { image, latest, usedBytes } = buildImage(2);
    for (let address = 0; address < image.length; address++) {
      const damaged = image.slice();
      damaged[address] = damaged[address]! ^ 0x5a;
      const { kvs } = open(damaged, 2);
      for (const [key, value] of latest) {
        const bytes = kvs.get(Buffer.from(key, 'hex'));
        expect(bytes === undefined ? null : hex(bytes), `0x${address.toString(16)} ${key}`).toBe(
          value,
        );
      }
      if (address < usedBytes) {
        // Written bytes are checked at init: the damage is found and repaired right away.
        expect(kvs.checkForErrors(), `0x${address.toString(16)}`).toBe(false);
        expect(kvs.isReady).toBe(true);
      }
    }
  });
});
